package main

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/fetcher"
)

// unset makes a fixture path answer 404.
func (fs *fixtureServer) unset(path string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	delete(fs.files, path)
}

// TestFetchQuietAndExitStatus runs fetch as cron would: --quiet prints a
// feed only when its state changes, and the exit status is 1 for as long
// as a feed is failing, also while it is skipped backing off.
func TestFetchQuietAndExitStatus(t *testing.T) {
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	fx.unset("/b/feed.atom")

	steps := []struct {
		name   string
		args   []string
		before func()
		code   int
		out    []string // lines of stdout, each by its prefix; nil: empty
	}{
		{"B fails: newly failing", []string{"--quiet"}, nil, exitFailure, []string{"failing  Outlet B  HTTP 404 Not Found"}},
		{"B backing off: nothing new, still failing", []string{"--quiet"}, nil, exitFailure, nil},
		{"the full report lists the skipped feed", nil, nil, exitFailure, []string{"skipped  Outlet B  backing off after 1 consecutive failures", "3 feeds: 0 fetched, 2 not modified, 1 skipped, 0 failed"}},
		{"B back, forced: recovered", []string{"--quiet", "--force"}, func() { fx.set("/b/feed.atom", "outlet-b.atom") }, exitOK, []string{"recovered  Outlet B  after 1 failed attempts"}},
		{"all well: silent", []string{"--quiet"}, nil, exitOK, nil},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		code, out, errOut := cli(t, append([]string{"fetch", "-config", cfgPath}, s.args...)...)
		if code != s.code {
			t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", s.name, code, s.code, out, errOut)
		}
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		if out == "" {
			lines = nil
		}
		if len(lines) != len(s.out) {
			t.Errorf("%s: stdout\n%s\nwant %d lines", s.name, out, len(s.out))
			continue
		}
		for i, want := range s.out {
			if !strings.HasPrefix(strings.Join(strings.Fields(lines[i]), "  "), strings.Join(strings.Fields(want), "  ")) {
				t.Errorf("%s: line %d = %q, want %q...", s.name, i+1, lines[i], want)
			}
		}
		if slices.Contains(s.args, "--quiet") && errOut != "" {
			t.Errorf("%s: --quiet wrote to stderr: %s", s.name, errOut)
		}
	}
}

// TestPrintChanges covers every change --quiet reports, gone included.
func TestPrintChanges(t *testing.T) {
	wasFailing := wirefeed.FeedState{ConsecutiveErrors: 3}
	rep := fetcher.Report{Results: []fetcher.Result{
		{Feed: "Healthy", Status: fetcher.Fetched},
		{Feed: "New failure", Status: fetcher.Failed, Err: errors.New("HTTP 500")},
		{Feed: "Still failing", Status: fetcher.Failed, Err: errors.New("HTTP 500"), Before: wasFailing},
		{Feed: "Backing off", Status: fetcher.Skipped, Before: wasFailing},
		{Feed: "Now gone", Status: fetcher.Failed, Gone: true, Err: errors.New("HTTP 410"), Before: wasFailing},
		{Feed: "Still gone", Status: fetcher.Skipped, Gone: true, Before: wirefeed.FeedState{Gone: true}},
		{Feed: "Recovered", Status: fetcher.NotModified, Before: wasFailing},
		{Feed: "Interrupted", Status: fetcher.Failed, Interrupted: true, Err: errors.New("interrupted")},
	}}
	var b bytes.Buffer
	printChanges(&b, rep)
	got := strings.Fields(b.String())
	want := strings.Fields("failing New failure HTTP 500 gone Now gone HTTP 410 recovered Recovered after 3 failed attempts")
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("printChanges:\n%s\nwant the words %q", b.String(), want)
	}
	if n := failing(rep); n != 5 {
		t.Errorf("failing = %d, want 5 (new, still, backing off, now gone, still gone)", n)
	}
}

// TestFetchProgressOnATerminal: with stderr a terminal, fetch shows
// done/total and failures on one line that log lines do not break.
func TestFetchProgressOnATerminal(t *testing.T) {
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	fx.unset("/c/feed.json")
	isTerminal = func(io.Writer) bool { return true }
	defer func() { isTerminal = isTerminalFile }()
	code, _, errOut := cli(t, "fetch", "-config", cfgPath)
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(errOut, "fetching: 3/3 feeds done, 1 failed") {
		t.Errorf("no final progress on stderr:\n%q", errOut)
	}
	// The WARN line for the failure starts on a cleared line.
	i := strings.Index(errOut, "level=WARN")
	if i < 0 {
		t.Fatalf("no WARN line for the failure:\n%q", errOut)
	}
	if start := strings.LastIndex(errOut[:i], "time="); start != 0 && !strings.HasSuffix(errOut[:start], "\r\x1b[K") {
		t.Errorf("log line not written on a cleared line:\n%q", errOut)
	}
	if !strings.HasSuffix(errOut, "\r\x1b[K") {
		t.Errorf("progress line not cleared at the end:\n%q", errOut)
	}
}
