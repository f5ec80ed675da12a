package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/store"
)

// Issue 10, items 1 and 9-12, against a local server and a real store.

// syncBuffer is a log destination safe for the Runner's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runOnce(t *testing.T, r *Runner, feed wirefeed.Feed) Result {
	t.Helper()
	rep, err := r.Run(context.Background(), []wirefeed.Feed{feed}, false)
	if err != nil {
		t.Fatal(err)
	}
	return resultOf(t, rep, feed.Name)
}

// storedItems returns, for a feed, how many items the store holds and the
// members of every story as "feed guid" lines.
func storyMembers(t *testing.T, st *store.Store) []string {
	t.Helper()
	stories, err := st.Stories(context.Background(), wirefeed.StoryQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range stories {
		for _, m := range s.Members {
			out = append(out, m.FeedName+" "+m.GUID+" "+m.URL)
		}
	}
	return out
}

// Item 1: a document cut short is recorded as fetched, with its complete
// items and a warning in the feed's state; a sound document clears it.
func TestRunnerTruncatedDocumentIsFetchedWithWarning(t *testing.T) {
	srv := newTestServer(t)
	full := rssItems(5)
	body := []byte(full[:strings.Index(full, "<item><title>Story 4")+30])
	var mu sync.Mutex
	srv.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Write(body)
	})
	feed := wirefeed.Feed{Name: "Cut", URL: srv.url("cut.test", "/feed")}
	st := openStore(t)
	c := newClock()
	r := newTestRunner(t, st, c, RunnerOptions{})
	res := runOnce(t, r, feed)
	if res.Status != Fetched || res.New != 4 {
		t.Fatalf("result = %+v, want fetched with 4 new items", res)
	}
	fs := feedStates(t, st)["Cut"]
	if fs.ConsecutiveErrors != 0 || fs.LastError != "" || !strings.HasPrefix(fs.LastWarning, warnTruncated) || fs.Items != 4 {
		t.Errorf("feed state = errors %d %q, warning %q, items %d", fs.ConsecutiveErrors, fs.LastError, fs.LastWarning, fs.Items)
	}
	mu.Lock()
	body = []byte(full)
	mu.Unlock()
	c.Advance(time.Hour)
	if res := runOnce(t, r, feed); res.Status != Fetched || res.New != 1 {
		t.Errorf("complete document: %+v, want the fifth item new", res)
	}
	if fs := feedStates(t, st)["Cut"]; fs.LastWarning != "" {
		t.Errorf("warning after a sound document = %q", fs.LastWarning)
	}
}

// Item 9: twenty stories under one GUID are twenty items, shown with the
// GUID as given, and the feed's collision is logged once at warn.
func TestRunnerSharedGUIDsAreDistinctItems(t *testing.T) {
	srv := newTestServer(t)
	doc := func(n, salt int) []byte {
		var b strings.Builder
		b.WriteString(`<rss version="2.0"><channel><title>Same</title><link>https://same.example/</link>`)
		for i := range n {
			fmt.Fprintf(&b, `<item><guid>same-guid</guid><title>Story %d %d</title><link>https://same.example/story/%d</link>`+
				`<description>Report %d: ministers from %d countries met and signed an agreement on water rights and border crossings %d.</description></item>`, i, salt, i, i, i+2, salt)
		}
		b.WriteString(`</channel></rss>`)
		return []byte(b.String())
	}
	var salt atomic.Int32
	srv.handle("/feed", func(w http.ResponseWriter, r *http.Request) { w.Write(doc(20, int(salt.Load()))) })
	feed := wirefeed.Feed{Name: "Same", URL: srv.url("same.test", "/feed")}
	st := openStore(t)
	c := newClock()
	var logs syncBuffer
	r := newTestRunner(t, st, c, RunnerOptions{})
	r.logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if res := runOnce(t, r, feed); res.New != 20 {
		t.Fatalf("new items = %d, want 20", res.New)
	}
	members := storyMembers(t, st)
	if len(members) != 20 {
		t.Fatalf("members = %d, want 20: %q", len(members), members)
	}
	for _, m := range members {
		if !strings.HasPrefix(m, "Same same-guid https://same.example/story/") {
			t.Errorf("member %q does not carry the GUID as given", m)
		}
	}
	salt.Store(1) // the same items edited: updates, not new items
	c.Advance(time.Hour)
	if res := runOnce(t, r, feed); res.New != 0 {
		t.Errorf("second fetch added %d items, want 0", res.New)
	}
	if n := strings.Count(logs.String(), "guid-collision"); n != 1 {
		t.Errorf("collision logged %d times at warn, want once:\n%s", n, logs.String())
	}
	if fs := feedStates(t, st)["Same"]; !strings.HasPrefix(fs.LastWarning, warnGUIDCollision) || fs.Items != 20 {
		t.Errorf("feed state warning %q, items %d", fs.LastWarning, fs.Items)
	}
}

// Item 10: a feed that reissues GUIDs for the same articles updates them;
// it does not add a member per fetch. Links that are not an item's own
// (the feed's home page) prove nothing.
func TestRunnerReissuedGUIDsUpdateItems(t *testing.T) {
	body := func(i int) string {
		return fmt.Sprintf("Delegates from %d states ended a week of talks on fishing quotas in the northern sea with a joint statement and a new round set for spring.", i+3)
	}
	tests := []struct {
		name      string
		item      func(fetch, i int) string
		fetches   int
		wantItems int
	}{
		{"new GUID, same link", func(fetch, i int) string {
			return fmt.Sprintf(`<item><guid>f%d-%d</guid><title>Article %d</title><link>https://changing.example/a/%d</link><description>%s</description></item>`, fetch, i, i, i, body(i))
		}, 6, 3},
		{"new GUID and link, same body", func(fetch, i int) string {
			return fmt.Sprintf(`<item><guid>f%d-%d</guid><title>Article %d</title><link>https://changing.example/a/%d?session=%d</link><description>%s</description></item>`, fetch, i, i, i, fetch, body(i))
		}, 6, 3},
		{"home-page links and rolling items stay apart", func(fetch, i int) string {
			n := fetch + i // a rolling window: one new item per fetch
			return fmt.Sprintf(`<item><guid>r%d</guid><title>Item %d</title><link>https://changing.example/</link><description>%s</description></item>`, n, n, body(n))
		}, 4, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t)
			var fetch atomic.Int32
			srv.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
				f := int(fetch.Add(1))
				var b strings.Builder
				b.WriteString(`<rss version="2.0"><channel><title>Changing</title><link>https://changing.example/</link>`)
				for i := range 3 {
					b.WriteString(tt.item(f, i))
				}
				b.WriteString(`</channel></rss>`)
				w.Write([]byte(b.String()))
			})
			feed := wirefeed.Feed{Name: "Changing", URL: srv.url("changing.test", "/feed")}
			st := openStore(t)
			c := newClock()
			r := newTestRunner(t, st, c, RunnerOptions{})
			for range tt.fetches {
				if res := runOnce(t, r, feed); res.Status != Fetched {
					t.Fatalf("fetch: %+v", res)
				}
				c.Advance(time.Hour)
			}
			if n := feedStates(t, st)["Changing"].Items; n != tt.wantItems {
				t.Errorf("items stored = %d, want %d", n, tt.wantItems)
			}
			if members := storyMembers(t, st); len(members) != tt.wantItems {
				t.Errorf("story members = %d, want %d: %q", len(members), tt.wantItems, members)
			}
		})
	}
}

// A GUID stored alone, later shared in a document, keeps its item: the
// item is re-keyed by GUID and link, not added again.
func TestRunnerGUIDThatStartsColliding(t *testing.T) {
	srv := newTestServer(t)
	one := `<item><guid>g</guid><title>First</title><link>https://c.example/1</link><description>First body about a summit.</description></item>`
	two := `<item><guid>g</guid><title>Second</title><link>https://c.example/2</link><description>Second body about a treaty.</description></item>`
	var items atomic.Value
	items.Store(one)
	srv.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<rss version="2.0"><channel><title>C</title>%s</channel></rss>`, items.Load())
	})
	feed := wirefeed.Feed{Name: "C", URL: srv.url("c.test", "/feed")}
	st := openStore(t)
	c := newClock()
	r := newTestRunner(t, st, c, RunnerOptions{})
	runOnce(t, r, feed)
	items.Store(one + two)
	c.Advance(time.Hour)
	if res := runOnce(t, r, feed); res.New != 1 {
		t.Errorf("second fetch added %d items, want 1 (the second story)", res.New)
	}
	if n := feedStates(t, st)["C"].Items; n != 2 {
		t.Errorf("items = %d, want 2", n)
	}
}

// Item 11: a Last-Modified later than the server's Date is not kept; a
// stored one that a date-comparing server answers 304 to for good is
// dropped after SuspectNotModifiedLimit answers.
func TestRunnerFutureLastModified(t *testing.T) {
	future := time.Now().Add(400 * 24 * time.Hour).UTC().Format(http.TimeFormat)
	realLM := time.Now().Add(-time.Hour).UTC()
	var unconditional atomic.Int32
	var sendFuture atomic.Bool
	sendFuture.Store(true)
	srv := newTestServer(t)
	srv.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
		// A server that compares dates, as many do.
		if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !ims.Before(realLM.Truncate(time.Second)) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if r.Header.Get("If-Modified-Since") == "" {
			unconditional.Add(1)
		}
		lm := realLM.Format(http.TimeFormat)
		if sendFuture.Load() {
			lm = future // its clock was wrong once
		}
		w.Header().Set("Last-Modified", lm)
		w.Write(rssDoc("Clock", "clock", 2))
	})
	feed := wirefeed.Feed{Name: "Clock", URL: srv.url("clock.test", "/feed")}
	st := openStore(t)
	c := newClock()
	r := newTestRunner(t, st, c, RunnerOptions{})
	runOnce(t, r, feed)
	fs := feedStates(t, st)["Clock"]
	if fs.LastModified != "" || !strings.Contains(fs.LastWarning, warnFutureValidator) {
		t.Fatalf("stored Last-Modified %q (warning %q), want none", fs.LastModified, fs.LastWarning)
	}

	// A validator stored by an older version: the server answers 304 to
	// it for good. After the limit, one unconditional fetch.
	sendFuture.Store(false)
	if _, err := st.Record(context.Background(), &wirefeed.Outcome{Feed: feed, Attempted: c.Now(), Status: http.StatusNotModified,
		NotModified: true, LastMod: future}); err != nil {
		t.Fatal(err)
	}
	before := unconditional.Load()
	for i := 1; i <= SuspectNotModifiedLimit; i++ {
		c.Advance(time.Hour)
		if res := runOnce(t, r, feed); res.Status != NotModified {
			t.Fatalf("run %d: %+v, want not modified", i, res)
		}
		if n := feedStates(t, st)["Clock"].SuspectNotModified; n != i {
			t.Errorf("after %d suspicious 304s the count is %d", i, n)
		}
	}
	c.Advance(time.Hour)
	if res := runOnce(t, r, feed); res.Status != Fetched && res.Status != NotModified {
		t.Fatalf("unconditional run: %+v", res)
	}
	if unconditional.Load() != before+1 {
		t.Errorf("unconditional requests = %d, want one more than %d", unconditional.Load(), before)
	}
	fs = feedStates(t, st)["Clock"]
	if fs.SuspectNotModified != 0 || fs.LastModified != realLM.Format(http.TimeFormat) {
		t.Errorf("after the unconditional fetch: count %d, Last-Modified %q", fs.SuspectNotModified, fs.LastModified)
	}
}

// Item 12: a permanent redirect from https to plain http is followed for
// that fetch only; the stored URL stays https, with a warning.
func TestRunnerHTTPSDowngradeNotStored(t *testing.T) {
	plain := newTestServer(t)
	plain.handle("/feed", serveBytes(rssDoc("Down", "down", 1)))
	var tlsHits atomic.Int32
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tlsHits.Add(1)
		http.Redirect(w, r, plain.url("down.test", "/feed"), http.StatusMovedPermanently)
	}))
	t.Cleanup(secure.Close)
	feed := wirefeed.Feed{Name: "Down", URL: secure.URL + "/feed"}
	st := openStore(t)
	c := newClock()
	r := newTestRunner(t, st, c, RunnerOptions{})
	r.client.http.Transport.(*http.Transport).TLSClientConfig = secure.Client().Transport.(*http.Transport).TLSClientConfig
	if res := runOnce(t, r, feed); res.Status != Fetched || res.New != 1 {
		t.Fatalf("result = %+v", res)
	}
	fs := feedStates(t, st)["Down"]
	if fs.URL != feed.URL {
		t.Errorf("stored URL = %q, want it to stay %q", fs.URL, feed.URL)
	}
	if !strings.Contains(fs.LastWarning, warnRedirectDowngrade) {
		t.Errorf("warning = %q", fs.LastWarning)
	}
	c.Advance(time.Hour)
	runOnce(t, r, feed)
	if n := tlsHits.Load(); n != 2 {
		t.Errorf("https URL requested %d times, want 2 (the move is not remembered)", n)
	}
}
