package feedout

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRenderingCacheIsBoundedByBytes: however many distinct queries
// readers make, the cache holds at most CacheBytes, dropping the least
// recently used rendering first.
func TestRenderingCacheIsBoundedByBytes(t *testing.T) {
	_, probe := newTestHandler(t, HandlerOptions{})
	get(t, probe, "GET", "/feed.json?limit=3")
	_, one := probe.cache.stats()
	budget := 4*one + one/2 // room for four renderings of this size

	st, h := newTestHandler(t, HandlerOptions{CacheBytes: budget})
	get(t, h, "GET", "/feed.json?limit=3")
	for i := range 40 {
		// Distinct queries of about the same size, each cacheable.
		get(t, h, "GET", fmt.Sprintf("/feed.json?limit=3&source=Agency&q=%c", 'a'+i%26))
		get(t, h, "GET", fmt.Sprintf("/feed.json?limit=%d", 3+i%2))
		if n, size := h.cache.stats(); size > budget {
			t.Fatalf("after %d queries the cache holds %d renderings, %d bytes; the budget is %d", i+1, n, size, budget)
		}
	}
	// The most recently used renderings are the ones kept.
	before := st.stories.Load()
	get(t, h, "GET", "/feed.json?limit=4")
	if st.stories.Load() != before {
		t.Error("the most recent rendering was not kept")
	}
	// A budget smaller than one rendering keeps nothing, and serves all.
	_, tiny := newTestHandler(t, HandlerOptions{CacheBytes: 100})
	if w := get(t, tiny, "GET", "/feed.json"); w.Code != 200 {
		t.Fatalf("GET = %d", w.Code)
	}
	if n, _ := tiny.cache.stats(); n != 0 {
		t.Errorf("a 100-byte cache keeps %d renderings", n)
	}
}

// TestUncanonicalRequestsAreAnsweredNotCached: made-up cursors, cursors
// written in another form and since= instants are answered, and kept out
// of the cache, so junk cannot fill it or push the main feed out.
func TestUncanonicalRequestsAreAnsweredNotCached(t *testing.T) {
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	nowFunc = func() time.Time { return t0.Add(24 * time.Hour) }
	st, h := newTestHandler(t, HandlerOptions{})
	main := get(t, h, "GET", "/feed.json?limit=3")
	titles, next := feedTitles(t, JSON, main.Body.Bytes())
	nu, err := url.Parse(next)
	if err != nil {
		t.Fatal(err)
	}
	cursor := nu.Query().Get("before")
	if cursor == "" {
		t.Fatalf("no next link: %s", main.Body)
	}
	secs, id, _ := strings.Cut(cursor, ".")
	junk := []string{
		"before=" + fmt.Sprint(t0.Add(48*time.Hour).Unix()) + ".junk1",
		"before=" + fmt.Sprint(t0.Add(48*time.Hour).Unix()) + ".junk2",
		"before=0" + secs + "." + id, // the real cursor, not as next links write it
		"before=" + t0.Add(48*time.Hour).Format(time.RFC3339),
		"since=" + t0.Format(time.RFC3339),
		"since=" + t0.Add(time.Minute).Format(time.RFC3339),
	}
	for _, q := range junk {
		w := get(t, h, "GET", "/feed.json?limit=3&"+q)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", q, w.Code, w.Body)
		}
		if got, _ := feedTitles(t, JSON, w.Body.Bytes()); len(got) == 0 {
			t.Errorf("%s: no entries", q)
		}
	}
	if n, _ := h.cache.stats(); n != 1 {
		t.Errorf("after %d uncanonical requests the cache holds %d renderings, want only the main feed's", len(junk), n)
	}
	// A cursor a cached page links to is canonical: the page it names is
	// kept, and served again without a query.
	get(t, h, "GET", "/feed.json?limit=3&before="+url.QueryEscape(cursor))
	before := st.stories.Load()
	page2 := get(t, h, "GET", "/feed.json?limit=3&before="+url.QueryEscape(cursor))
	if st.stories.Load() != before {
		t.Error("the page behind a next link was not cached")
	}
	if got, _ := feedTitles(t, JSON, page2.Body.Bytes()); len(got) == 0 || slices.Contains(titles, got[0]) {
		t.Errorf("page 2 = %q after page 1 %q", got, titles)
	}
	// Durations and dates are shared by many readers: cached.
	get(t, h, "GET", "/feed.json?since=36h")
	get(t, h, "GET", "/feed.json?since=2023-06-14")
	if n, _ := h.cache.stats(); n != 4 {
		t.Errorf("cache holds %d renderings, want 4 (main, page 2, two since=)", n)
	}
}

// TestResponseSizeIsCapped: a response over MaxResponseBytes is served
// with fewer entries and a next link, and following the links still
// reaches every story; static files hold fewer entries.
func TestResponseSizeIsCapped(t *testing.T) {
	_, full := newTestHandler(t, HandlerOptions{})
	for _, f := range Formats {
		all := get(t, full, "GET", "/feed."+string(f)+"?limit=100")
		want, _ := feedTitles(t, f, all.Body.Bytes())
		limit := all.Body.Len() / 3
		_, h := newTestHandler(t, HandlerOptions{MaxResponseBytes: limit, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		var got []string
		target := "/feed." + string(f) + "?limit=100"
		for pages := 0; target != ""; pages++ {
			if pages > len(want) {
				t.Fatalf("%s: more pages than stories", f)
			}
			w := get(t, h, "GET", target)
			if w.Code != 200 || w.Body.Len() > limit {
				t.Fatalf("%s: GET %s = %d, %d bytes; the limit is %d", f, target, w.Code, w.Body.Len(), limit)
			}
			titles, next := feedTitles(t, f, w.Body.Bytes())
			got = append(got, titles...)
			target = ""
			if next != "" {
				u, err := url.Parse(next)
				if err != nil {
					t.Fatal(err)
				}
				target = "/feed." + string(f) + "?" + u.RawQuery
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: pages = %q\nwant %q", f, got, want)
		}
	}
}
