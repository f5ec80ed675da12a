package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed/store"
)

// lockedBuffer collects the daemon's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testDaemon runs serveWith in-process on a config file.
type testDaemon struct {
	addr   string
	logs   *lockedBuffer
	reload chan struct{}
	done   chan error
	cancel context.CancelFunc
}

func startTestDaemon(t *testing.T, cfgPath string) *testDaemon {
	t.Helper()
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &testDaemon{logs: &lockedBuffer{}, reload: make(chan struct{}, 1), done: make(chan error, 1), cancel: cancel}
	ready := make(chan string, 1)
	go func() {
		d.done <- serveWith(ctx, cfg, serveOptions{logger: newLogger(d.logs, "info", "text", cfg.Redactor()), ready: ready, reload: d.reload,
			load: func() (*Config, error) { return LoadConfig(cfgPath) }})
	}()
	select {
	case d.addr = <-ready:
	case err := <-d.done:
		t.Fatalf("serve returned early: %v\n%s", err, d.logs)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-d.done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
		if strings.Contains(d.logs.String(), "level=ERROR") && !t.Failed() {
			for _, l := range strings.Split(d.logs.String(), "\n") {
				if strings.Contains(l, "level=ERROR") && !strings.Contains(l, "config reload refused") {
					t.Errorf("ERROR logged: %s", l)
				}
			}
		}
	})
	return d
}

func (d *testDaemon) get(t *testing.T, path string) (string, int) {
	t.Helper()
	return get(t, "http://"+d.addr+path)
}

// waitFor polls cond until it holds (gross bound: 30 s).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metric returns the value of the series named (with its labels, as the
// text format writes them) in a scrape, or -1.
func metric(scrape, series string) float64 {
	sc := bufio.NewScanner(strings.NewReader(scrape))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, series)), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// setSchedule rewrites a test config's feeds to be fetched every second.
func fastConfig(t *testing.T, cfgPath string, extra string) {
	t.Helper()
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(raw), "allow_private_addresses = true\n", "allow_private_addresses = true\nschedule = \"@every 1s\"\n"+extra, 1)
	s = strings.Replace(s, "[server]\n", "[fetch]\njitter = \"0s\"\n[server]\n", 1)
	if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMetricsMove scrapes /metrics from a running daemon and checks that
// the counters and gauges move with fetches, merges, requests and a
// failing feed.
func TestMetricsMove(t *testing.T) {
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	fastConfig(t, cfgPath, "")
	d := startTestDaemon(t, cfgPath)
	scrape := func() string {
		body, code := d.get(t, "/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d %s", code, body)
		}
		return body
	}
	waitFor(t, "a cycle recorded in the metrics", func() bool {
		return metric(scrape(), "wirefeed_last_cycle_timestamp_seconds") > 0
	})
	m := scrape()
	for series, atLeast := range map[string]float64{
		`wirefeed_fetches_total{result="fetched"}`:  3,
		`wirefeed_items_ingested_total`:             5,
		`wirefeed_items_merged_total{rule="body"}`:  1, // A and B carry the same text under different URLs
		`wirefeed_fetched_bytes_total`:              1000,
		`wirefeed_fetch_duration_seconds_count`:     3,
		`wirefeed_stories`:                          4,
		`wirefeed_items`:                            5,
		`wirefeed_dedupe_index_items`:               5,
		`wirefeed_dedupe_index_bytes`:               1,
		`wirefeed_database_bytes`:                   4096,
		`wirefeed_last_cycle_duration_seconds`:      0,
		`wirefeed_items_merged_total{rule="title"}`: 0,
	} {
		if v := metric(m, series); v < atLeast {
			t.Errorf("%s = %v, want at least %v", series, v, atLeast)
		}
	}
	if v := metric(m, "wirefeed_feeds_failing"); v != 0 {
		t.Errorf("wirefeed_feeds_failing = %v, want 0", v)
	}

	// Requests by format and status; the render cache fills.
	before := metric(m, `wirefeed_http_requests_total{format="atom",status="200"}`)
	for range 3 {
		d.get(t, "/feed.atom")
	}
	d.get(t, "/feed.rss?limit=nope")
	m = scrape()
	if v := metric(m, `wirefeed_http_requests_total{format="atom",status="200"}`); v != max(before, 0)+3 {
		t.Errorf("atom 200 requests = %v, want %v", v, max(before, 0)+3)
	}
	if v := metric(m, `wirefeed_http_requests_total{format="rss",status="400"}`); v != 1 {
		t.Errorf("rss 400 requests = %v, want 1", v)
	}
	if v := metric(m, "wirefeed_render_cache_bytes"); v <= 0 {
		t.Errorf("wirefeed_render_cache_bytes = %v after serving a feed", v)
	}

	// A feed starts failing: the failures and the gauge move.
	fx.unset("/c/feed.json")
	waitFor(t, "the failing feed in the metrics", func() bool {
		m := scrape()
		return metric(m, "wirefeed_feeds_failing") == 1 && metric(m, `wirefeed_fetches_total{result="failed"}`) >= 1
	})
}

// TestReloadOnSignal reloads a running daemon's config: a removed feed is
// no longer fetched and leaves the status page and the source filter (its
// stories stay), a renamed feed keeps its items, a new feed is fetched at
// once, and an invalid config is refused while the old one keeps running.
func TestReloadOnSignal(t *testing.T) {
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json", "/d/feed.json": "outlet-c-2.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	fastConfig(t, cfgPath, "")
	d := startTestDaemon(t, cfgPath)
	waitFor(t, "four stories", func() bool {
		body, _ := d.get(t, "/feed.json")
		return strings.Count(body, `"cluster_id"`) == 4
	})

	// C removed, B renamed, D added with a schedule of its own.
	raw, _ := os.ReadFile(cfgPath)
	cfg := string(raw)
	cfg = regexp.MustCompile(`(?s)\[\[feeds\]\]\nname = "Outlet C"\nurl = "[^"]+"\n`).ReplaceAllString(cfg, "")
	cfg = strings.Replace(cfg, `name = "Outlet B"`, `name = "Outlet Bee"`, 1)
	cfg += fmt.Sprintf("[[feeds]]\nname = \"Outlet D\"\nurl = %q\nschedule = \"@every 2s\"\n", fx.srv.URL+"/d/feed.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	d.reload <- struct{}{}
	waitFor(t, "the reload", func() bool { return strings.Contains(d.logs.String(), `msg="config reloaded"`) })
	waitFor(t, "Outlet D fetched", func() bool {
		body, _ := d.get(t, "/feed.json")
		return strings.Contains(body, `"feed": "Outlet D"`)
	})

	page, _ := d.get(t, "/")
	for _, want := range []string{">Outlet A</bdi></a>", ">Outlet Bee</bdi></a>", ">Outlet D</bdi></a>", `id="unconfigured">1 feed in the database no longer configured`} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(page, ">Outlet C</bdi></a>") || strings.Contains(page, ">Outlet B</bdi></a>") {
		t.Error("status page still lists a removed or renamed feed")
	}
	if _, code := d.get(t, "/feed.json?source=Outlet%20C"); code != http.StatusBadRequest {
		t.Errorf("?source=Outlet C after its removal: %d, want 400", code)
	}
	if body, code := d.get(t, "/feed.json?source=Outlet%20Bee"); code != http.StatusOK || !strings.Contains(body, `"feed": "Outlet Bee"`) {
		t.Errorf("?source=Outlet Bee: %d, want the renamed feed's stories", code)
	}
	if body, _ := d.get(t, "/feed.json"); !strings.Contains(body, `"feed": "Outlet C"`) {
		t.Error("the removed feed's items left the merged feed before retention")
	}

	// The removed feed is not fetched again.
	cfgNow, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	states := func() (c, a time.Time) {
		st, err := store.Open(context.Background(), cfgNow.Database(), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		fs, err := st.FeedStates(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return fs["Outlet C"].LastAttempt, fs["Outlet A"].LastAttempt
	}
	c0, a0 := states()
	waitFor(t, "two more fetches of Outlet A", func() bool {
		_, a := states()
		return a.Sub(a0) >= 2*time.Second
	})
	if c, _ := states(); !c.Equal(c0) {
		t.Errorf("Outlet C fetched after its removal: last attempt %v, then %v", c0, c)
	}

	// An invalid config is refused; the running one stays.
	if err := os.WriteFile(cfgPath, []byte(cfg+"bogus = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d.reload <- struct{}{}
	waitFor(t, "the refusal", func() bool { return strings.Contains(d.logs.String(), "config reload refused") })
	if !strings.Contains(d.logs.String(), "bogus: unknown key") {
		t.Errorf("the refusal does not name the problem:\n%s", d.logs)
	}
	if page, _ := d.get(t, "/"); !strings.Contains(page, ">Outlet Bee</bdi></a>") {
		t.Error("the running config was dropped after a refused reload")
	}
	m, _ := d.get(t, "/metrics")
	if metric(m, `wirefeed_config_reloads_total{result="ok"}`) != 1 || metric(m, `wirefeed_config_reloads_total{result="refused"}`) != 1 {
		t.Errorf("reload metrics:\n%s", grep(m, "reloads"))
	}
}

func grep(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
