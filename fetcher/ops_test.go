package fetcher

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// lines returns the log's lines.
func (s *syncBuffer) lines() []string {
	return strings.Split(strings.TrimSpace(s.String()), "\n")
}

func loggingRunner(t *testing.T, st Store, logs *syncBuffer, opts RunnerOptions) *Runner {
	t.Helper()
	client := NewClient(ClientOptions{AllowPrivate: true, Resolve: anyHostToLoopback, Timeout: 5 * time.Second})
	t.Cleanup(client.CloseIdleConnections)
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Rand = func() float64 { return 0 }
	return NewRunner(client, st, opts)
}

// TestFailureLoggedOnce: a failing fetch is one log line that names the
// feed and the URL once each, and whose next_attempt is the time stored
// for the status page.
func TestFailureLoggedOnce(t *testing.T) {
	srv := newTestServer(t)
	srv.handle("/missing", http.NotFound)
	st := wirefeedtest.NewStore(nil)
	logs := &syncBuffer{}
	r := loggingRunner(t, st, logs, RunnerOptions{Backoff: Backoff{Min: time.Minute, Max: time.Hour}})
	f := wirefeed.Feed{Name: "Broken Feed", URL: srv.url("broken.test", "/missing")}
	if _, err := r.Run(context.Background(), []wirefeed.Feed{f}, false); err != nil {
		t.Fatal(err)
	}
	var about []string
	for _, l := range logs.lines() {
		if strings.Contains(l, "Broken Feed") {
			about = append(about, l)
		}
	}
	if len(about) != 1 {
		t.Fatalf("%d log lines name the feed, want 1:\n%s", len(about), strings.Join(about, "\n"))
	}
	line := about[0]
	if n := strings.Count(line, "Broken Feed"); n != 1 {
		t.Errorf("feed named %d times: %s", n, line)
	}
	if n := strings.Count(line, f.URL); n != 1 {
		t.Errorf("URL named %d times: %s", n, line)
	}
	if !strings.Contains(line, `err="HTTP 404 Not Found"`) {
		t.Errorf("error not logged bare: %s", line)
	}
	due := feedStates(t, st)["Broken Feed"].NextDue
	if want := "next_attempt=" + due.Format(time.RFC3339); !strings.Contains(line, want) {
		t.Errorf("log line %s\ndoes not carry %s, the stored next attempt", line, want)
	}
}

// TestInterruptedFetchLogsNoError: a cycle cancelled while fetches are in
// flight (docker stop) records nothing and logs nothing above debug.
func TestInterruptedFetchLogsNoError(t *testing.T) {
	srv := newTestServer(t)
	started := make(chan struct{}, 4)
	srv.handle("/slow", func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-r.Context().Done()
	})
	st := wirefeedtest.NewStore(nil)
	logs := &syncBuffer{}
	var observed []Result
	var mu sync.Mutex
	r := loggingRunner(t, st, logs, RunnerOptions{Observe: func(res Result) {
		mu.Lock()
		observed = append(observed, res)
		mu.Unlock()
	}})
	feeds := []wirefeed.Feed{{Name: "Slow 1", URL: srv.url("s1.test", "/slow")}, {Name: "Slow 2", URL: srv.url("s2.test", "/slow")}}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		<-started
		cancel()
	}()
	rep, err := r.Run(ctx, feeds, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rep.Results {
		if !res.Interrupted || res.Status != Failed {
			t.Errorf("%s: %+v, want interrupted", res.Feed, res)
		}
	}
	for _, l := range logs.lines() {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") {
			t.Errorf("shutdown logged: %s", l)
		}
	}
	for name, fs := range feedStates(t, st) {
		if fs.ConsecutiveErrors != 0 || fs.LastError != "" {
			t.Errorf("%s recorded as failing after an interrupted fetch: %+v", name, fs)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(observed) != len(feeds) {
		t.Errorf("Observe saw %d results, want %d", len(observed), len(feeds))
	}
}

// TestSchedulerUpdate: feeds removed by Update are not fetched again, new
// feeds are fetched at once, and the others keep their schedule.
func TestSchedulerUpdate(t *testing.T) {
	srv := newTestServer(t)
	for _, p := range []string{"/a", "/b", "/c"} {
		srv.handle(p, serveBytes(rssDoc("F", strings.TrimPrefix(p, "/"), 1)))
	}
	st := wirefeedtest.NewStore(nil)
	r := newTestRunner(t, st, nil, RunnerOptions{})
	a := wirefeed.Feed{Name: "A", URL: srv.url("a.test", "/a")}
	b := wirefeed.Feed{Name: "B", URL: srv.url("b.test", "/b")}
	c := wirefeed.Feed{Name: "C", URL: srv.url("c.test", "/c")}
	s, err := NewScheduler(r, []wirefeed.Feed{a, b}, "@every 1s", quietLogger, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop(5 * time.Second)
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("A and B fetched", func() bool { return srv.hitCount("/a") > 0 && srv.hitCount("/b") > 0 })

	if _, err := s.Update([]wirefeed.Feed{b, c}, "bad spec"); err == nil {
		t.Fatal("Update accepted a bad schedule")
	}
	fresh, err := s.Update([]wirefeed.Feed{b, c}, "@every 1s")
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != 1 || fresh[0].Name != "C" {
		t.Errorf("Update returned %+v as new, want C", fresh)
	}
	aAfter, bAfter := srv.hitCount("/a"), srv.hitCount("/b")
	waitFor("C fetched", func() bool { return srv.hitCount("/c") > 0 })
	// A cycle that was running at the update may still fetch A once.
	waitFor("B fetched twice more", func() bool { return srv.hitCount("/b") >= bAfter+2 })
	if n := srv.hitCount("/a"); n > aAfter+1 {
		t.Errorf("A fetched %d times after it was removed", n-aAfter)
	}
	aSettled, bSettled := srv.hitCount("/a"), srv.hitCount("/b")
	waitFor("B fetched twice more", func() bool { return srv.hitCount("/b") >= bSettled+2 })
	if n := srv.hitCount("/a"); n != aSettled {
		t.Errorf("A fetched %d more times after it was removed", n-aSettled)
	}
}

// TestNextAttempt: the next attempt is the first tick of the feed's
// schedule at or after the time it may be fetched, plus its offset.
func TestNextAttempt(t *testing.T) {
	r := newTestRunner(t, wirefeedtest.NewStore(nil), nil, RunnerOptions{Jitter: 2 * time.Minute})
	f := wirefeed.Feed{Name: "Hourly", URL: "https://h.example/", Schedule: "@hourly"}
	s, err := NewScheduler(r, []wirefeed.Feed{f}, "@every 15m", quietLogger, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(time.Second)
	earliest := time.Now().Add(90 * time.Minute)
	got := s.NextAttempt("Hourly", earliest)
	tick := earliest.Truncate(time.Hour).Add(time.Hour)
	if off := got.Sub(tick); off < 0 || off >= 2*time.Minute {
		t.Errorf("NextAttempt = %v, want the tick %v plus an offset under 2m", got, tick)
	}
	if got := s.NextAttempt("Unknown", earliest); !got.Equal(earliest) {
		t.Errorf("NextAttempt of an unknown feed = %v, want %v", got, earliest)
	}
}
