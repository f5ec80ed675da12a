package feedout

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// testStore is what a test's handler reads and the test records into: the
// real store, or a wirefeedtest.Store where the handler's HTTP behaviour,
// not storage, is what the test is about.
type testStore interface {
	Source
	Record(ctx context.Context, o *wirefeed.Outcome) (wirefeed.RecordResult, error)
}

// countingStore counts story queries.
type countingStore struct {
	testStore
	stories atomic.Int64
}

func (c *countingStore) Stories(ctx context.Context, q wirefeed.StoryQuery) ([]wirefeed.Story, error) {
	c.stories.Add(1)
	return c.testStore.Stories(ctx, q)
}

// Close closes the real store underneath, so a test can see the handler
// fail when its database does.
func (c *countingStore) Close() error {
	if cl, ok := c.testStore.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

var testFeeds = []wirefeed.Feed{
	{Name: "Agency", URL: "https://agency.example/rss", Tags: []string{"world", "agency"}},
	{Name: "The Paper", URL: "https://paper.example/rss", Tags: []string{"europe"}},
	{Name: "Sports Desk", URL: "https://sport.example/rss", Tags: []string{"sport"}},
}

type testItem struct {
	feed, guid, title, summary string
	cats                       []string
	minutes                    int    // published t0 + minutes
	url                        string // default https://news.example/<guid>
}

// fixtureItems: seven stories; "geneva" is carried by two outlets.
var fixtureItems = []testItem{
	{feed: "Agency", guid: "a1", title: "Summit in Geneva on Ukraine", summary: "Leaders met in Geneva.", cats: []string{"World"}, minutes: 1},
	{feed: "The Paper", guid: "p1", title: "Geneva summit opens", summary: "The summit opened.", minutes: 2, url: "https://news.example/a1"},
	{feed: "Agency", guid: "a2", title: "Ceasefire talks resume in Doha", summary: "Negotiators met again.", cats: []string{"Middle East"}, minutes: 3},
	{feed: "Sports Desk", guid: "s1", title: "Cup final: Madrid beat Milan", summary: "A late goal decided it.", cats: []string{"Football"}, minutes: 4},
	{feed: "The Paper", guid: "p2", title: "Royal wedding fashion", summary: "Gowns and hats.", cats: []string{"Lifestyle"}, minutes: 5},
	{feed: "Agency", guid: "a3", title: "Trade deal signed in Hanoi", summary: "Ministers signed it.", cats: []string{"Asia"}, minutes: 6},
	{feed: "The Paper", guid: "p3", title: "Elections called in Spain", summary: "The vote is in July.", cats: []string{"Europe"}, minutes: 7},
	{feed: "Agency", guid: "a4", title: "UN Security Council meets on Sudan", summary: "An emergency session.", cats: []string{"Africa"}, minutes: 8},
}

func openTestStore(t *testing.T) *countingStore { return openTestStoreTB(t) }

func openTestStoreTB(t testing.TB) *countingStore {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "wirefeed.db"), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.SyncFeeds(context.Background(), testFeeds); err != nil {
		t.Fatal(err)
	}
	return &countingStore{testStore: st}
}

// add records items, one fetch per item, in order.
func add(t *testing.T, st *countingStore, items ...testItem) { addTB(t, st, items...) }

func addTB(t testing.TB, st *countingStore, items ...testItem) {
	t.Helper()
	for _, it := range items {
		var feed wirefeed.Feed
		for _, f := range testFeeds {
			if f.Name == it.feed {
				feed = f
			}
		}
		u := it.url
		if u == "" {
			u = "https://news.example/" + it.guid
		}
		pub := t0.Add(time.Duration(it.minutes) * time.Minute)
		_, err := st.Record(context.Background(), &wirefeed.Outcome{Feed: feed, Attempted: pub.Add(time.Minute), Status: 200, Items: []wirefeed.Item{{
			GUID: it.guid, URL: u, Title: it.title, Summary: it.summary, Text: it.summary, ContentHTML: "<p>" + it.summary + "</p>",
			Published: pub, Updated: pub, Categories: it.cats,
		}}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// newTestHandler returns a handler over a real store holding the fixture
// items.
func newTestHandler(t *testing.T, opts HandlerOptions) (*countingStore, *Handler) {
	t.Helper()
	return newHandlerOn(t, openTestStore(t), opts)
}

// newFakeTestHandler returns a handler over a wirefeedtest.Store holding
// the fixture items.
func newFakeTestHandler(t *testing.T, opts HandlerOptions) (*wirefeedtest.Store, *countingStore, *Handler) {
	t.Helper()
	fake := wirefeedtest.NewStore(nil)
	if _, err := fake.SyncFeeds(context.Background(), testFeeds); err != nil {
		t.Fatal(err)
	}
	st, h := newHandlerOn(t, &countingStore{testStore: fake}, opts)
	return fake, st, h
}

func newHandlerOn(t *testing.T, st *countingStore, opts HandlerOptions) (*countingStore, *Handler) {
	t.Helper()
	add(t, st, fixtureItems...)
	if opts.Feeds == nil {
		opts.Feeds = testFeeds
	}
	if opts.Meta.Title == "" {
		opts.Meta.Title = "Test wire"
	}
	if opts.MaxAge == 0 {
		opts.MaxAge = 5 * time.Minute
	}
	return st, NewHandler(st, opts)
}

func get(t *testing.T, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// feedTitles returns the entry titles of a rendered feed in order, and its
// next link.
func feedTitles(t *testing.T, f Format, body []byte) (titles []string, next string) {
	t.Helper()
	p := parseFeed(t, f, body)
	return p.titles, p.next
}

func TestConditionalGET(t *testing.T) {
	_, _, h := newFakeTestHandler(t, HandlerOptions{})
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			path := "/feed." + string(f)
			first := get(t, h, "GET", path)
			if first.Code != 200 {
				t.Fatalf("GET %s = %d %s", path, first.Code, first.Body)
			}
			etag, lm := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
			if etag == "" || lm == "" {
				t.Fatalf("ETag %q, Last-Modified %q: want both", etag, lm)
			}
			if ct := first.Header().Get("Content-Type"); ct != f.ContentType() {
				t.Errorf("Content-Type = %q, want %q", ct, f.ContentType())
			}
			if v := first.Header().Get("Vary"); v != "Accept-Encoding" {
				t.Errorf("Vary = %q, want Accept-Encoding", v)
			}
			checks := []struct {
				name     string
				method   string
				hdr      []string
				code     int
				wantBody bool
			}{
				{"same ETag", "GET", []string{"If-None-Match", etag}, 304, false},
				{"ETag among others", "GET", []string{"If-None-Match", `"nope", ` + etag}, 304, false},
				{"other ETag", "GET", []string{"If-None-Match", `"0000000000000000"`}, 200, true},
				{"not modified since", "GET", []string{"If-Modified-Since", lm}, 304, false},
				{"modified since", "GET", []string{"If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT"}, 200, true},
				{"ETag wins over date", "GET", []string{"If-None-Match", `"nope"`, "If-Modified-Since", lm}, 200, true},
				{"HEAD", "HEAD", nil, 200, false},
				{"HEAD with ETag", "HEAD", []string{"If-None-Match", etag}, 304, false},
				{"identity ETag does not match the gzip body", "GET", []string{"If-None-Match", etag, "Accept-Encoding", "gzip"}, 200, true},
			}
			for _, c := range checks {
				w := get(t, h, c.method, path, c.hdr...)
				if w.Code != c.code {
					t.Errorf("%s: status %d, want %d", c.name, w.Code, c.code)
				}
				if got := w.Body.Len() > 0; got != c.wantBody {
					t.Errorf("%s: body of %d bytes, want body %v", c.name, w.Body.Len(), c.wantBody)
				}
			}
			head := get(t, h, "HEAD", path)
			if head.Header().Get("ETag") != etag || head.Header().Get("Content-Length") != fmt.Sprint(first.Body.Len()) {
				t.Errorf("HEAD headers %v differ from GET's (ETag %s, %d bytes)", head.Header(), etag, first.Body.Len())
			}

			gz := get(t, h, "GET", path, "Accept-Encoding", "br, gzip;q=0.8")
			if gz.Header().Get("Content-Encoding") != "gzip" {
				t.Fatalf("Accept-Encoding gzip: Content-Encoding %q", gz.Header().Get("Content-Encoding"))
			}
			gzTag := gz.Header().Get("ETag")
			if gzTag == etag || gzTag == "" {
				t.Errorf("gzip ETag %q must differ from the identity ETag %q", gzTag, etag)
			}
			zr, err := gzip.NewReader(gz.Body)
			if err != nil {
				t.Fatal(err)
			}
			plain, _ := io.ReadAll(zr)
			if !bytes.Equal(plain, first.Body.Bytes()) {
				t.Error("gzip body does not decompress to the identity body")
			}
			if w := get(t, h, "GET", path, "Accept-Encoding", "gzip", "If-None-Match", gzTag); w.Code != 304 {
				t.Errorf("gzip revalidation: %d, want 304", w.Code)
			}
			if w := get(t, h, "GET", path, "Accept-Encoding", "gzip;q=0"); w.Header().Get("Content-Encoding") != "" {
				t.Error("gzip;q=0 still got gzip")
			}
		})
	}
}

func TestRenderingCache(t *testing.T) {
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	now := t0.Add(24 * time.Hour)
	nowFunc = func() time.Time { return now }

	_, st, h := newFakeTestHandler(t, HandlerOptions{GenerationTTL: 30 * time.Second})
	first := get(t, h, "GET", "/feed.atom")
	for range 5 {
		if w := get(t, h, "GET", "/feed.atom"); w.Header().Get("ETag") != first.Header().Get("ETag") {
			t.Fatal("ETag changed without a change in the data")
		}
	}
	if n := st.stories.Load(); n != 1 {
		t.Errorf("six requests ran %d story queries, want 1", n)
	}
	get(t, h, "GET", "/feed.atom?limit=2")
	if n := st.stories.Load(); n != 2 {
		t.Errorf("a new limit ran %d story queries in all, want 2", n)
	}

	add(t, st, testItem{feed: "Agency", guid: "a9", title: "Breaking: new story", minutes: 30})
	if w := get(t, h, "GET", "/feed.atom"); w.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Error("a change was seen before GenerationTTL passed")
	}
	now = now.Add(31 * time.Second)
	second := get(t, h, "GET", "/feed.atom")
	if second.Header().Get("ETag") == first.Header().Get("ETag") {
		t.Fatal("ETag did not change after the data changed and the TTL passed")
	}
	if titles, _ := feedTitles(t, Atom, second.Body.Bytes()); titles[0] != "Breaking: new story" {
		t.Errorf("first entry %q, want the new story", titles[0])
	}
	if lm1, lm2 := first.Header().Get("Last-Modified"), second.Header().Get("Last-Modified"); lm1 == lm2 {
		t.Errorf("Last-Modified stayed %s after a change", lm1)
	}

	add(t, st, testItem{feed: "Agency", guid: "a10", title: "Another story", minutes: 31})
	h.Invalidate()
	if titles, _ := feedTitles(t, Atom, get(t, h, "GET", "/feed.atom").Body.Bytes()); titles[0] != "Another story" {
		t.Errorf("after Invalidate the first entry is %q, want the newest story", titles[0])
	}
}

// TestLastModifiedMovesOnRemoval: when a change leaves only older stories
// (retention removed the newest), Last-Modified must still move forward.
func TestLastModifiedMovesOnRemoval(t *testing.T) {
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	now := t0.Add(48 * time.Hour)
	nowFunc = func() time.Time { return now }
	st, _, h := newFakeTestHandler(t, HandlerOptions{})
	before := get(t, h, "GET", "/feed.json")
	if !st.RemoveItem("Agency", "a4") {
		t.Fatal("no item a4 to remove")
	}
	after := get(t, h, "GET", "/feed.json")
	if after.Header().Get("ETag") == before.Header().Get("ETag") {
		t.Fatal("body did not change")
	}
	lm1, _ := http.ParseTime(before.Header().Get("Last-Modified"))
	lm2, _ := http.ParseTime(after.Header().Get("Last-Modified"))
	if !lm2.After(lm1) {
		t.Errorf("Last-Modified went from %v to %v; want it to move forward", lm1, lm2)
	}
	if w := get(t, h, "GET", "/feed.json", "If-Modified-Since", before.Header().Get("Last-Modified")); w.Code != 200 {
		t.Errorf("If-Modified-Since the old date: %d, want 200", w.Code)
	}
}

func TestQueryParameters(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{Outputs: []Output{{Name: "europe", MaxItems: 2, Include: Rules{Tags: []string{"europe"}}}}})
	all := []string{"UN Security Council meets on Sudan", "Elections called in Spain", "Trade deal signed in Hanoi", "Royal wedding fashion",
		"Cup final: Madrid beat Milan", "Ceasefire talks resume in Doha", "Summit in Geneva on Ukraine"}
	tests := []struct {
		target  string
		code    int
		want    []string // entry titles, for 200
		message string   // part of the body, for errors
	}{
		{"/feed.json", 200, all, ""},
		{"/feed.json?limit=2", 200, all[:2], ""},
		{"/feed.json?limit=1000", 200, all, ""},
		{"/feed.json?q=geneva", 200, []string{"Summit in Geneva on Ukraine"}, ""},
		{"/feed.json?q=opens", 200, []string{"Summit in Geneva on Ukraine"}, ""}, // found in the Paper's copy
		{"/feed.json?q=%22talks+resume%22", 200, []string{"Ceasefire talks resume in Doha"}, ""},
		{"/feed.json?q=%22resume+talks%22", 200, nil, ""},
		{"/feed.json?source=the+paper", 200, []string{"Elections called in Spain", "Royal wedding fashion", "Summit in Geneva on Ukraine"}, ""},
		{"/feed.json?source=Sports+Desk&source=Agency&limit=3", 200, []string{"UN Security Council meets on Sudan", "Trade deal signed in Hanoi", "Cup final: Madrid beat Milan"}, ""},
		// Sudan was published at 10:10; Spain (10:09) was stored at 10:10.
		{"/feed.json?since=2023-06-14T10:10:00Z", 200, all[:2], ""},
		{"/feed.json?since=2023-06-15", 200, nil, ""},
		// before= is on first sight: stories here are first seen a minute after publication.
		{"/feed.json?before=2023-06-14T10:08:00Z", 200, all[4:], ""},
		{"/feed.json?utm_source=reader&_=123", 200, all, ""},
		{"/feeds/europe.json", 200, []string{"Elections called in Spain", "Royal wedding fashion"}, ""},
		{"/feeds/europe.json?limit=1", 200, []string{"Elections called in Spain"}, ""},
		{"/feeds/europe.json?limit=50", 200, []string{"Elections called in Spain", "Royal wedding fashion"}, ""}, // max_items is a ceiling

		{"/feed.json?limit=0", 400, nil, `bad limit "0"`},
		{"/feed.json?limit=-3", 400, nil, "bad limit"},
		{"/feed.json?limit=ten", 400, nil, "whole number from 1 to 1000"},
		{"/feed.json?limit=1001", 400, nil, "bad limit"},
		{"/feed.json?since=yesterday", 400, nil, `bad since "yesterday"`},
		{"/feed.json?since=-5h", 400, nil, "bad since"},
		{"/feed.json?q=" + strings.Repeat("x", 201), 400, nil, "bad q"},
		{"/feed.json?q=" + url.QueryEscape(strings.Repeat("a ", 11)), 400, nil, "more than 10 terms"},
		{"/feed.json?source=Nobody", 400, nil, `bad source "Nobody"`},
		{"/feed.json?before=abc", 400, nil, `bad before "abc"`},
		{"/feed.json?before=12.", 400, nil, "bad before"},
		{"/feeds/nope.atom", 404, nil, `no output named "nope"; outputs: europe`},
		{"/feeds/europe.xml", 404, nil, `no format "xml"`},
		{"/feeds/europe", 404, nil, "no output"},
		{"/feed.xml", 404, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			w := get(t, h, "GET", tc.target)
			if w.Code != tc.code {
				t.Fatalf("GET %s = %d %q, want %d", tc.target, w.Code, w.Body.String(), tc.code)
			}
			if tc.code != 200 {
				if !strings.Contains(w.Body.String(), tc.message) {
					t.Errorf("GET %s body %q, want it to say %q", tc.target, w.Body.String(), tc.message)
				}
				return
			}
			got, _ := feedTitles(t, JSON, w.Body.Bytes())
			if !slices.Equal(got, tc.want) {
				t.Errorf("GET %s = %q\nwant %q", tc.target, got, tc.want)
			}
		})
	}
}

// TestPagination follows next links in every format, with and without a
// base URL, and checks that the pages together hold every story once.
// TestLimits: the main feed's default is DefaultLimit and ?limit= may go
// above it; an output's max_items is its default and its ceiling.
func TestLimits(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{DefaultLimit: 2, Outputs: []Output{{Name: "three", MaxItems: 3}}})
	for _, tc := range []struct {
		target string
		want   int
	}{
		{"/feed.json", 2}, {"/feed.json?limit=5", 5}, {"/feed.json?limit=1000", 7},
		{"/feeds/three.json", 3}, {"/feeds/three.json?limit=1", 1}, {"/feeds/three.json?limit=6", 3},
	} {
		got, _ := feedTitles(t, JSON, get(t, h, "GET", tc.target).Body.Bytes())
		if len(got) != tc.want {
			t.Errorf("GET %s: %d entries, want %d", tc.target, len(got), tc.want)
		}
	}
}

func TestPagination(t *testing.T) {
	for _, base := range []string{"", "https://news.example/wire/"} {
		_, h := newTestHandler(t, HandlerOptions{Meta: Meta{BaseURL: base},
			Outputs: []Output{{Name: "no-sport", Exclude: Rules{Tags: []string{"sport"}}}}})
		for _, start := range []string{"/feed", "/feeds/no-sport"} {
			for _, f := range Formats {
				t.Run(fmt.Sprintf("%s%s.%s", base, start, f), func(t *testing.T) {
					want, _ := feedTitles(t, f, get(t, h, "GET", start+"."+string(f)).Body.Bytes())
					u, _ := url.Parse("http://wirefeed.test" + start + "." + string(f) + "?limit=3&q=")
					var got []string
					for pages := 0; u != nil; pages++ {
						if pages > 5 {
							t.Fatal("too many pages")
						}
						w := get(t, h, "GET", u.RequestURI())
						if w.Code != 200 {
							t.Fatalf("GET %s = %d %s", u, w.Code, w.Body)
						}
						titles, next := feedTitles(t, f, w.Body.Bytes())
						got = append(got, titles...)
						if len(titles) > 3 {
							t.Fatalf("page of %d entries with limit=3", len(titles))
						}
						u = nil
						if next != "" {
							if base != "" && !strings.HasPrefix(next, base) {
								t.Errorf("next link %q is not under the base URL %q", next, base)
							}
							if !strings.Contains(next, "limit=3") {
								t.Errorf("next link %q lost the limit", next)
							}
							// A proxy serves the base URL's path at the root.
							if base != "" {
								next = "/" + strings.TrimPrefix(next, base)
							}
							ref, err := url.Parse(next)
							if err != nil {
								t.Fatal(err)
							}
							self, _ := url.Parse("http://wirefeed.test" + start + "." + string(f))
							u = self.ResolveReference(ref)
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("pages = %q\nwant  %q", got, want)
					}
				})
			}
		}
	}
}

func TestOutputRules(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{
		Exclude: Rules{Categories: []string{"lifestyle"}, Keywords: []string{"cup final"}},
		Outputs: []Output{
			{Name: "agency", Title: "Agency wire", Include: Rules{Tags: []string{"AGENCY"}}},
			{Name: "summits", Include: Rules{Keywords: []string{"summit"}}},
			{Name: "regions", Include: Rules{Patterns: []*regexp.Regexp{regexp.MustCompile(`(?i)\b(asia|africa)\b`)}}, Exclude: Rules{Keywords: []string{"sudan"}}},
			{Name: "everything"},
		},
	})
	tests := []struct {
		path string
		want []string
	}{
		// Global exclude: the lifestyle category and the "cup final" keyword.
		{"/feed.json", []string{"UN Security Council meets on Sudan", "Elections called in Spain", "Trade deal signed in Hanoi", "Ceasefire talks resume in Doha", "Summit in Geneva on Ukraine"}},
		{"/feeds/everything.json", []string{"UN Security Council meets on Sudan", "Elections called in Spain", "Trade deal signed in Hanoi", "Ceasefire talks resume in Doha", "Summit in Geneva on Ukraine"}},
		{"/feeds/agency.json", []string{"UN Security Council meets on Sudan", "Trade deal signed in Hanoi", "Ceasefire talks resume in Doha", "Summit in Geneva on Ukraine"}},
		// "summit" is a whole word in the Paper's "Geneva summit opens" and
		// in "Summit in Geneva"; nothing else.
		{"/feeds/summits.json", []string{"Summit in Geneva on Ukraine"}},
		// Categories Asia and Africa match the pattern; Sudan is excluded.
		{"/feeds/regions.json", []string{"Trade deal signed in Hanoi"}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, _ := feedTitles(t, JSON, get(t, h, "GET", tc.path).Body.Bytes())
			if !slices.Equal(got, tc.want) {
				t.Errorf("GET %s = %q\nwant %q", tc.path, got, tc.want)
			}
		})
	}
	w := get(t, h, "GET", "/feeds/agency.atom")
	if !strings.Contains(w.Body.String(), "<title>Agency wire</title>") || !strings.Contains(w.Body.String(), "urn:wirefeed:feed:feeds/agency") {
		t.Errorf("output feed lacks its own title or id:\n%s", w.Body.String()[:400])
	}
}

func TestCacheControl(t *testing.T) {
	defer func(f func() time.Time) { nowFunc = f }(nowFunc)
	now := t0.Add(24 * time.Hour)
	nowFunc = func() time.Time { return now }
	tests := []struct {
		name string
		next func() time.Time
		want string
	}{
		{"no schedule", nil, "public, max-age=300"},
		{"unknown next cycle", func() time.Time { return time.Time{} }, "public, max-age=300"},
		{"next cycle soon", func() time.Time { return now.Add(90 * time.Second) }, "public, max-age=90"},
		{"next cycle after max age", func() time.Time { return now.Add(time.Hour) }, "public, max-age=300"},
		{"cycle due now", func() time.Time { return now.Add(-time.Second) }, "no-cache"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, h := newFakeTestHandler(t, HandlerOptions{NextChange: tc.next})
			if got := get(t, h, "GET", "/feed.rss").Header().Get("Cache-Control"); got != tc.want {
				t.Errorf("Cache-Control = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestStatusPage(t *testing.T) {
	next := t0.Add(3*time.Hour + 17*time.Second)
	st, h := newTestHandler(t, HandlerOptions{Outputs: []Output{{Name: "europe", Title: "Europe desk"}},
		NextAttempt: func(fs wirefeed.FeedState) time.Time {
			if fs.Name == "Sports Desk" {
				return next
			}
			return time.Time{}
		}})
	_, err := st.Record(context.Background(), &wirefeed.Outcome{Feed: testFeeds[2], Attempted: t0.Add(time.Hour), Status: 503,
		Err: fmt.Errorf("fetch https://sport.example/rss: HTTP 503 <Service Unavailable>"), NextDue: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// A feed the database remembers but the config no longer lists.
	_, err = st.Record(context.Background(), &wirefeed.Outcome{Feed: wirefeed.Feed{Name: "Old Feed", URL: "https://old.example/rss"},
		Attempted: t0.Add(time.Hour), Status: 500, Err: fmt.Errorf("fetch https://old.example/rss: HTTP 500 %s", strings.Repeat("x", 300)), NextDue: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w := get(t, h, "GET", "/")
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	page := w.Body.String()
	for _, want := range []string{
		`<table id="feeds">`,
		`<td dir="auto"><a href="https://agency.example/rss"><bdi>Agency</bdi></a></td>`,
		`class="feed failing"`,
		"failing ×1 · HTTP 503",
		"HTTP 503 &lt;Service Unavailable&gt;", // escaped
		`<dd id="total-stories">7</dd>`,
		`<dd id="total-merged">1</dd>`,
		`<dd id="total-items">8</dd>`,
		`<dd id="total-failing" class="failing">1</dd>`,
		`<td class="next">2023-06-14 13:02:17 UTC</td>`, // from NextAttempt
		`id="unconfigured">1 feed in the database no longer configured`,
		`<span class="rule" title="joined on the same canonical URL as a member">same link</span>`,
		`<li class="member rep" title="representative"><span class="outlet"><bdi>Agency</bdi></span>: <a href="https://news.example/a1"><bdi>Summit in Geneva on Ukraine</bdi></a>`,
		`<li class="member"><span class="outlet"><bdi>The Paper</bdi></span>: <a href="https://news.example/a1"><bdi>Geneva summit opens</bdi></a>`,
		`2 outlets`,
		`href="feeds/europe.atom"`, "Europe desk",
		`href="sources.opml"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("status page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("status page uses JavaScript")
	}
	if rows := strings.Count(page, `<tr class="feed`); rows != len(testFeeds) {
		t.Errorf("%d feed rows, want %d (configured feeds only)", rows, len(testFeeds))
	}
	// The health summary comes before the stories, the failing feed first.
	if h, s := strings.Index(page, `<table id="feeds">`), strings.Index(page, `<ol id="stories">`); h < 0 || s < h {
		t.Errorf("health table at %d, stories at %d: want health first", h, s)
	}
	if first := page[strings.Index(page, `<tr class="feed`):]; !strings.HasPrefix(first, `<tr class="feed failing">`) || !strings.Contains(first[:400], "Sports Desk") {
		t.Errorf("first feed row is not the failing one:\n%.400s", first)
	}
	if strings.Contains(page, "Old Feed</a>") {
		t.Error("a feed no longer configured has a row")
	}
}

func TestSourcesOPML(t *testing.T) {
	_, h := newTestHandler(t, HandlerOptions{})
	w := get(t, h, "GET", "/sources.opml")
	if w.Code != 200 || w.Header().Get("ETag") == "" {
		t.Fatalf("GET /sources.opml = %d, ETag %q", w.Code, w.Header().Get("ETag"))
	}
	var doc struct {
		Version string `xml:"version,attr"`
		Title   string `xml:"head>title"`
		Outline []struct {
			Text     string `xml:"text,attr"`
			Type     string `xml:"type,attr"`
			XMLURL   string `xml:"xmlUrl,attr"`
			Category string `xml:"category,attr"`
		} `xml:"body>outline"`
	}
	if err := strictXML(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.0" || len(doc.Outline) != len(testFeeds) {
		t.Fatalf("OPML version %q with %d outlines, want 2.0 with %d", doc.Version, len(doc.Outline), len(testFeeds))
	}
	for i, f := range testFeeds {
		o := doc.Outline[i]
		if o.Text != f.Name || o.XMLURL != f.URL || o.Type != "rss" {
			t.Errorf("outline %d = %+v, want %s at %s", i, o, f.Name, f.URL)
		}
	}
	if doc.Outline[0].Category != "/world,/agency" {
		t.Errorf("category = %q, want /world,/agency", doc.Outline[0].Category)
	}
	if w := get(t, h, "GET", "/sources.opml", "If-None-Match", w.Header().Get("ETag")); w.Code != 304 {
		t.Errorf("OPML revalidation = %d, want 304", w.Code)
	}
}

func TestHealth(t *testing.T) {
	st, h := newTestHandler(t, HandlerOptions{})
	if w := get(t, h, "GET", "/healthz"); w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("GET /healthz = %d %q", w.Code, w.Body)
	}
	st.Close()
	if w := get(t, h, "GET", "/healthz"); w.Code != 503 {
		t.Errorf("GET /healthz with the database closed = %d, want 503", w.Code)
	}
}

func TestNotModified(t *testing.T) {
	mod := time.Date(2023, 6, 14, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		method, inm, ims string
		want             bool
	}{
		{"GET", `"abc"`, "", true},
		{"GET", `W/"abc"`, "", true},
		{"GET", `"x", "abc"`, "", true},
		{"GET", `*`, "", true},
		{"GET", `"x"`, mod.Format(http.TimeFormat), false}, // If-None-Match decides alone
		{"GET", "", mod.Format(http.TimeFormat), true},
		{"GET", "", mod.Add(-time.Second).Format(http.TimeFormat), false},
		{"GET", "", "not a date", false},
		{"HEAD", `"abc"`, "", true},
		{"POST", `"abc"`, "", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, "/feed.atom", nil)
		if tc.inm != "" {
			r.Header.Set("If-None-Match", tc.inm)
		}
		if tc.ims != "" {
			r.Header.Set("If-Modified-Since", tc.ims)
		}
		if got := notModified(r, `"abc"`, mod); got != tc.want {
			t.Errorf("%s If-None-Match %q If-Modified-Since %q: notModified = %v, want %v", tc.method, tc.inm, tc.ims, got, tc.want)
		}
	}
}

// TestConcurrentMisses: many requests for a feed nobody has asked for yet
// run one story query between them, and all get the same body.
func TestConcurrentMisses(t *testing.T) {
	st, h := newTestHandler(t, HandlerOptions{})
	before := st.stories.Load()
	const n = 32
	etags := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/feed.rss?q=summit", nil))
			etags <- w.Header().Get("ETag")
		}()
	}
	wg.Wait()
	close(etags)
	first := <-etags
	for e := range etags {
		if e != first || e == "" {
			t.Fatalf("ETags %q and %q from one rendering", first, e)
		}
	}
	if q := st.stories.Load() - before; q != 1 {
		t.Errorf("%d concurrent requests ran %d story queries, want 1", n, q)
	}
}
