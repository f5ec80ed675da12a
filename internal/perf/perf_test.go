package perf

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/store"
)

// Benchmarks of costs that must grow with new data, not with history
// (issue 13). The history databases are built once per day and schema in
// $WIREFEED_PERF_CACHE (default $TMPDIR/wirefeed-perf) and copied where a
// benchmark writes to them. Sizes: WIREFEED_HISTORY_ITEMS (default
// 1,000,000; 20,000 with -short) with a tenth of them in the window, and
// 100,000 stories for search (10,000 with -short). Run on one core:
//
//	go test ./internal/perf -run '^$' -bench . -benchtime 1x -cpu 1
//	go test ./internal/perf -run '^$' -bench . -benchtime 1x -cpu 1 -short   # CI's short mode
//
// The first build of the million-item history takes a few minutes.

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func cacheDir() string {
	if d := os.Getenv("WIREFEED_PERF_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "wirefeed-perf")
}

// historyOptions is the history of the "into history" and start-up
// benchmarks.
func historyOptions() HistoryOptions {
	n := 1_000_000
	if testing.Short() {
		n = 20_000
	}
	if v, err := strconv.Atoi(os.Getenv("WIREFEED_HISTORY_ITEMS")); err == nil && v > 0 {
		n = v
	}
	// The window's items and as many old ones are recorded; the other old
	// items are copies of those (see HistoryOptions.Recorded).
	return HistoryOptions{Items: n, Window: n / 10, Recorded: n / 5}
}

// searchOptions is the history of the search benchmark: every item in the
// window, each a story of its own.
func searchOptions() HistoryOptions {
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	return HistoryOptions{Items: n, Window: n}
}

func cachedHistory(tb testing.TB, o HistoryOptions) string {
	tb.Helper()
	path, err := CachedHistory(context.Background(), cacheDir(), o)
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

// corpusOutcomes are the corpus's documents parsed, ready to record as a
// fetch cycle would: 10,000 new items (2,000 with -short) in 200 feeds.
var corpusOutcomes = sync.OnceValues(func() ([]wirefeed.Outcome, error) {
	o := fixtures.CorpusOptions{}
	if testing.Short() {
		o.Feeds = 40
	}
	c := fixtures.GenerateCorpus(o)
	var out []wirefeed.Outcome
	now := time.Now().UTC().Truncate(time.Second)
	for i, f := range c.Feeds {
		doc, err := fetcher.Parse(f.Body, f.ContentType, "http://127.0.0.1:9"+f.Path, now, fetcher.Limits{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, wirefeed.Outcome{Feed: wirefeed.Feed{Name: FeedName(i), URL: "http://127.0.0.1:9" + f.Path},
			Attempted: now, Status: 200, ETag: `"c"`, Meta: doc.Meta, Items: doc.Items})
	}
	return out, nil
})

// openEngineStore opens a store at path as cmd/wirefeed does: the
// deduplicator's index rebuilt from it and the feeds synced.
func openEngineStore(tb testing.TB, path string, feeds []wirefeed.Feed) *store.Store {
	tb.Helper()
	ctx := context.Background()
	engine := dedupe.New(dedupe.Options{Logger: quiet})
	st, err := store.Open(ctx, path, store.Options{Matcher: engine, Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	if err := engine.Rebuild(ctx, st); err != nil {
		tb.Fatal(err)
	}
	if _, err := st.SyncFeeds(ctx, feeds); err != nil {
		tb.Fatal(err)
	}
	return st
}

// storeCycle is the store's side of a fetch cycle in which outs were
// fetched: feed states and host pauses read, every outcome recorded (the
// deduplicator matching each new item), then retention and a checkpoint,
// as the daemon maintains its database after every cycle. It returns the
// new items stored.
func storeCycle(tb testing.TB, st *store.Store, outs []wirefeed.Outcome) int {
	tb.Helper()
	ctx := context.Background()
	if _, err := st.FeedStates(ctx); err != nil {
		tb.Fatal(err)
	}
	if _, err := st.HostPauses(ctx, time.Now()); err != nil {
		tb.Fatal(err)
	}
	n := 0
	for i := range outs {
		o := outs[i]
		res, err := st.Record(ctx, &o)
		if err != nil {
			tb.Fatal(err)
		}
		n += res.NewItems
	}
	if _, err := st.Prune(ctx, time.Now().Add(-720*time.Hour)); err != nil {
		tb.Fatal(err)
	}
	if err := st.Checkpoint(ctx); err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkIngestIntoHistory records the corpus's 10,000 new items (a fetch
// cycle's store and deduplicator work, retention included) into an empty
// database and into one holding the history (1M items, 100k in the
// window), and reports the CPU time of each and their ratio x-empty (the
// issue's target: at most 1.3). The two are labelled phase=empty and
// phase=history in a CPU profile, so what the history adds is a diff:
//
//	go test ./internal/perf -run '^$' -bench IngestIntoHistory -benchtime 1x -cpu 1 -cpuprofile cpu.out -o perf.test
//	go tool pprof -tagfocus phase=empty -proto perf.test cpu.out > empty.pb
//	go tool pprof -tagfocus phase=history -proto perf.test cpu.out > history.pb
//	go tool pprof -diff_base empty.pb -top -cum history.pb
func BenchmarkIngestIntoHistory(b *testing.B) {
	outs, err := corpusOutcomes()
	if err != nil {
		b.Fatal(err)
	}
	ho := historyOptions()
	hist := cachedHistory(b, ho)
	feeds := make([]wirefeed.Feed, len(outs))
	for i := range outs {
		feeds[i] = outs[i].Feed
	}
	var emptyCPU, histCPU time.Duration
	items := 0
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		empty := openEngineStore(b, filepath.Join(dir, "empty.db"), feeds)
		runtime.GC()
		b.StartTimer()
		cpu0 := CPUTime()
		pprof.Do(context.Background(), pprof.Labels("phase", "empty"), func(context.Context) { items += storeCycle(b, empty, outs) })
		emptyCPU += CPUTime() - cpu0
		b.StopTimer()
		empty.Close()

		path := filepath.Join(dir, "history.db")
		if err := CopyFile(path, hist); err != nil {
			b.Fatal(err)
		}
		full := openEngineStore(b, path, feeds)
		runtime.GC()
		b.StartTimer()
		cpu0 = CPUTime()
		pprof.Do(context.Background(), pprof.Labels("phase", "history"), func(context.Context) { storeCycle(b, full, outs) })
		histCPU += CPUTime() - cpu0
		b.StopTimer()
		full.Close()
		os.Remove(path)
		b.StartTimer()
	}
	n := float64(b.N)
	b.ReportMetric(emptyCPU.Seconds()/n, "empty-cpu-s")
	b.ReportMetric(histCPU.Seconds()/n, "history-cpu-s")
	b.ReportMetric(float64(histCPU)/float64(emptyCPU), "x-empty")
	b.ReportMetric(float64(items)/n, "items")
	b.ReportMetric(float64(ho.Items), "history-items")
	if os.Getenv("WIREFEED_BENCH_ASSERT") == "1" && histCPU > 10*emptyCPU {
		b.Errorf("into history costs %.1fx into an empty database, want at most 10x (target 1.3x)", float64(histCPU)/float64(emptyCPU))
	}
}

// BenchmarkStartup opens the history database as the daemon does before it
// can fetch: migrations checked, the deduplicator's index rebuilt from the
// window's signatures, feeds synced; then reads the first page of the
// merged feed. It reports wall and CPU seconds and the heap in use after.
func BenchmarkStartup(b *testing.B) {
	ho := historyOptions()
	hist := cachedHistory(b, ho)
	feeds := HistoryFeeds(ho, "http://127.0.0.1:9")
	ctx := context.Background()
	var wall, cpu time.Duration
	var heap uint64
	indexed := 0
	for b.Loop() {
		runtime.GC()
		start, cpu0 := time.Now(), CPUTime()
		engine := dedupe.New(dedupe.Options{Logger: quiet})
		st, err := store.Open(ctx, hist, store.Options{Matcher: engine, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		if err := engine.Rebuild(ctx, st); err != nil {
			b.Fatal(err)
		}
		if _, err := st.SyncFeeds(ctx, feeds); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Stories(ctx, wirefeed.StoryQuery{Limit: 50}); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		cpu += CPUTime() - cpu0
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap = max(heap, ms.HeapInuse)
		indexed = engine.Stats().Items
		st.Close()
	}
	n := float64(b.N)
	b.ReportMetric(wall.Seconds()/n, "wall-s")
	b.ReportMetric(cpu.Seconds()/n, "cpu-s")
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(indexed), "indexed")
	if os.Getenv("WIREFEED_BENCH_ASSERT") == "1" && wall/time.Duration(b.N) > 30*time.Second {
		b.Errorf("start-up took %v, want under 30 s (target 3 s)", wall/time.Duration(b.N))
	}
}

// BenchmarkTotals asks for the totals the status page and each metrics
// scrape show, over the history (1M items): the first call counts them
// (first-ms), the calls after it, with nothing stored in between, reuse
// that count (the time per op).
func BenchmarkTotals(b *testing.B) {
	hist := cachedHistory(b, historyOptions())
	ctx := context.Background()
	st, err := store.Open(ctx, hist, store.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	if _, err := st.Totals(ctx); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	for b.Loop() {
		if _, err := st.Totals(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(first.Microseconds())/1000, "first-ms")
}

// BenchmarkSearchMiss asks for stories with a word no item has, over
// 100,000 stories: the cost of an uncached ?q= that matches nothing.
func BenchmarkSearchMiss(b *testing.B) {
	path := cachedHistory(b, searchOptions())
	st, err := store.Open(context.Background(), path, store.Options{Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		got, err := st.Stories(ctx, wirefeed.StoryQuery{Limit: 50, Terms: []string{fmt.Sprintf("zqxnothing%d", i)}})
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != 0 {
			b.Fatalf("a miss found %d stories", len(got))
		}
	}
}
