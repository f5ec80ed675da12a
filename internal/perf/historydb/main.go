// Command historydb builds a wirefeed database holding a long generated
// history (see perf.BuildHistory), for scripts that measure start-up,
// memory and search at scale (.ci/bench-scale.sh). With -cache it builds
// into a cache directory once per day and schema and prints the path.
//
//	historydb -items 1000000 -window 100000 -recorded 200000 -cache /tmp/wirefeed-perf
//	historydb -items 20000 -out /tmp/small.db
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/wirefeed/wirefeed/internal/perf"
)

func main() {
	items := flag.Int("items", 1_000_000, "items stored")
	window := flag.Int("window", 0, "of which first seen in the last 40 hours (default items/10)")
	feeds := flag.Int("feeds", 200, "feeds (named as the generated corpus names its outlets)")
	recorded := flag.Int("recorded", 0, "items stored through Record (the window's first); the other old ones are copied in SQL (default: all recorded)")
	out := flag.String("out", "", "database to create (must not exist)")
	cache := flag.String("cache", "", "build into this cache directory unless built there today, and print the path")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	o := perf.HistoryOptions{Items: *items, Window: *window, Feeds: *feeds, Recorded: *recorded, Logger: logger}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	switch {
	case *cache != "":
		path, err := perf.CachedHistory(ctx, *cache, o)
		if err != nil {
			fmt.Fprintln(os.Stderr, "historydb:", err)
			os.Exit(1)
		}
		fmt.Println(path)
	case *out != "":
		if _, err := os.Stat(*out); err == nil {
			fmt.Fprintf(os.Stderr, "historydb: %s exists\n", *out)
			os.Exit(2)
		}
		if err := perf.BuildHistory(ctx, *out, o); err != nil {
			fmt.Fprintln(os.Stderr, "historydb:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "historydb: give -out FILE or -cache DIR")
		os.Exit(2)
	}
}
