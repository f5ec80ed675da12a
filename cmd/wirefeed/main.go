// Command wirefeed fetches international-relations news feeds on a
// schedule, recognises the same story republished across outlets, and
// serves one merged RSS/Atom/JSON feed in which each story appears once
// with every outlet that carried it.
//
// Usage:
//
//	wirefeed serve -config FILE                 run the daemon
//	wirefeed fetch -config FILE [--force] [--quiet]  one pass over every feed, then exit
//	wirefeed inspect [--allow-private] FILE|URL print one feed, normalised, as JSON
//	wirefeed export -config FILE -format F      print the merged feed from the database
//	wirefeed explain -config FILE ITEM ITEM     show why two items are or are not one story
//	wirefeed feeds import [--write CONFIG] FILE.opml  turn an OPML export into [[feeds]]
//	wirefeed feeds prune -config FILE           delete feeds no longer configured
//	wirefeed check-config FILE                  validate a config file
//	wirefeed healthcheck [-config FILE]         probe a running daemon (for Docker)
//	wirefeed version                            print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit codes. Scripts depend on them; keep them stable.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and something failed (feeds, health, config problems)
	exitUsage   = 2 // bad arguments or an unusable config
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	commands = []command{
		{"serve", "run the daemon: scheduled fetches and the HTTP server", runServe},
		{"fetch", "fetch every configured feed once, then exit", runFetch},
		{"inspect", "parse and normalise one feed (file or URL) and print it as JSON", runInspect},
		{"export", "render the merged feed from the database to stdout", runExport},
		{"explain", "show why two stored items are or are not the same story", runExplain},
		{"feeds", "import feeds from OPML; prune feeds no longer configured", runFeeds},
		{"check-config", "validate a config file; print its problems or ok", runCheckConfig},
		{"healthcheck", "exit 0 when a running daemon answers its health endpoint", runHealthcheck},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		return runVersion(ctx, nil, stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "wirefeed: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "wirefeed merges news feeds into one feed with each story once.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: wirefeed <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'wirefeed <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set whose -h prints the command's usage line
// and flags to stdout.
func newFlagSet(name, synopsis, about string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: wirefeed %s\n\n%s\n", synopsis, about)
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(out, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; it returns done=true with the exit code when the
// command should stop (help was asked for, or the flags were wrong).
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, true
	}
	if err != nil {
		return exitUsage, true
	}
	return 0, false
}

// configFlags are the flags every command that reads the config takes.
// -data-dir and -listen override the file, so one config serves both a
// host and a container (whose data lives on a volume and who listens on
// every interface).
type configFlags struct {
	path, dataDir, listen *string
}

func addConfigFlags(fs *flag.FlagSet, withListen bool) configFlags {
	f := configFlags{
		path:    fs.String("config", "", "config file (TOML)"),
		dataDir: fs.String("data-dir", "", "override the config's data_dir"),
		listen:  new(string),
	}
	if withListen {
		f.listen = fs.String("listen", "", "override the config's server.listen")
	}
	return f
}

// load reads the config and applies the overrides, printing problems to
// stderr.
func (f configFlags) load(stderr io.Writer) (*Config, bool) {
	if *f.path == "" {
		fmt.Fprintln(stderr, "wirefeed: -config FILE is required")
		return nil, false
	}
	cfg, err := f.loadErr()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return cfg, true
}

// loadErr reads the config and applies the overrides.
func (f configFlags) loadErr() (*Config, error) {
	cfg, err := LoadConfig(*f.path)
	if err != nil {
		return nil, err
	}
	if *f.dataDir != "" {
		cfg.DataDir = *f.dataDir
	}
	if *f.listen != "" {
		cfg.Server.Listen = *f.listen
	}
	return cfg, nil
}

// loadConfig loads a config, printing its problems to stderr.
func loadConfig(path string, stderr io.Writer) (*Config, bool) {
	if path == "" {
		fmt.Fprintln(stderr, "wirefeed: -config FILE is required")
		return nil, false
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, false
	}
	return cfg, true
}

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

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", "version", "Print wirefeed's version.", stdout, stderr)
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	fmt.Fprintln(stdout, versionString())
	return exitOK
}

func runCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check-config", "check-config FILE", "Validate a config file. Prints every problem with its line and key, or ok.\nExit status: 0 when valid, 1 when not.", stdout, stderr)
	path := fs.String("config", "", "config file (may also be given as the argument)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() > 0 {
		*path = fs.Arg(0)
	}
	if *path == "" {
		fs.Usage()
		return exitUsage
	}
	if _, err := LoadConfig(*path); err != nil {
		fmt.Fprintln(stdout, err)
		return exitFailure
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}
