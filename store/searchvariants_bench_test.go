package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/searchtext"
)

// BenchmarkSearchIndexVariants measures what writing the search index costs
// per item (the FTS5 half of indexItem, a sixth of BenchmarkIngest's CPU),
// for the table the store has (migration 0009: unicode61 tokenizer with
// diacritics removal, full detail) and for variants of it, on the generated
// corpus normalised as the store normalises it, fifty rows to a
// transaction, automerge 16 as the store sets it. It reports CPU time per row (fts-us/row) and the index's
// size per row (fts-B/row), and, for each variant, on how many of 300
// phrases drawn from the corpus it finds other rows than the store's table
// (differs): the texts are normalised already (searchtext: folded, words of
// letters, digits and marks joined by single spaces), so a tokenizer that
// only splits on spaces, as "ascii" does on such text, should find the same.
// Phrase queries need full detail; with detail=column the benchmark looks up
// the phrase's words instead, as a search would before it checks the order
// of the words on the candidates' text.
//
//	go test ./store -run '^$' -bench SearchIndexVariants -benchtime 1x -cpu 1
func BenchmarkSearchIndexVariants(b *testing.B) {
	o := fixtures.CorpusOptions{}
	if testing.Short() {
		o.Feeds = 40
	}
	corpus := fixtures.GenerateCorpus(o)
	seen := time.Date(2024, 6, 10, 13, 0, 0, 0, time.UTC)
	var rows [][3]string
	for _, f := range corpus.Feeds {
		doc, err := fetcher.Parse(f.Body, f.ContentType, "https://"+f.Path, seen, fetcher.Limits{})
		if err != nil {
			b.Fatalf("parse %s: %v", f.Name, err)
		}
		for _, it := range doc.Items {
			rows = append(rows, [3]string{searchtext.Normalize(it.Title), searchtext.Normalize(it.Summary), searchtext.Normalize(it.Text)})
		}
	}
	// Phrases of one to three words from the texts.
	r := rand.New(rand.NewPCG(12, 13))
	var phrases []string
	for len(phrases) < 300 {
		words := strings.Fields(rows[r.IntN(len(rows))][2])
		if len(words) < 3 {
			continue
		}
		n := 1 + r.IntN(3)
		i := r.IntN(len(words) - n + 1)
		phrases = append(phrases, strings.Join(words[i:i+n], " "))
	}
	variants := []struct{ name, options string }{
		{"store", `tokenize = 'unicode61 remove_diacritics 2'`},
		{"ascii", `tokenize = 'ascii'`},
		{"store-detail-column", `tokenize = 'unicode61 remove_diacritics 2', detail = column`},
		{"ascii-detail-column", `tokenize = 'ascii', detail = column`},
	}
	ctx := context.Background()
	var reference [][]int64
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			var cpu time.Duration
			var size int64
			var found [][]int64
			for b.Loop() {
				b.StopTimer()
				db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "search.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
				if err != nil {
					b.Fatal(err)
				}
				db.SetMaxOpenConns(1)
				if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE s USING fts5(title, summary, text, content = '', contentless_delete = 1, `+v.options+`)`); err != nil {
					b.Fatal(err)
				}
				// As migration 0011 sets it for the store's table.
				if _, err := db.ExecContext(ctx, `INSERT INTO s (s, rank) VALUES ('automerge', 16)`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				cpu0 := benchCPU()
				for start := 0; start < len(rows); start += 50 {
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					for i := start; i < min(start+50, len(rows)); i++ {
						if _, err := tx.ExecContext(ctx, `INSERT INTO s (rowid, title, summary, text) VALUES (?, ?, ?, ?)`, i+1, rows[i][0], rows[i][1], rows[i][2]); err != nil {
							b.Fatal(err)
						}
					}
					if err := tx.Commit(); err != nil {
						b.Fatal(err)
					}
				}
				cpu += benchCPU() - cpu0
				b.StopTimer()
				if err := db.QueryRowContext(ctx, `SELECT sum(pgsize) FROM dbstat WHERE name LIKE 's%'`).Scan(&size); err != nil {
					b.Fatal(err)
				}
				found = found[:0]
				for _, p := range phrases {
					q := `"` + p + `"`
					if strings.Contains(v.options, "column") {
						q = p // the words, in any order
					}
					ids, err := variantMatchIDs(ctx, db, q)
					if err != nil {
						b.Fatalf("%s: %v", q, err)
					}
					found = append(found, ids)
				}
				db.Close()
				b.StartTimer()
			}
			if reference == nil {
				reference = slices.Clone(found)
			}
			differs := 0
			for i := range found {
				if !slices.Equal(found[i], reference[i]) {
					differs++
				}
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*len(rows)), "fts-us/row")
			b.ReportMetric(float64(size)/float64(len(rows)), "fts-B/row")
			b.ReportMetric(float64(differs), "differs")
		})
	}
}

func variantMatchIDs(ctx context.Context, db *sql.DB, q string) ([]int64, error) {
	rs, err := db.QueryContext(ctx, `SELECT rowid FROM s WHERE s MATCH ? ORDER BY rowid`, q)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	defer rs.Close()
	var ids []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rs.Err()
}
