package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

func TestBackoff(t *testing.T) {
	b := Backoff{Min: 5 * time.Minute, Max: 6 * time.Hour}
	wantBase := []time.Duration{5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 40 * time.Minute, 80 * time.Minute, 160 * time.Minute, 320 * time.Minute, 6 * time.Hour, 6 * time.Hour}
	for i, want := range wantBase {
		n := i + 1
		if got := b.Base(n); got != want {
			t.Errorf("Base(%d) = %v, want %v", n, got, want)
		}
		if lo, hi := b.Delay(n, 0), b.Delay(n, 0.999999); lo != want/2 || hi > want || hi < want-time.Second {
			t.Errorf("Delay(%d, 0..1) spans %v..%v, want %v..%v", n, lo, hi, want/2, want)
		}
	}
	if got := b.Base(1000); got != 6*time.Hour {
		t.Errorf("Base(1000) = %v, want the 6h cap (a feed is never disabled)", got)
	}
	if got := (Backoff{}).Base(1); got != DefaultBackoffMin {
		t.Errorf("zero Backoff Base(1) = %v, want %v", got, DefaultBackoffMin)
	}
}

func TestSpreadOffset(t *testing.T) {
	const window = time.Minute
	seen := map[time.Duration]bool{}
	for i := range 200 {
		name := fmt.Sprintf("feed %d", i)
		off := spreadOffset(name, window)
		if off < 0 || off >= window {
			t.Fatalf("spreadOffset(%q) = %v, outside [0, %v)", name, off, window)
		}
		if off != spreadOffset(name, window) {
			t.Fatalf("spreadOffset(%q) is not stable", name)
		}
		seen[off/time.Second] = true
	}
	// 200 feeds over 60 one-second slots should touch most of them.
	if len(seen) < 40 {
		t.Errorf("200 feeds used only %d of 60 one-second slots", len(seen))
	}
	if spreadOffset("x", 0) != 0 {
		t.Error("spreadOffset with no window is not zero")
	}
}

// testServer serves feeds by path and records, per host, how many requests
// run at once.
type testServer struct {
	*httptest.Server
	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	hits     map[string]int // by path
	active   map[string]int // by host
	maxHost  map[string]int
	total    int
	maxTotal int
}

func newTestServer(t testing.TB) *testServer {
	s := &testServer{handlers: map[string]http.HandlerFunc{}, hits: map[string]int{}, active: map[string]int{}, maxHost: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(r.Host)
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.active[host]++
		s.total++
		s.maxHost[host] = max(s.maxHost[host], s.active[host])
		s.maxTotal = max(s.maxTotal, s.total)
		h := s.handlers[r.URL.Path]
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.active[host]--
			s.total--
			s.mu.Unlock()
		}()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	s.handlers[path] = h
	s.mu.Unlock()
}

func (s *testServer) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// url returns the URL of path on the test server under a host name of our
// choosing (every name resolves to the server).
func (s *testServer) url(host, path string) string {
	u, _ := url.Parse(s.URL)
	return "http://" + host + ":" + u.Port() + path
}

func serveBytes(body []byte, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Write(body)
	}
}

func newTestRunner(t testing.TB, st Store, c *clock, opts RunnerOptions) *Runner {
	t.Helper()
	client := NewClient(ClientOptions{AllowPrivate: true, Resolve: anyHostToLoopback, Timeout: 5 * time.Second})
	t.Cleanup(client.CloseIdleConnections)
	if c != nil {
		opts.Now = c.Now
	}
	opts.Logger = quietLogger
	if opts.Rand == nil {
		opts.Rand = func() float64 { return 0 }
	}
	return NewRunner(client, st, opts)
}

func TestRunnerLimitsConcurrency(t *testing.T) {
	srv := newTestServer(t)
	var feeds []wirefeed.Feed
	for _, host := range []string{"a.test", "b.test", "c.test"} {
		for i := range 6 {
			path := fmt.Sprintf("/%s/%d", host, i)
			srv.handle(path, func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(40 * time.Millisecond)
				w.Write(rssDoc("F", strings.ReplaceAll(path[1:], "/", "-"), 1))
			})
			feeds = append(feeds, wirefeed.Feed{Name: path, URL: srv.url(host, path)})
		}
	}
	st := wirefeedtest.NewStore(nil)
	r := newTestRunner(t, st, nil, RunnerOptions{Concurrency: 4, PerHost: 2})
	rep, err := r.Run(context.Background(), feeds, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Count(Fetched); n != len(feeds) {
		t.Fatalf("fetched %d of %d feeds: %+v", n, len(feeds), rep.Results)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for host, n := range srv.maxHost {
		if n > 2 {
			t.Errorf("host %s served %d requests at once, want at most 2", host, n)
		}
	}
	if srv.maxTotal > 4 {
		t.Errorf("%d requests at once, want at most 4", srv.maxTotal)
	}
	// The limits must not serialise more than they say: with 3 hosts and
	// 40 ms per request, 4 at once is reached.
	if srv.maxTotal < 4 {
		t.Errorf("at most %d requests at once, want the global limit of 4 reached", srv.maxTotal)
	}
}

func TestRunnerSpreadsScheduledCycles(t *testing.T) {
	srv := newTestServer(t)
	var mu sync.Mutex
	start := map[string]time.Time{}
	var feeds []wirefeed.Feed
	for i := range 8 {
		path := fmt.Sprintf("/s%d", i)
		name := fmt.Sprintf("spread feed %d", i)
		srv.handle(path, func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			start[name] = time.Now()
			mu.Unlock()
			w.Write(rssDoc("F", fmt.Sprintf("s%d", i), 1))
		})
		feeds = append(feeds, wirefeed.Feed{Name: name, URL: srv.url(fmt.Sprintf("h%d.test", i), path)})
	}
	// The window is long enough that the bounds below are gross ones: a
	// busy CI machine must not make this test fail.
	const window = 2 * time.Second
	r := newTestRunner(t, wirefeedtest.NewStore(nil), nil, RunnerOptions{Concurrency: 8})
	began := time.Now()
	rep, err := r.RunCycle(context.Background(), feeds, CycleOptions{Spread: window})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count(Fetched) != len(feeds) {
		t.Fatalf("results: %+v", rep.Results)
	}
	mu.Lock()
	for _, f := range feeds {
		off := spreadOffset(f.Name, window)
		if got := start[f.Name].Sub(began); got < off {
			t.Errorf("feed %q started after %v, before its offset %v", f.Name, got, off)
		}
	}
	mu.Unlock()
	if took := time.Since(began); took > 5*window {
		t.Errorf("cycle took %v for a %v window", took, window)
	}

	// A one-off run (wirefeed fetch) does not wait.
	began = time.Now()
	if _, err := r.Run(context.Background(), feeds, true); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > window/2 {
		t.Errorf("unspread run took %v, want no spread delay", took)
	}
}

func TestRunnerFeedHealth(t *testing.T) {
	srv := newTestServer(t)
	failing := true
	srv.handle("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if failing {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		w.Write(rssDoc("Flaky", "flaky", 2))
	})
	feed := wirefeed.Feed{Name: "Flaky", URL: srv.url("flaky.test", "/flaky")}
	st := wirefeedtest.NewStore(nil)
	c := newClock()
	r := newTestRunner(t, st, c, RunnerOptions{Backoff: Backoff{Min: time.Minute, Max: time.Hour}})
	ctx := context.Background()

	var lastDue time.Time
	for n := 1; n <= 3; n++ {
		rep, err := r.Run(ctx, []wirefeed.Feed{feed}, false)
		if err != nil {
			t.Fatal(err)
		}
		res := resultOf(t, rep, "Flaky")
		if res.Status != Failed || res.HTTP != 500 {
			t.Fatalf("attempt %d: %+v, want failed with HTTP 500", n, res)
		}
		fs := feedStates(t, st)["Flaky"]
		// Rand is 0: the wait is half the base, Min·2^(n-1)/2.
		wantDue := c.Now().Add(time.Minute << (n - 1) / 2)
		if fs.ConsecutiveErrors != n || fs.LastStatus != 500 || !fs.NextDue.Equal(wantDue) ||
			fs.NextDueReason != wirefeed.NextDueBackoff || !fs.LastSuccess.IsZero() ||
			!strings.Contains(fs.LastError, "HTTP 500") || !strings.Contains(fs.LastError, `"Flaky"`) {
			t.Fatalf("attempt %d: state %+v; want %d errors, next due %v (backoff), HTTP 500 error naming the feed", n, fs, n, wantDue)
		}
		if !fs.NextDue.After(lastDue) {
			t.Errorf("attempt %d: next due %v did not grow from %v", n, fs.NextDue, lastDue)
		}
		lastDue = fs.NextDue

		// Before the next attempt is due, the feed is skipped and says why.
		rep, _ = r.Run(ctx, []wirefeed.Feed{feed}, false)
		if res := resultOf(t, rep, "Flaky"); res.Status != Skipped || !strings.Contains(res.Reason, "backing off after") {
			t.Fatalf("attempt %d: run before due = %+v, want skipped while backing off", n, res)
		}
		c.Advance(fs.NextDue.Sub(c.Now()))
	}

	failing = false
	rep, _ := r.Run(ctx, []wirefeed.Feed{feed}, false)
	if res := resultOf(t, rep, "Flaky"); res.Status != Fetched || res.New != 2 {
		t.Fatalf("recovery run = %+v, want fetched with 2 new items", res)
	}
	fs := feedStates(t, st)["Flaky"]
	if fs.ConsecutiveErrors != 0 || fs.LastError != "" || !fs.LastSuccess.Equal(c.Now()) || fs.Items != 2 || fs.Title != "Flaky" {
		t.Errorf("state after recovery = %+v", fs)
	}
}

func TestRunnerSkipsAndForce(t *testing.T) {
	srv := newTestServer(t)
	srv.handle("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	srv.handle("/ok", serveBytes(rssDoc("OK", "ok", 1)))
	gone := wirefeed.Feed{Name: "Gone", URL: srv.url("gone.test", "/gone")}
	ok := wirefeed.Feed{Name: "OK", URL: srv.url("ok.test", "/ok")}
	st := wirefeedtest.NewStore(nil)
	c := newClock()
	r := newTestRunner(t, st, c, RunnerOptions{})
	ctx := context.Background()

	rep, _ := r.Run(ctx, []wirefeed.Feed{gone, ok}, false)
	if res := resultOf(t, rep, "Gone"); res.Status != Failed || res.HTTP != 410 {
		t.Fatalf("first run: %+v", res)
	}
	if fs := feedStates(t, st)["Gone"]; !fs.Gone {
		t.Fatalf("state %+v, want gone", fs)
	}
	c.Advance(48 * time.Hour) // long past any backoff: gone is not backoff
	rep, _ = r.Run(ctx, []wirefeed.Feed{gone, ok}, false)
	if res := resultOf(t, rep, "Gone"); res.Status != Skipped || !strings.Contains(res.Reason, "gone (HTTP 410)") {
		t.Errorf("later run: %+v, want skipped as gone", res)
	}
	if res := resultOf(t, rep, "OK"); res.Status != NotModified {
		t.Errorf("other feed: %+v, want not modified (same bytes)", res)
	}
	hits := srv.hitCount("/gone")
	rep, _ = r.Run(ctx, []wirefeed.Feed{gone, ok}, true)
	if res := resultOf(t, rep, "Gone"); res.Status != Failed || srv.hitCount("/gone") != hits+1 {
		t.Errorf("forced run: %+v, want the gone feed attempted again", res)
	}

	// A new URL in the config brings a gone feed back.
	srv.handle("/back", serveBytes(rssDoc("Back", "back", 1)))
	moved := wirefeed.Feed{Name: "Gone", URL: srv.url("gone.test", "/back")}
	if _, err := st.SyncFeeds(ctx, []wirefeed.Feed{moved, ok}); err != nil {
		t.Fatal(err)
	}
	rep, _ = r.Run(ctx, []wirefeed.Feed{moved, ok}, false)
	if res := resultOf(t, rep, "Gone"); res.Status != Fetched {
		t.Errorf("after the config URL changed: %+v, want fetched", res)
	}
}

func TestRunnerRetryAfterPausesHost(t *testing.T) {
	c := newClock()
	forms := []struct {
		name, value string
		want        time.Duration
	}{
		{"seconds", "600", 10 * time.Minute},
		{"HTTP-date", c.Now().Add(20 * time.Minute).Format(http.TimeFormat), 20 * time.Minute},
	}
	for _, form := range forms {
		for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
			t.Run(fmt.Sprintf("%d %s", status, form.name), func(t *testing.T) {
				srv := newTestServer(t)
				srv.handle("/limited", func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Date", c.Now().Format(http.TimeFormat)) // the server's clock
					w.Header().Set("Retry-After", form.value)
					w.WriteHeader(status)
				})
				srv.handle("/sibling1", serveBytes(rssDoc("S1", "s1", 1)))
				srv.handle("/sibling2", serveBytes(rssDoc("S2", "s2", 1)))
				srv.handle("/elsewhere", serveBytes(rssDoc("E", "e", 1)))
				feeds := []wirefeed.Feed{
					{Name: "Limited", URL: srv.url("busy.test", "/limited")},
					{Name: "Sibling 1", URL: srv.url("busy.test", "/sibling1")},
					{Name: "Sibling 2", URL: srv.url("BUSY.test", "/sibling2")},
					{Name: "Elsewhere", URL: srv.url("calm.test", "/elsewhere")},
				}
				st := wirefeedtest.NewStore(nil)
				clk := &clock{t: c.Now()}
				// One fetch at a time, so the limited feed answers before
				// its siblings are taken from the queue.
				r := newTestRunner(t, st, clk, RunnerOptions{Concurrency: 1})
				ctx := context.Background()
				rep, err := r.Run(ctx, feeds, false)
				if err != nil {
					t.Fatal(err)
				}
				until := clk.Now().Add(form.want)
				if res := resultOf(t, rep, "Limited"); res.Status != Failed || res.HTTP != status || !res.NextDue.Equal(until) {
					t.Errorf("limited feed: %+v, want failed with next due %v", res, until)
				}
				for _, name := range []string{"Sibling 1", "Sibling 2"} {
					if res := resultOf(t, rep, name); res.Status != Skipped || !strings.Contains(res.Reason, "host busy.test") {
						t.Errorf("%s: %+v, want skipped because its host asked to wait", name, res)
					}
				}
				if res := resultOf(t, rep, "Elsewhere"); res.Status != Fetched {
					t.Errorf("feed on another host: %+v, want fetched", res)
				}
				if fs := feedStates(t, st)["Limited"]; fs.NextDueReason != wirefeed.NextDueRetryAfter || !fs.NextDue.Equal(until) {
					t.Errorf("limited feed state: %+v", fs)
				}

				// A later process (wirefeed fetch from cron) honours it too.
				clk.Advance(form.want / 2)
				r2 := newTestRunner(t, st, clk, RunnerOptions{})
				rep, _ = r2.Run(ctx, feeds, false)
				for _, name := range []string{"Limited", "Sibling 1", "Sibling 2"} {
					if res := resultOf(t, rep, name); res.Status != Skipped {
						t.Errorf("second process, %s: %+v, want skipped", name, res)
					}
				}
				if n := srv.hitCount("/sibling1") + srv.hitCount("/sibling2"); n != 0 {
					t.Errorf("siblings were requested %d times during the pause", n)
				}
				// --force fetches anyway; after the pause all are due again.
				rep, _ = r2.Run(ctx, feeds, true)
				if res := resultOf(t, rep, "Sibling 1"); res.Status != Fetched || srv.hitCount("/sibling1") != 1 {
					t.Errorf("forced: %+v, want fetched", res)
				}
				clk.Advance(form.want)
				srv.handle("/limited", serveBytes(rssDoc("L", "l", 1)))
				rep, _ = r2.Run(ctx, feeds, false)
				if res := resultOf(t, rep, "Limited"); res.Status != Fetched {
					t.Errorf("after the pause: %+v, want fetched", res)
				}
			})
		}
	}
}

func TestRunner503WithoutRetryAfterIsFeedBackoffOnly(t *testing.T) {
	srv := newTestServer(t)
	srv.handle("/down", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
	srv.handle("/up", serveBytes(rssDoc("Up", "up", 1)))
	feeds := []wirefeed.Feed{{Name: "Down", URL: srv.url("h.test", "/down")}, {Name: "Up", URL: srv.url("h.test", "/up")}}
	r := newTestRunner(t, wirefeedtest.NewStore(nil), newClock(), RunnerOptions{Concurrency: 1})
	rep, _ := r.Run(context.Background(), feeds, false)
	if res := resultOf(t, rep, "Up"); res.Status != Fetched {
		t.Errorf("sibling of a plain 503: %+v, want fetched", res)
	}
}

func TestRunnerFollowsPermanentMoves(t *testing.T) {
	tests := []struct {
		code      int
		wantMoved bool
	}{
		{http.StatusMovedPermanently, true},
		{http.StatusPermanentRedirect, true},
		{http.StatusFound, false},
		{http.StatusTemporaryRedirect, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			srv := newTestServer(t)
			newURL := srv.url("new.test", "/new")
			srv.handle("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, newURL, tt.code) })
			srv.handle("/new", serveBytes(rssDoc("Moved", "moved", 1)))
			feed := wirefeed.Feed{Name: "Mover", URL: srv.url("old.test", "/old")}
			st := wirefeedtest.NewStore(nil)
			c := newClock()
			r := newTestRunner(t, st, c, RunnerOptions{})
			if rep, _ := r.Run(context.Background(), []wirefeed.Feed{feed}, false); rep.Count(Fetched) != 1 {
				t.Fatalf("first run: %+v", rep.Results)
			}
			fs := feedStates(t, st)["Mover"]
			wantURL := feed.URL
			if tt.wantMoved {
				wantURL = newURL
			}
			if fs.URL != wantURL || fs.ConfigURL != feed.URL {
				t.Errorf("stored URL, config URL = %q, %q; want %q, %q", fs.URL, fs.ConfigURL, wantURL, feed.URL)
			}
			c.Advance(time.Hour)
			rep, _ := r.Run(context.Background(), []wirefeed.Feed{feed}, false)
			if res := resultOf(t, rep, "Mover"); res.URL != wantURL {
				t.Errorf("second run fetched %q, want %q", res.URL, wantURL)
			}
			wantOldHits := 2
			if tt.wantMoved {
				wantOldHits = 1
			}
			if n := srv.hitCount("/old"); n != wantOldHits {
				t.Errorf("old URL requested %d times, want %d", n, wantOldHits)
			}
		})
	}
}

func TestRunnerSameBytesNotParsedAgain(t *testing.T) {
	srv := newTestServer(t)
	body := rssDoc("Static", "static", 3)
	srv.handle("/static", func(w http.ResponseWriter, r *http.Request) { w.Write(body) }) // no validators
	feed := wirefeed.Feed{Name: "Static", URL: srv.url("static.test", "/static")}
	st := wirefeedtest.NewStore(nil)
	r := newTestRunner(t, st, newClock(), RunnerOptions{})
	ctx := context.Background()
	rep, _ := r.Run(ctx, []wirefeed.Feed{feed}, false)
	if res := resultOf(t, rep, "Static"); res.Status != Fetched || res.Items != 3 || res.New != 3 {
		t.Fatalf("first run: %+v", res)
	}
	first := feedStates(t, st)["Static"]
	if first.BodyHash == "" {
		t.Fatal("no body hash stored")
	}
	rep, _ = r.Run(ctx, []wirefeed.Feed{feed}, false)
	if res := resultOf(t, rep, "Static"); res.Status != NotModified || res.Items != 0 {
		t.Errorf("same bytes again: %+v, want not modified with nothing parsed", res)
	}
	body = rssDoc("Static", "static", 4)
	rep, _ = r.Run(ctx, []wirefeed.Feed{feed}, false)
	if res := resultOf(t, rep, "Static"); res.Status != Fetched || res.New != 1 {
		t.Errorf("changed bytes: %+v, want fetched with 1 new item", res)
	}
}

func TestRunnerCacheHints(t *testing.T) {
	ttlFeed := strings.Replace(string(rssDoc("TTL", "ttl", 1)), "<channel>", "<channel><ttl>30</ttl>", 1)
	tests := []struct {
		name     string
		header   []string
		body     string
		maxCache time.Duration
		want     time.Duration // 0: no hint, due on the schedule
	}{
		{"max-age", []string{"Cache-Control", "max-age=600"}, string(rssDoc("A", "a", 1)), 0, 10 * time.Minute},
		{"Expires", []string{"Expires", "Wed, 14 Jun 2023 12:20:00 GMT", "Date", "Wed, 14 Jun 2023 12:00:00 GMT"}, string(rssDoc("A", "a", 1)), 0, 20 * time.Minute},
		{"RSS ttl", nil, ttlFeed, 0, 30 * time.Minute},
		{"larger of ttl and max-age", []string{"Cache-Control", "max-age=3600"}, ttlFeed, 0, time.Hour},
		{"capped by config", []string{"Cache-Control", "max-age=86400"}, string(rssDoc("A", "a", 1)), 90 * time.Minute, 90 * time.Minute},
		{"ignored when disabled", []string{"Cache-Control", "max-age=600"}, ttlFeed, -1, 0},
		{"no-cache", []string{"Cache-Control", "no-cache"}, string(rssDoc("A", "a", 1)), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t)
			srv.handle("/f", serveBytes([]byte(tt.body), tt.header...))
			feed := wirefeed.Feed{Name: "Hinted", URL: srv.url("h.test", "/f")}
			st := wirefeedtest.NewStore(nil)
			c := newClock()
			r := newTestRunner(t, st, c, RunnerOptions{MaxCacheInterval: tt.maxCache})
			ctx := context.Background()
			r.Run(ctx, []wirefeed.Feed{feed}, false)
			fs := feedStates(t, st)["Hinted"]
			if tt.want == 0 {
				if !fs.NextDue.IsZero() {
					t.Errorf("next due %v (%s), want none", fs.NextDue, fs.NextDueReason)
				}
				return
			}
			if want := c.Now().Add(tt.want); !fs.NextDue.Equal(want) || fs.NextDueReason != wirefeed.NextDueCache {
				t.Fatalf("next due %v (%s), want %v (cache)", fs.NextDue, fs.NextDueReason, want)
			}
			c.Advance(tt.want / 2)
			rep, _ := r.Run(ctx, []wirefeed.Feed{feed}, false)
			if res := resultOf(t, rep, "Hinted"); res.Status != Skipped || !strings.Contains(res.Reason, "not to refetch") {
				t.Errorf("run within the interval: %+v, want skipped", res)
			}
			// A tick a few seconds early (the previous fetch waited in
			// the queue) still fetches.
			c.Advance(tt.want/2 - 5*time.Second)
			rep, _ = r.Run(ctx, []wirefeed.Feed{feed}, false)
			if res := resultOf(t, rep, "Hinted"); res.Status == Skipped {
				t.Errorf("run 5s before the interval ends: %+v, want it fetched", res)
			}
		})
	}

	t.Run("ttl remembered across 304", func(t *testing.T) {
		srv := newTestServer(t)
		srv.handle("/f", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"1"`)
			if r.Header.Get("If-None-Match") == `"1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Write([]byte(ttlFeed))
		})
		feed := wirefeed.Feed{Name: "TTL", URL: srv.url("h.test", "/f")}
		st := wirefeedtest.NewStore(nil)
		c := newClock()
		r := newTestRunner(t, st, c, RunnerOptions{})
		r.Run(context.Background(), []wirefeed.Feed{feed}, false)
		c.Advance(time.Hour)
		rep, _ := r.Run(context.Background(), []wirefeed.Feed{feed}, false)
		if res := resultOf(t, rep, "TTL"); res.Status != NotModified {
			t.Fatalf("second run: %+v, want 304", res)
		}
		if fs := feedStates(t, st)["TTL"]; fs.MinInterval != 30*time.Minute || !fs.NextDue.Equal(c.Now().Add(30*time.Minute)) {
			t.Errorf("after 304: min interval %v, next due %v; want 30m and %v", fs.MinInterval, fs.NextDue, c.Now().Add(30*time.Minute))
		}
	})
}

func TestRunnerCancelled(t *testing.T) {
	srv := newTestServer(t)
	release := make(chan struct{})
	srv.handle("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	var feeds []wirefeed.Feed
	for i := range 5 {
		feeds = append(feeds, wirefeed.Feed{Name: fmt.Sprint("slow ", i), URL: srv.url("slow.test", "/slow")})
	}
	r := newTestRunner(t, wirefeedtest.NewStore(nil), nil, RunnerOptions{Concurrency: 2, PerHost: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rep, err := r.Run(ctx, feeds, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Count(Failed); n != len(feeds) {
		t.Errorf("%d of %d failed after cancellation: %+v", n, len(feeds), rep.Results)
	}
	for _, res := range rep.Results {
		if res.Err == nil {
			t.Errorf("%s: no error after cancellation", res.Feed)
		}
	}
}

// The store is a Store.
var _ Store = (*store.Store)(nil)

// TestRunnerDrainStopsNewStarts: a drained cycle starts no more fetches;
// feeds waiting out their spread are reported skipped at once, not failed,
// so SIGTERM is not held up by a schedule's jitter.
func TestRunnerDrainStopsNewStarts(t *testing.T) {
	srv := newTestServer(t)
	var feeds []wirefeed.Feed
	for i := range 5 {
		path := fmt.Sprintf("/later%d", i)
		srv.handle(path, serveBytes(rssDoc("Later", fmt.Sprintf("later%d", i), 1)))
		feeds = append(feeds, wirefeed.Feed{Name: fmt.Sprintf("later %d", i), URL: srv.url(fmt.Sprintf("l%d.test", i), path)})
	}
	r := newTestRunner(t, wirefeedtest.NewStore(nil), nil, RunnerOptions{Concurrency: 8})
	drain, stop := context.WithCancel(context.Background())
	done := make(chan Report, 1)
	go func() {
		// Every feed waits out a spread offset of up to a day.
		rep, err := r.RunCycle(context.Background(), feeds, CycleOptions{Spread: 24 * time.Hour, Drain: drain})
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	time.Sleep(50 * time.Millisecond)
	stop()
	var rep Report
	select {
	case rep = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a drained cycle did not return")
	}
	for _, res := range rep.Results {
		if res.Status != Skipped || res.Reason != "not started: shutting down" {
			t.Errorf("%s: %s (%q, %v), want skipped as not started", res.Feed, res.Status, res.Reason, res.Err)
		}
	}
	for i := range 5 {
		if n := srv.hitCount(fmt.Sprintf("/later%d", i)); n != 0 {
			t.Errorf("/later%d fetched %d times after the drain, want none", i, n)
		}
	}
}

// failingItemsStore fails every Record that carries items, as a store does
// when its transaction cannot commit.
type failingItemsStore struct{ Store }

func (s failingItemsStore) Record(ctx context.Context, o *wirefeed.Outcome) (wirefeed.RecordResult, error) {
	if len(o.Items) > 0 {
		return wirefeed.RecordResult{}, errors.New("database is locked")
	}
	return s.Store.Record(ctx, o)
}

// TestRunnerRecordsAFailureToStore: when storing a fetched document fails,
// the feed is still recorded as failing, with the error and a backoff.
func TestRunnerRecordsAFailureToStore(t *testing.T) {
	srv := newTestServer(t)
	srv.handle("/f", serveBytes(rssDoc("F", "f", 2), "ETag", `"v1"`))
	st := wirefeedtest.NewStore(nil)
	c := newClock()
	r := newTestRunner(t, failingItemsStore{st}, c, RunnerOptions{Backoff: Backoff{Min: time.Minute, Max: time.Hour}})
	f := wirefeed.Feed{Name: "F", URL: srv.url("f.test", "/f")}
	rep, err := r.Run(context.Background(), []wirefeed.Feed{f}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res := rep.Results[0]; res.Status != Failed || !strings.Contains(res.Err.Error(), "database is locked") {
		t.Fatalf("result %+v, want failed with the store's error", res)
	}
	states, err := st.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := states["F"]
	if got.ConsecutiveErrors != 1 || !strings.Contains(got.LastError, "storing the fetched items: database is locked") ||
		!got.NextDue.After(c.Now()) || got.ETag != "" {
		t.Errorf("feed state after a failed store: %+v; want one failure, the error, a backoff and no validators", got)
	}
}
