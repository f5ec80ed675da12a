package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// versionString is the version stamped at build time with -ldflags
// "-X main.version=...", else the one Go records from version control when
// it builds in a checkout (the module's tag or pseudo-version, else the
// commit, "+dirty" for uncommitted changes), else "(devel)" (go run).
func versionString() string {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok {
			v = buildVersion(bi)
		}
	}
	return "wirefeed " + v
}

func buildVersion(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "+dirty"
	}
	return "devel-" + rev
}

// userAgent is what wirefeed sends to feed servers unless configured.
func userAgent() string {
	return strings.Replace(versionString(), " ", "/", 1) + " (+https://github.com/wirefeed/wirefeed)"
}

// runVersion is `wirefeed version`.
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "version", "Print wirefeed's version.", stdout, stderr)
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	fmt.Fprintln(stdout, versionString())
	return exitOK
}
