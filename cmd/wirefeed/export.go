package main

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"github.com/wirefeed/wirefeed/feedout"
)

// runExport is `wirefeed export`: it renders the merged feed (or a named
// output) from the database to stdout.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("export", "export -config FILE -format rss|atom|json [--limit N] [--output NAME]",
		"Render the merged feed from the database to stdout: the same bytes the\ndaemon serves for the same limit.", stdout, stderr)
	cf := addConfigFlags(fs, false)
	format := fs.String("format", "atom", "rss, atom or json")
	limit := fs.Int("limit", 0, "entries (default: server.default_limit)")
	output := fs.String("output", "", "a named output from [[outputs]] (default: the main feed)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	cfg, ok := cf.load(stderr)
	if !ok {
		return exitUsage
	}
	f, err := feedout.ParseFormat(*format)
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed export:", err)
		return exitUsage
	}
	// -limit 0 leaves ?limit= out, as GET /feed.<format> does: the default
	// (server.default_limit, or the output's max_items) applies.
	if *limit < 0 || *limit > feedout.MaxLimit {
		fmt.Fprintf(stderr, "wirefeed export: -limit must be between 1 and %d\n", feedout.MaxLimit)
		return exitUsage
	}
	st, err := openExisting(ctx, cfg, "export", stderr)
	if err != nil {
		return exitFailure
	}
	defer st.Close()
	a := &app{cfg: cfg, store: st, logger: newLogger(stderr, cfg.LogLevel, cfg.LogFormat, cfg.Redactor())}
	bw := bufio.NewWriter(stdout)
	// The handler's own path: the bytes GET /feed.<format>?limit=N serves.
	if err := a.feedHandler().Export(ctx, bw, *output, f, *limit); err != nil {
		fmt.Fprintln(stderr, "wirefeed export:", err)
		return exitFailure
	}
	if err := bw.Flush(); err != nil {
		return exitFailure
	}
	return exitOK
}
