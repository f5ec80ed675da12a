// Package clienttest drives the real wirefeed binary with real feed
// readers and a real browser: Debian's python3-feedparser, newsboat,
// xmllint and headless Chromium. The tests run only when
// WIREFEED_CLIENT_TESTS=1 (the .ci/suites scripts set it after installing
// the clients); then a missing client is a failure, not a skip.
package clienttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed/internal/fixtures"
)

// binary is the wirefeed binary built by TestMain.
var binary string

func TestMain(m *testing.M) {
	if os.Getenv("WIREFEED_CLIENT_TESTS") != "1" {
		// Every test skips itself with the reason.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "wirefeed-clienttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "wirefeed")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/wirefeed")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building wirefeed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireClients skips unless the client tests are asked for, and fails
// when they are but a tool is missing.
func requireClients(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("WIREFEED_CLIENT_TESTS") != "1" {
		t.Skip("real-client tests run with WIREFEED_CLIENT_TESTS=1 (set by .ci/suites/30-clients.sh and 40-browser.sh, which install the clients)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: %v", tool, err)
		}
	}
}

// notSport is the main feed's view of the world: the config excludes the
// sport tag globally.
func notSport(outlet string) bool { return outlet != "Sport Desk" }

// daemon is a running `wirefeed serve` over a fixtures world.
type daemon struct {
	world *fixtures.World
	base  string // http://127.0.0.1:port
	dir   string
	log   *bytes.Buffer
	cmd   *exec.Cmd
}

// startDaemon serves the republishing world at round 1 and starts the
// real binary on it, fetching every second.
func startDaemon(t *testing.T) *daemon {
	t.Helper()
	w := fixtures.Republishing(time.Now().UTC().Truncate(time.Hour).Add(-12 * time.Hour))
	w.SetRound(1)
	feeds := httptest.NewServer(w)
	t.Cleanup(feeds.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	d := &daemon{world: w, base: "http://" + addr, dir: t.TempDir(), log: &bytes.Buffer{}}
	// base_url is set as for a static export served publicly: without it
	// the daemon's RSS takes its channel link from each request's host,
	// which a static file cannot.
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `data_dir = %q
schedule = "@every 1s"
allow_private_addresses = true
log_level = "info"

[server]
listen = %q
base_url = %q
title = "wirefeed client test"
max_age = "1h"

[exclude]
tags = ["sport"]

[static]
dir = %q

[[outputs]]
name = "agency"
title = "Agency copy"
include = { tags = ["agency"] }

[[outputs]]
name = "regions"
title = "Europe and Asia"
include = { tags = ["europe", "asia"] }
`, filepath.Join(d.dir, "data"), addr, d.base+"/", d.staticDir())
	for _, o := range w.Outlets {
		var tags []string
		for _, tag := range o.Tags {
			tags = append(tags, fmt.Sprintf("%q", tag))
		}
		fmt.Fprintf(&cfg, "\n[[feeds]]\nname = %q\nurl = %q\ntags = [%s]\n", o.Name, w.URL(feeds.URL, o), strings.Join(tags, ", "))
	}
	cfgPath := filepath.Join(d.dir, "wirefeed.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(binary, "serve", "-config", cfgPath)
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.stop(t) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(d.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("wirefeed serve did not become healthy: %v\n%s", err, d.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// staticDir is where the daemon writes its static export after each cycle.
func (d *daemon) staticDir() string { return filepath.Join(d.dir, "public") }

// stop sends SIGTERM and expects a clean exit.
func (d *daemon) stop(t *testing.T) {
	if d.cmd.ProcessState != nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("wirefeed serve exited with %v\n%s", err, d.log)
		}
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
		t.Errorf("wirefeed serve did not stop within 30s of SIGTERM\n%s", d.log)
	}
}

// get fetches a path from the daemon.
func (d *daemon) get(t *testing.T, path string) ([]byte, http.Header) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", d.base+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v %s", path, resp.StatusCode, err, body)
	}
	return body, resp.Header
}

// jsonStories is what the tests read from /feed.json.
type jsonStories struct {
	Items []struct {
		ID       string `json:"id"`
		Wirefeed struct {
			Members []struct {
				Feed string `json:"feed"`
				GUID string `json:"guid"`
			} `json:"members"`
		} `json:"_wirefeed"`
	} `json:"items"`
}

// storyKey is the fixtures story a member's GUID ("<outlet>-<key>") names.
func storyKey(guid string) string { return guid[strings.LastIndex(guid, "-")+1:] }

// waitRound shows round n and waits until the daemon's main feed holds
// exactly the stories of that round, each with every outlet that carries
// it. It returns the story ids.
func (d *daemon) waitRound(t *testing.T, n int) []string {
	t.Helper()
	d.world.SetRound(n)
	want := d.world.Visible(n, notSport)
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for {
		body, _ := d.get(t, "/feed.json?limit=1000")
		var doc jsonStories
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		var ids []string
		for _, it := range doc.Items {
			ids = append(ids, it.ID)
			for _, m := range it.Wirefeed.Members {
				got[storyKey(m.GUID)]++
			}
		}
		if fmt.Sprint(got) == fmt.Sprint(want) && len(doc.Items) == len(want) {
			return ids
		}
		last = fmt.Sprintf("%d stories, members per story %v; want %d stories, %v", len(doc.Items), got, len(want), want)
		if time.Now().After(deadline) {
			t.Fatalf("round %d: the merged feed never settled: %s\ndaemon log:\n%s", n, last, d.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// outputPaths are every output of the test config in every format.
func outputPaths() []string {
	var out []string
	for _, p := range []string{"/feed", "/feeds/agency", "/feeds/regions"} {
		for _, ext := range []string{"rss", "atom", "json"} {
			out = append(out, p+"."+ext)
		}
	}
	return out
}
