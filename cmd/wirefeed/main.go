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
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes. Scripts depend on them; keep them stable.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and something failed (feeds, health, config problems)
	exitUsage   = 2 // bad arguments or an unusable config
)

// command is one subcommand. Each runs from a file of its own name
// (serve.go, fetch.go, inspect.go, export.go, explain.go, feeds.go,
// checkconfig.go, healthcheck.go, version.go); what several share lives in
// app.go (the wired pipeline), handler.go (the merged feed's handler),
// flags.go and the config files (config.go: the file's types and loading;
// config_validate.go and config_outputs.go: its checks; config_keys.go:
// where each key is set; config_options.go: the packages' options).
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

// run runs the command named by args[0] and returns the exit code.
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
