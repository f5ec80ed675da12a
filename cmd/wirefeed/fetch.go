package main

import (
	"cmp"
	"context"
	"fmt"
	"io"

	"github.com/wirefeed/wirefeed/fetcher"
)

// runFetch is `wirefeed fetch`: one pass over every configured feed, a
// report (fetch_report.go), then the static export when one is configured.
func runFetch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("fetch", "fetch -config FILE [--out DIR] [--force] [--quiet]",
		"Fetch every configured feed once, store what is new, and exit.\n"+
			"Feeds that are backing off after errors, or that a server asked to wait,\n"+
			"are skipped and listed unless --force is given.\n"+
			"With --out (or [static] dir in the config), every output in every format\n"+
			"and sources.opml are then written to DIR, each file atomically.\n"+
			"With --quiet only changes are printed (feeds newly failing, recovered or\n"+
			"gone), so cron mails only when something changed. On a terminal, progress\n"+
			"is shown on stderr.\n"+
			"Exit status: 0 when no feed is failing, 1 when some feed is failing (it\n"+
			"failed now, or was skipped while backing off after failures or gone),\n"+
			"2 for a bad config.", stdout, stderr)
	cf := addConfigFlags(fs, false)
	force := fs.Bool("force", false, "also fetch feeds that are backing off or were asked to wait")
	outDir := fs.String("out", "", "write the merged feed and every output as static files to this directory (default: [static] dir)")
	quiet := fs.Bool("quiet", false, "print only feeds whose state changed (newly failing, recovered, gone); log only errors")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	cfg, ok := cf.load(stderr)
	if !ok {
		return exitUsage
	}
	level := cfg.LogLevel
	if *quiet {
		level = "error"
	}
	logTo := stderr
	var prog *progress
	if !*quiet && isTerminal(stderr) {
		prog = &progress{w: stderr, total: len(cfg.Feeds)}
		logTo = prog
	}
	logger := newLogger(logTo, level, cfg.LogFormat, cfg.Redactor())
	var observe func(fetcher.Result)
	if prog != nil {
		observe = prog.observe
	}
	a, err := openApp(ctx, cfg, logger, observe)
	if err == nil {
		if err = loadIndex(ctx, a); err != nil {
			a.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed fetch:", err)
		return exitFailure
	}
	defer a.Close()
	rep, err := a.runner.Run(ctx, cfg.DomainFeeds(), *force)
	prog.finish()
	if err != nil {
		fmt.Fprintln(stderr, "wirefeed fetch:", err)
		return exitFailure
	}
	a.maintain(ctx, duration(cfg.Store.Retention))
	if *quiet {
		printChanges(stdout, rep)
	} else {
		printReport(stdout, rep)
	}
	if dir := cmp.Or(*outDir, cfg.Static.Dir); dir != "" {
		if err := writeStatic(ctx, a.feedHandler(), dir, logger); err != nil {
			fmt.Fprintln(stderr, "wirefeed fetch:", err)
			return exitFailure
		}
	}
	if failing(rep) > 0 {
		return exitFailure
	}
	return exitOK
}
