package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
)

// BenchmarkRecordCorpus measures the store and deduplicator side of an
// ingest (issue 13): the generated corpus (fixtures.GenerateCorpus, 200
// feeds of 50 items; 40 feeds with -short), parsed beforehand, recorded into
// an empty database by RecordBatch, sixteen feeds to a transaction as the
// Runner records a cycle, with the real deduplicator. It reports CPU time
// per item from getrusage (rec-us/item), and the database's size per item
// (db-B/item), without the search index (nosearch-B/item), and what the
// search index and the boilerplate statistics take (search-B/item,
// sentences-B/item), read from SQLite's dbstat after a checkpoint.
//
//	go test ./store -run '^$' -bench RecordCorpus -benchtime 2x -cpu 1
func BenchmarkRecordCorpus(b *testing.B) {
	o := fixtures.CorpusOptions{}
	if testing.Short() {
		o.Feeds = 40
	}
	corpus := fixtures.GenerateCorpus(o)
	seen := time.Date(2024, 6, 10, 13, 0, 0, 0, time.UTC)
	var outs []*wirefeed.Outcome
	for i, f := range corpus.Feeds {
		doc, err := fetcher.Parse(f.Body, f.ContentType, "https://"+f.Path, seen, fetcher.Limits{})
		if err != nil {
			b.Fatalf("parse %s: %v", f.Name, err)
		}
		outs = append(outs, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: f.Name, URL: fmt.Sprintf("https://feeds.example/%d", i)},
			Attempted: seen, Status: 200, Items: doc.Items})
	}
	ctx := context.Background()
	var cpu time.Duration
	var sizes map[string]int64
	items := 0
	for b.Loop() {
		b.StopTimer()
		engine := dedupe.New(dedupe.Options{})
		st, err := Open(ctx, filepath.Join(b.TempDir(), "wirefeed.db"), Options{Matcher: engine})
		if err != nil {
			b.Fatal(err)
		}
		if err := engine.Rebuild(ctx, st); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := benchCPU()
		for i := 0; i < len(outs); i += 16 {
			res, errs := st.RecordBatch(ctx, outs[i:min(i+16, len(outs))])
			for j, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
				items += res[j].NewItems
			}
		}
		cpu += benchCPU() - cpu0
		b.StopTimer()
		if err := st.Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
		if sizes, err = tableSizes(ctx, st); err != nil {
			b.Fatal(err)
		}
		st.Close()
		b.StartTimer()
	}
	perItem := func(keep func(name string) bool) float64 {
		var n int64
		for name, size := range sizes {
			if keep(name) {
				n += size
			}
		}
		return float64(n) / float64(items/b.N)
	}
	search := func(name string) bool { return strings.HasPrefix(name, "items_search") }
	b.ReportMetric(float64(cpu.Microseconds())/float64(items), "rec-us/item")
	b.ReportMetric(float64(items)/cpu.Seconds(), "items/cpu-s")
	b.ReportMetric(perItem(func(string) bool { return true }), "db-B/item")
	b.ReportMetric(perItem(func(n string) bool { return !search(n) }), "nosearch-B/item")
	b.ReportMetric(perItem(search), "search-B/item")
	b.ReportMetric(perItem(func(n string) bool {
		return strings.HasPrefix(n, "item_sentences")
	}), "sentences-B/item")
	if testing.Verbose() {
		for name, size := range sizes {
			b.Logf("%-40s %8.0f B/item", name, float64(size)/float64(items/b.N))
		}
	}
}

// tableSizes returns the bytes each table and index takes, free pages
// under "(free)".
func tableSizes(ctx context.Context, s *Store) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, sum(pgsize) FROM dbstat GROUP BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return nil, err
		}
		out[name] = n
	}
	var free, pageSize int64
	if err := s.db.QueryRowContext(ctx, `SELECT (SELECT freelist_count FROM pragma_freelist_count), (SELECT page_size FROM pragma_page_size)`).Scan(&free, &pageSize); err != nil {
		return nil, err
	}
	out["(free)"] = free * pageSize
	return out, rows.Err()
}

// benchCPU returns the CPU time (user and system) the process has used.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
