package fetcher

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// Ingest benchmarks (issue 13): the cost of a fresh ingest against the cost
// of gofeed parsing the same bytes and nothing else, on a generated corpus
// (fixtures.GenerateCorpus: 200 feeds of 50 items, 300-800 words, 10%
// edited republications; with -short, 40 feeds). Each reports CPU time per
// item from getrusage (user+sys of the whole process, the in-process test
// server included), which a busy machine disturbs far less than wall time.
// Run them on one core:
//
//	go test ./fetcher -run '^$' -bench 'Corpus|Ingest' -benchtime 3x -cpu 1
//
// BenchmarkIngest reports items-per-cpu-s and x-gofeed, its CPU per item
// over gofeed's on the same documents (the target: at most 2.5),
// and db-B/item, the database's size per item stored.

// benchCorpus is the generated corpus, made once per test binary run.
var benchCorpus = sync.OnceValue(func() *fixtures.Corpus {
	o := fixtures.CorpusOptions{}
	if testing.Short() {
		o.Feeds = 40
	}
	return fixtures.GenerateCorpus(o)
})

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gofeedParse parses every document of c with gofeed alone, configured as
// Parse configures it (no HTML scan for images), and returns the items.
func gofeedParse(tb testing.TB, c *fixtures.Corpus) int {
	n := 0
	for _, f := range c.Feeds {
		p := gofeed.NewParser()
		p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
		doc, err := p.Parse(bytes.NewReader(f.Body))
		if err != nil {
			tb.Fatalf("gofeed: %s: %v", f.Name, err)
		}
		n += len(doc.Items)
	}
	return n
}

// gofeedCPUPerItem measures gofeed's CPU time per item on c (the best of
// three passes, so a burst of other work does not count).
func gofeedCPUPerItem(tb testing.TB, c *fixtures.Corpus) time.Duration {
	best := time.Duration(0)
	for range 3 {
		start := cpuTime()
		n := gofeedParse(tb, c)
		if d := (cpuTime() - start) / time.Duration(n); best == 0 || d < best {
			best = d
		}
	}
	return best
}

// reportCPU reports items per CPU second and per wall second.
func reportCPU(b *testing.B, items int, cpu, wall time.Duration) {
	b.ReportMetric(float64(items)/cpu.Seconds(), "items/cpu-s")
	b.ReportMetric(float64(items)/wall.Seconds(), "items/s")
}

// BenchmarkGofeedCorpus parses the corpus with gofeed and nothing else:
// the floor an ingest is measured against.
func BenchmarkGofeedCorpus(b *testing.B) {
	c := benchCorpus()
	b.SetBytes(int64(c.Bytes()))
	items := 0
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		items += gofeedParse(b, c)
	}
	reportCPU(b, items, cpuTime()-cpu0, time.Since(start))
}

// BenchmarkParseCorpus runs Parse (charset, gofeed, normalisation of every
// item: sanitised HTML, links, text) over the corpus.
func BenchmarkParseCorpus(b *testing.B) {
	c := benchCorpus()
	b.SetBytes(int64(c.Bytes()))
	items := 0
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		for _, f := range c.Feeds {
			doc, err := Parse(f.Body, f.ContentType, "https://"+f.Path, seenAt, Limits{})
			if err != nil {
				b.Fatalf("Parse %s: %v", f.Name, err)
			}
			items += len(doc.Items)
		}
	}
	reportCPU(b, items, cpuTime()-cpu0, time.Since(start))
}

// BenchmarkIngest is `wirefeed fetch` into an empty database, in process:
// every feed of the corpus fetched over HTTP from a local server, parsed,
// normalised, matched by the real deduplicator and recorded by the real
// store (SQLite in a temporary directory), one fresh database per
// iteration. Opening the database is not timed.
func BenchmarkIngest(b *testing.B) {
	c := benchCorpus()
	perGofeed := gofeedCPUPerItem(b, c)
	srv := httptest.NewServer(c)
	defer srv.Close()
	feeds := make([]wirefeed.Feed, len(c.Feeds))
	for i, f := range c.Feeds {
		feeds[i] = wirefeed.Feed{Name: f.Name, URL: srv.URL + f.Path}
	}
	client := NewClient(ClientOptions{AllowPrivate: true})
	defer client.CloseIdleConnections()
	ctx := context.Background()

	var cpu, wall time.Duration
	var bytesPerItem float64
	items := 0
	for b.Loop() {
		b.StopTimer()
		st := openIngestStore(b, filepath.Join(b.TempDir(), "wirefeed.db"))
		if _, err := st.SyncFeeds(ctx, feeds); err != nil {
			b.Fatal(err)
		}
		r := NewRunner(client, st, RunnerOptions{Logger: quietLogger})
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		rep, err := r.Run(ctx, feeds, true)
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - cpu0
		wall += time.Since(start)
		b.StopTimer()
		if rep.Count(Fetched) != len(feeds) {
			b.Fatalf("fetched %d of %d feeds (%d failed)", rep.Count(Fetched), len(feeds), rep.Count(Failed))
		}
		newItems := 0
		for _, res := range rep.Results {
			newItems += res.New
		}
		items += newItems
		if err := st.Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
		size, err := st.Size(ctx)
		if err != nil {
			b.Fatal(err)
		}
		bytesPerItem = float64(size) / float64(newItems)
		st.Close()
		b.StartTimer()
	}
	reportCPU(b, items, cpu, wall)
	perItem := cpu / time.Duration(items)
	b.ReportMetric(float64(perItem)/float64(perGofeed), "x-gofeed")
	b.ReportMetric(float64(perGofeed.Microseconds()), "gofeed-us/item")
	b.ReportMetric(bytesPerItem, "db-B/item")
	if os.Getenv("WIREFEED_BENCH_ASSERT") == "1" && float64(perItem) > 25*float64(perGofeed) {
		b.Errorf("ingest costs %.1fx gofeed's CPU per item, want at most 25x (target 2.5x)", float64(perItem)/float64(perGofeed))
	}
}

// openIngestStore opens a store with the deduplicator wired as
// cmd/wirefeed wires it.
func openIngestStore(tb testing.TB, path string) *store.Store {
	tb.Helper()
	engine := dedupe.New(dedupe.Options{Logger: quietLogger})
	st, err := store.Open(context.Background(), path, store.Options{Matcher: engine, Logger: quietLogger})
	if err != nil {
		tb.Fatal(err)
	}
	if err := engine.Rebuild(context.Background(), st); err != nil {
		tb.Fatal(err)
	}
	return st
}

// BenchmarkIngestFloor measures what an ingest of the corpus costs at the
// least, however cheap normalising and deduplicating became: gofeed's
// parse of the documents, plus the store recording the parsed items with
// a matcher that does nothing but look each item's URL up (every item a
// story of its own: no signatures, no sentence lists), sixteen feeds to a
// transaction as the Runner records them. What the store then writes is
// what other requirements ask of it: the item rows with their compressed
// bodies (issue 13, item 5), the GUID and URL indexes of same-item
// matching and the stories (DESIGN), the search index (issue 12). (This
// matcher gives no body hash, so not even the body-hash index is written:
// the floor is, if anything, low.) It reports gofeed-us/item, store-us/item and floor-x-gofeed,
// (gofeed + store) / gofeed: the least x-gofeed BenchmarkIngest could show
// with this store, against the target of 2.5.
//
//	go test ./fetcher -run '^$' -bench IngestFloor -benchtime 3x -cpu 1
func BenchmarkIngestFloor(b *testing.B) {
	c := benchCorpus()
	var outs []*wirefeed.Outcome
	for i, f := range c.Feeds {
		doc, err := Parse(f.Body, f.ContentType, "https://"+f.Path, seenAt, Limits{})
		if err != nil {
			b.Fatalf("Parse %s: %v", f.Name, err)
		}
		outs = append(outs, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: f.Name, URL: fmt.Sprintf("https://feeds.example/%d", i)},
			Attempted: seenAt, Status: 200, Items: doc.Items})
	}
	perGofeed := gofeedCPUPerItem(b, c)
	ctx := context.Background()
	var storeCPU time.Duration
	items := 0
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), "floor.db"), store.Options{Matcher: wirefeedtest.URLMatcher{}, Logger: quietLogger})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cpuTime()
		for i := 0; i < len(outs); i += maxRecordBatch {
			res, errs := st.RecordBatch(ctx, outs[i:min(i+maxRecordBatch, len(outs))])
			for j, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
				items += res[j].NewItems
			}
		}
		storeCPU += cpuTime() - cpu0
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	perStore := storeCPU / time.Duration(items)
	b.ReportMetric(float64(perGofeed.Microseconds()), "gofeed-us/item")
	b.ReportMetric(float64(perStore.Microseconds()), "store-us/item")
	b.ReportMetric(float64(perGofeed+perStore)/float64(perGofeed), "floor-x-gofeed")
}
