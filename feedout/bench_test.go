package feedout

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler, not a recorder's buffer.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkServeFeed is the hot path under load: a cached 200-entry Atom
// feed served whole (200), revalidated (304) and gzipped, with the store's
// generation trusted for a second (as the daemon does); the "-gen-query"
// cases read the generation from SQLite on every request instead, which is
// what GenerationTTL saves.
func BenchmarkServeFeed(b *testing.B) {
	st := openTestStoreTB(b)
	var items []testItem
	for i := range 200 {
		items = append(items, testItem{feed: "Agency", guid: fmt.Sprintf("b%03d", i), title: fmt.Sprintf("Story %d", i),
			summary: "Foreign ministers met to discuss border security and trade corridors.", minutes: i})
	}
	addTB(b, st, items...)
	opts := HandlerOptions{DefaultLimit: 200, Feeds: testFeeds, MaxAge: 5 * time.Minute, GenerationTTL: time.Second}
	h := NewHandler(st, opts)
	opts.GenerationTTL = 0
	hq := NewHandler(st, opts)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/feed.atom", nil))
	etag := w.Header().Get("ETag")
	b.Logf("body %d bytes, ETag %s", w.Body.Len(), etag)
	for _, bc := range []struct {
		name string
		h    *Handler
		hdr  []string
	}{
		{"200", h, nil},
		{"304", h, []string{"If-None-Match", etag}},
		{"gzip", h, []string{"Accept-Encoding", "gzip"}},
		{"200-gen-query", hq, nil},
		{"304-gen-query", hq, []string{"If-None-Match", etag}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := httptest.NewRequest("GET", "/feed.atom", nil)
				for i := 0; i+1 < len(bc.hdr); i += 2 {
					r.Header.Set(bc.hdr[i], bc.hdr[i+1])
				}
				for pb.Next() {
					d := &discard{h: http.Header{}}
					bc.h.ServeHTTP(d, r)
				}
			})
		})
	}
}
