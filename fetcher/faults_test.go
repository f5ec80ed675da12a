package fetcher

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"strings"

	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// fault is one way a feed server can misbehave.
type fault struct {
	name string
	// handler serves the faulty feed; nil when url is set.
	handler http.HandlerFunc
	// url, when set, returns the faulty feed's URL (for faults that need
	// their own server: TLS, DNS), adding what must be closed to closers.
	url func(closers *[]func()) string
	// want checks the feed's result and recorded state.
	want func(t *testing.T, res Result, st wirefeed.FeedState)
}

// Limits of the client in the fault tests. The timeout is short, so slow
// faults are fast, yet long enough that a TLS handshake or a healthy fetch
// on a busy machine under the race detector never reaches it (300 ms did).
const (
	faultTimeout = 2 * time.Second
	faultMaxBody = 4 << 20
)

func wantFailed(status int, reason wirefeed.NextDueReason, check func(error) bool, what string) func(*testing.T, Result, wirefeed.FeedState) {
	return func(t *testing.T, res Result, st wirefeed.FeedState) {
		t.Helper()
		if res.Status != Failed || res.Err == nil {
			t.Fatalf("result %+v, want failed", res)
		}
		if !check(res.Err) {
			t.Errorf("error %q, want %s", res.Err, what)
		}
		if !strings.Contains(res.Err.Error(), `feed "Faulty"`) {
			t.Errorf("error %q does not name the feed", res.Err)
		}
		if res.HTTP != status || st.LastStatus != status {
			t.Errorf("HTTP status %d, recorded %d; want %d", res.HTTP, st.LastStatus, status)
		}
		if st.ConsecutiveErrors != 1 || st.LastError != res.Err.Error() || st.NextDue.IsZero() || st.NextDueReason != reason {
			t.Errorf("recorded state %+v; want 1 error, the error text, a next attempt (%s)", st, reason)
		}
		if st.Items != 0 {
			t.Errorf("%d items stored from a failed fetch", st.Items)
		}
	}
}

func is(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }

func mentions(subs ...string) func(error) bool {
	return func(err error) bool {
		for _, s := range subs {
			if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(s)) {
				return true
			}
		}
		return false
	}
}

func statusIs(code int) func(error) bool {
	return func(err error) bool {
		var se *StatusError
		return errors.As(err, &se) && se.StatusCode == code
	}
}

func wantFetched(items int) func(*testing.T, Result, wirefeed.FeedState) {
	return func(t *testing.T, res Result, st wirefeed.FeedState) {
		t.Helper()
		if res.Status != Fetched || res.Err != nil || res.Items != items || res.New != items {
			t.Fatalf("result %+v, want fetched with %d new items", res, items)
		}
		if st.ConsecutiveErrors != 0 || st.Items != items {
			t.Errorf("recorded state %+v", st)
		}
	}
}

// waitUntil sleeps until ctx is done or d has passed.
func waitUntil(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func faults(t *testing.T) []fault {
	feedBody := rssDoc("Faulty", "faulty", 2)
	bomb := compress(t, "gzip", make([]byte, 64<<20))
	var huge, flood strings.Builder
	huge.WriteString(`<rss version="2.0"><channel><title>Huge</title>`)
	for i := range 5000 {
		fmt.Fprintf(&huge, "<item><title>Talks in Geneva, day %d</title><guid>https://huge.example/story/%d</guid><description>Delegates met again.</description></item>", i, i)
	}
	huge.WriteString(`</channel></rss>`)
	hugeBody := []byte(huge.String())
	// Items as small as they can be: far more elements than the
	// document's size accounts for.
	flood.WriteString(`<rss version="2.0"><channel><title>Flood</title>`)
	for i := range 12000 {
		fmt.Fprintf(&flood, "<item><title>t%d</title><guid>g%d</guid></item>", i, i)
	}
	flood.WriteString(`</channel></rss>`)
	floodBody := []byte(flood.String())

	return []fault{
		{name: "slow headers", handler: func(w http.ResponseWriter, r *http.Request) {
			waitUntil(r.Context(), 10*time.Second)
		}, want: wantFailed(0, wirefeed.NextDueBackoff, mentions("timeout", "deadline"), "a timeout")},
		{name: "slow-drip body", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`<rss version="2.0"><channel>`))
			for i := 0; i < 1000 && r.Context().Err() == nil; i++ {
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
				waitUntil(r.Context(), 20*time.Millisecond)
			}
		}, want: wantFailed(200, wirefeed.NextDueBackoff, mentions("reading body"), "a body read timeout")},
		{name: "body over the cap", handler: serveBytes(make([]byte, faultMaxBody+1)),
			want: wantFailed(200, wirefeed.NextDueBackoff, is(ErrBodyTooLarge), "ErrBodyTooLarge")},
		{name: "gzip bomb", handler: serveBytes(bomb, "Content-Encoding", "gzip"),
			want: wantFailed(200, wirefeed.NextDueBackoff, is(ErrBodyTooLarge), "ErrBodyTooLarge")},
		{name: "truncated body", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(feedBody)))
			w.Write(feedBody[:len(feedBody)/2])
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, want: wantFailed(200, wirefeed.NextDueBackoff, mentions("unexpected EOF"), "unexpected EOF")},
		{name: "connection reset", handler: func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // close with RST
			}
			conn.Close()
		}, want: wantFailed(0, wirefeed.NextDueBackoff, mentions("reset", "EOF"), "a reset connection")},
		{name: "wrong content-type", handler: serveBytes(feedBody, "Content-Type", "image/png"),
			want: wantFetched(2)},
		{name: "HTML page instead of a feed", handler: serveBytes([]byte("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>"), "Content-Type", "text/html"),
			want: wantFailed(200, wirefeed.NextDueBackoff, is(ErrNotAFeed), "ErrNotAFeed")},
		{name: "redirect loop", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		}, want: wantFailed(0, wirefeed.NextDueBackoff, is(ErrTooManyRedirects), "ErrTooManyRedirects")},
		{name: "500", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			want: wantFailed(500, wirefeed.NextDueBackoff, statusIs(500), "HTTP 500")},
		{name: "502", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(502) },
			want: wantFailed(502, wirefeed.NextDueBackoff, statusIs(502), "HTTP 502")},
		{name: "503", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			want: wantFailed(503, wirefeed.NextDueBackoff, statusIs(503), "HTTP 503")},
		{name: "429 Retry-After seconds", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7200")
			w.WriteHeader(429)
		}, want: func(t *testing.T, res Result, st wirefeed.FeedState) {
			wantFailed(429, wirefeed.NextDueRetryAfter, statusIs(429), "HTTP 429")(t, res, st)
			if d := st.NextDue.Sub(st.LastAttempt); d != 2*time.Hour {
				t.Errorf("next attempt %v after the last, want the 2h Retry-After", d)
			}
		}},
		{name: "429 Retry-After HTTP-date", handler: func(w http.ResponseWriter, r *http.Request) {
			now := time.Now().UTC().Truncate(time.Second)
			w.Header().Set("Date", now.Format(http.TimeFormat))
			w.Header().Set("Retry-After", now.Add(3*time.Hour).Format(http.TimeFormat))
			w.WriteHeader(429)
		}, want: func(t *testing.T, res Result, st wirefeed.FeedState) {
			wantFailed(429, wirefeed.NextDueRetryAfter, statusIs(429), "HTTP 429")(t, res, st)
			if d := st.NextDue.Sub(st.LastAttempt); d < 3*time.Hour-2*time.Second || d > 3*time.Hour+2*time.Second {
				t.Errorf("next attempt %v after the last, want the 3h Retry-After", d)
			}
		}},
		{name: "404", handler: http.NotFound,
			want: wantFailed(404, wirefeed.NextDueBackoff, statusIs(404), "HTTP 404")},
		{name: "410", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) },
			want: func(t *testing.T, res Result, st wirefeed.FeedState) {
				wantFailed(410, wirefeed.NextDueBackoff, statusIs(410), "HTTP 410")(t, res, st)
				if !st.Gone {
					t.Error("not marked gone")
				}
			}},
		{name: "TLS handshake failure", url: func(closers *[]func()) string {
			// A certificate no one vouches for: the handshake fails.
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(feedBody) }))
			*closers = append(*closers, srv.Close)
			return srv.URL
		}, want: wantFailed(0, wirefeed.NextDueBackoff, mentions("certificate", "tls"), "a TLS error")},
		{name: "unresolvable host", url: func(*[]func()) string { return "http://nxdomain.invalid/feed" },
			want: wantFailed(0, wirefeed.NextDueBackoff, func(err error) bool {
				var dnsErr *net.DNSError
				return errors.As(err, &dnsErr) && dnsErr.IsNotFound
			}, "a DNS not-found error")},
		{name: "empty body", handler: serveBytes(nil),
			want: wantFailed(200, wirefeed.NextDueBackoff, is(ErrNotAFeed), "ErrNotAFeed")},
		{name: "invalid XML", handler: serveBytes([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><item><title <<< >a</title></item></channel></rss>`)),
			want: wantFailed(200, wirefeed.NextDueBackoff, mentions("parsing feed"), "a parse error")},
		{name: "JSON Feed that panics the parser", handler: serveBytes([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[null]}`)),
			want: wantFailed(200, wirefeed.NextDueBackoff, is(ErrParserPanic), "ErrParserPanic")},
		{name: "5,000 items", handler: serveBytes(hugeBody),
			want: wantFetched(DefaultMaxItems)},
		{name: "12,000 tiny items", handler: serveBytes(floodBody),
			want: wantFailed(200, wirefeed.NextDueBackoff, is(ErrTooManyElements), "ErrTooManyElements")},
	}
}

func TestFaults(t *testing.T) {
	for _, f := range faults(t) {
		t.Run(f.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			func() {
				st := wirefeedtest.NewStore(nil)
				srv := httptest.NewServer(f.handler)
				defer srv.Close()
				healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Write(rssDoc("Healthy", strings.Trim(r.URL.Path, "/"), 3))
				}))
				defer healthy.Close()

				faultyURL := srv.URL + "/feed"
				if f.url != nil {
					var closers []func()
					faultyURL = f.url(&closers)
					defer func() {
						for _, c := range closers {
							c()
						}
					}()
				}
				hu, _ := url.Parse(healthy.URL)
				feeds := []wirefeed.Feed{
					{Name: "Healthy before", URL: "http://healthy-a.test:" + hu.Port() + "/a"},
					{Name: "Faulty", URL: faultyURL},
					{Name: "Healthy after", URL: "http://healthy-b.test:" + hu.Port() + "/b"},
				}
				client := NewClient(ClientOptions{
					AllowPrivate: true, Timeout: faultTimeout, MaxBodyBytes: faultMaxBody, MaxRedirects: 3,
					Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
						if strings.HasPrefix(host, "nxdomain") {
							return nil, errors.New("no such host")
						}
						return anyHostToLoopback(ctx, host)
					},
				})
				defer client.CloseIdleConnections()
				r := NewRunner(client, st, RunnerOptions{Logger: quietLogger, Rand: func() float64 { return 0 }})
				rep, err := r.Run(context.Background(), feeds, false)
				if err != nil {
					t.Fatal(err)
				}
				states := feedStates(t, st)
				f.want(t, resultOf(t, rep, "Faulty"), states["Faulty"])
				t.Logf("recorded: status %d, error %q", states["Faulty"].LastStatus, states["Faulty"].LastError)
				for _, name := range []string{"Healthy before", "Healthy after"} {
					if res := resultOf(t, rep, name); res.Status != Fetched || res.New != 3 || states[name].ConsecutiveErrors != 0 {
						t.Errorf("%s: %+v, want fetched with 3 new items, unaffected by the fault", name, res)
					}
				}
			}()
			checkNoGoroutineLeak(t, before)
		})
	}
}

// checkNoGoroutineLeak waits for the goroutine count to settle back to
// before (connections and servers wind down asynchronously), and fails
// with the stacks of what is left when it does not.
func checkNoGoroutineLeak(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines before, %d after; stacks:\n%s", before, n, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
