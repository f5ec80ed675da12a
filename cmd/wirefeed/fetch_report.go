package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/wirefeed/wirefeed/fetcher"
)

// printReport prints one line per feed that was not fetched cleanly, then a
// summary line.
func printReport(w io.Writer, rep fetcher.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	newItems := 0
	for _, r := range rep.Results {
		newItems += r.New
		switch r.Status {
		case fetcher.Failed:
			fmt.Fprintf(tw, "FAILED\t%s\t%s\n", r.Feed, r.Cause())
		case fetcher.Skipped:
			why := r.Reason
			if why == "" {
				why = "not due until " + r.NextDue.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "skipped\t%s\t%s\n", r.Feed, why)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "%d feeds: %d fetched, %d not modified, %d skipped, %d failed; %d new items in %s; %d feeds failing\n",
		len(rep.Results), rep.Count(fetcher.Fetched), rep.Count(fetcher.NotModified), rep.Count(fetcher.Skipped),
		rep.Count(fetcher.Failed), newItems, rep.Duration.Round(time.Millisecond), failing(rep))
}

// printChanges prints one line per feed whose state changed in this run:
// newly failing, gone, or recovered. Feeds that stay failing (skipped while
// backing off, or failing again) and feeds that stay healthy print nothing,
// so a cron job run with --quiet mails only when something changed.
func printChanges(w io.Writer, rep fetcher.Report) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range rep.Results {
		if r.Interrupted {
			continue
		}
		before := r.Before
		switch {
		case r.Status == fetcher.Failed && r.Gone && !before.Gone:
			fmt.Fprintf(tw, "gone\t%s\t%s\n", r.Feed, r.Cause())
		case r.Status == fetcher.Failed && !r.Gone && before.ConsecutiveErrors == 0 && !before.Gone:
			fmt.Fprintf(tw, "failing\t%s\t%s\n", r.Feed, r.Cause())
		case (r.Status == fetcher.Fetched || r.Status == fetcher.NotModified) && (before.ConsecutiveErrors > 0 || before.Gone):
			fmt.Fprintf(tw, "recovered\t%s\tafter %d failed attempts\n", r.Feed, before.ConsecutiveErrors)
		}
	}
	tw.Flush()
}

// failing counts the feeds that are failing after a run.
func failing(rep fetcher.Report) int {
	n := 0
	for _, r := range rep.Results {
		if r.Failing() {
			n++
		}
	}
	return n
}

// isTerminal reports whether w is a terminal; tests override it.
var isTerminal = isTerminalFile

func isTerminalFile(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress shows "done/total feeds, failures" on one line of a terminal,
// redrawn as feeds finish. Log lines written through it land above the
// progress line. Its methods are safe for concurrent use and do nothing
// on a nil progress.
type progress struct {
	mu                  sync.Mutex
	w                   io.Writer
	total, done, failed int
	shown, finished     bool
}

// Write writes a log line above the progress line.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	n, err := p.w.Write(b)
	p.draw()
	return n, err
}

// observe counts a feed's result (fetcher.RunnerOptions.Observe).
func (p *progress) observe(r fetcher.Result) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if r.Status == fetcher.Failed {
		p.failed++
	}
	p.clear()
	p.draw()
}

// finish removes the progress line for good.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	p.finished = true
}

func (p *progress) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *progress) draw() {
	if p.finished || p.done == 0 {
		return
	}
	fmt.Fprintf(p.w, "fetching: %d/%d feeds done, %d failed", p.done, p.total, p.failed)
	p.shown = true
}
