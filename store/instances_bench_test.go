package store_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/pgtest"
	"github.com/wirefeed/wirefeed/store"
)

// BenchmarkInstancesIngest (issue 11 item 7) is the ingest throughput of
// one, two and three instances sharing one PostgreSQL database against one
// instance on SQLite, on the same fixture world: a generated corpus
// (fixtures.GenerateCorpus) of 60 feeds of 50 items, 300-800 words, 10%
// edited republications (20 feeds with -short), served over HTTP from a
// local server. Each instance is what `wirefeed serve` wires: its own
// store, deduplicator, HTTP client and fetch runner, in one process here;
// they run one fetch cycle at the same time, sharing the feeds through
// leases (each feed fetched by one of them), and every write transaction
// takes the database's write lock (store/postgres.go). Every iteration
// ingests into a new, empty database; opening it is not timed.
//
//	eval "$(bash .ci/postgres.sh start /tmp/wf-pg 55432)"
//	go test ./store -run '^$' -bench InstancesIngest -benchtime 3x -cpu 1
//
// items/s is stored items per wall second, for all instances together,
// from the start of the cycles to the moment the last feed was stored.
// Without WIREFEED_TEST_POSTGRES the PostgreSQL cases are skipped.
func BenchmarkInstancesIngest(b *testing.B) {
	o := fixtures.CorpusOptions{Feeds: 60}
	if testing.Short() {
		o.Feeds = 20
	}
	c := fixtures.GenerateCorpus(o)
	srv := httptest.NewServer(c)
	defer srv.Close()
	feeds := make([]wirefeed.Feed, len(c.Feeds))
	for i, f := range c.Feeds {
		feeds[i] = wirefeed.Feed{Name: f.Name, URL: srv.URL + f.Path}
	}
	cases := []struct {
		name      string
		instances int
		dsn       func(testing.TB) string
	}{
		{"sqlite-1", 1, func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "wirefeed.db") }},
		{"postgres-1", 1, pgtest.DSN},
		{"postgres-2", 2, pgtest.DSN},
		{"postgres-3", 3, pgtest.DSN},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			items := 0
			var wall time.Duration
			for b.Loop() {
				b.StopTimer()
				n, took := ingestOnce(b, tc.dsn(b), tc.instances, feeds)
				items += n
				wall += took
				b.StartTimer()
			}
			b.ReportMetric(float64(items)/wall.Seconds(), "items/s")
		})
	}
}

// ingestOnce opens instances on dsn and runs one fetch cycle on all of
// them at once; it returns the items stored and the cycle's wall time.
func ingestOnce(b *testing.B, dsn string, instances int, feeds []wirefeed.Feed) (int, time.Duration) {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	runners := make([]*fetcher.Runner, instances)
	// The ingest ends when the last feed is stored: a cycle itself ends
	// later when it watched a feed another instance fetched, until its
	// next poll of the leases says so.
	var mu sync.Mutex
	var lastStored time.Time
	for i := range runners {
		engine := dedupe.New(dedupe.Options{Logger: logger})
		st, err := store.Open(ctx, dsn, store.Options{Matcher: engine, Logger: logger})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		if _, err := st.SyncFeeds(ctx, feeds); err != nil {
			b.Fatal(err)
		}
		if err := engine.Rebuild(ctx, st); err != nil {
			b.Fatal(err)
		}
		client := fetcher.NewClient(fetcher.ClientOptions{AllowPrivate: true})
		b.Cleanup(client.CloseIdleConnections)
		runners[i] = fetcher.NewRunner(client, st, fetcher.RunnerOptions{Logger: logger, Observe: func(r fetcher.Result) {
			if r.Status == fetcher.Fetched {
				mu.Lock()
				lastStored = time.Now()
				mu.Unlock()
			}
		}})
	}
	reps := make([]fetcher.Report, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	b.StartTimer()
	start := time.Now()
	for i, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = r.RunCycle(ctx, feeds, fetcher.CycleOptions{Force: true,
				ClaimWindow: func(string) time.Duration { return time.Hour }})
		}()
	}
	wg.Wait()
	b.StopTimer()
	took := lastStored.Sub(start)
	fetched, items := 0, 0
	for i, rep := range reps {
		if errs[i] != nil {
			b.Fatal(errs[i])
		}
		fetched += rep.Count(fetcher.Fetched)
		for _, res := range rep.Results {
			items += res.New
		}
	}
	if fetched != len(feeds) {
		b.Fatalf("%d instances fetched %d feeds between them, want each of the %d once", instances, fetched, len(feeds))
	}
	return items, took
}
