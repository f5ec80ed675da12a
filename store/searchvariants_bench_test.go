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
	"unicode/utf8"

	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/searchtext"
)

// indexVariant is a layout of the search index: the FTS5 table's options,
// its columns, and what a row of them holds, made from an item's
// normalised title, summary and text.
type indexVariant struct {
	name    string
	options string
	columns []string
	values  func(title, summary, text string) []any
	// positions: the index keeps word positions (detail=full) and answers
	// phrase queries itself; otherwise a search asks for all the words
	// and checks their order on the candidates' texts.
	positions bool
}

func threeColumns(title, summary, text string) []any { return []any{title, summary, text} }

var indexVariants = []indexVariant{
	// The table of migration 0009.
	{"store", `tokenize = 'unicode61 remove_diacritics 2'`, []string{"title", "summary", "text"}, threeColumns, true},
	{"ascii", `tokenize = 'ascii'`, []string{"title", "summary", "text"}, threeColumns, true},
	{"ascii-detail-column", `tokenize = 'ascii', detail = column`, []string{"title", "summary", "text"}, threeColumns, false},
	{"ascii-detail-none", `tokenize = 'ascii', detail = none`, []string{"title", "summary", "text"}, threeColumns, false},
	// One column: the title, the summary unless the text holds it, the
	// text (searchWords, the store's layout since migration 0017).
	{"ascii-none-words", `tokenize = 'ascii', detail = none`, []string{"words"},
		func(title, summary, text string) []any { return []any{searchWords(title, summary, text)} }, false},
	// One column of each word once.
	{"ascii-none-distinct", `tokenize = 'ascii', detail = none`, []string{"words"},
		func(title, summary, text string) []any { return []any{distinctWords(title, summary, text)} }, false},
}

// distinctWords is every word of the fields once, in order of first
// appearance.
func distinctWords(fields ...string) string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, f := range fields {
		for _, w := range strings.Fields(f) {
			if !seen[w] {
				seen[w] = true
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(w)
			}
		}
	}
	return b.String()
}

// BenchmarkSearchIndexVariants measures what writing the search index costs
// per item (the FTS5 half of indexItem), for the table of migration 0009
// (unicode61 tokenizer with diacritics removal, full detail, title, summary
// and text), the store's table since migration 0017 (ascii-none-words) and
// other variants, on the generated corpus normalised as the store
// normalises it, fifty rows to a transaction, merged as the store's table
// is (automerge 8, crisismerge 64). It reports CPU time per row (fts-us/row: FTS5 and whatever the
// variant does in Go to make its row) and the index's size per row
// (fts-B/row), and, for each variant, on how many of 300 searches drawn
// from the corpus (phrases of one to three words, one in four ending in a
// prefix) it finds other rows than migration 0009's table (differs). A
// variant without positions (detail column or none) cannot answer a phrase:
// it is asked for the phrase's words, and the candidates it returns
// (cands/search on average) are kept when a field of theirs holds the
// phrase (searchtext.HasPhrase), as the store's search does.
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
	searches := corpusSearches(rows, 300)
	ctx := context.Background()
	var reference [][]int64
	for _, v := range indexVariants {
		b.Run(v.name, func(b *testing.B) {
			var cpu time.Duration
			var size int64
			var found [][]int64
			candidates := 0
			insert := `INSERT INTO s (rowid, ` + strings.Join(v.columns, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(v.columns)) + `)`
			for b.Loop() {
				b.StopTimer()
				db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "search.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
				if err != nil {
					b.Fatal(err)
				}
				db.SetMaxOpenConns(1)
				if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE s USING fts5(`+strings.Join(v.columns, ", ")+`, content = '', contentless_delete = 1, `+v.options+`)`); err != nil {
					b.Fatal(err)
				}
				// As migration 0018 sets them for the store's table.
				for _, q := range []string{`INSERT INTO s (s, rank) VALUES ('automerge', 8)`, `INSERT INTO s (s, rank) VALUES ('crisismerge', 64)`} {
					if _, err := db.ExecContext(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				cpu0 := benchCPU()
				for start := 0; start < len(rows); start += 50 {
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					st, err := tx.PrepareContext(ctx, insert)
					if err != nil {
						b.Fatal(err)
					}
					for i := start; i < min(start+50, len(rows)); i++ {
						r := rows[i]
						if _, err := st.ExecContext(ctx, append([]any{i + 1}, v.values(r[0], r[1], r[2])...)...); err != nil {
							b.Fatal(err)
						}
					}
					st.Close()
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
				candidates = 0
				for _, s := range searches {
					if v.positions {
						q := `"` + s.phrase + `"`
						if s.prefix {
							q += "*"
						}
						ids, err := variantMatchIDs(ctx, db, q)
						if err != nil {
							b.Fatalf("%s: %v", q, err)
						}
						found = append(found, ids)
						continue
					}
					ids, err := variantMatchIDs(ctx, db, ftsAllWords(strings.Split(s.phrase, " "), s.prefix))
					if err != nil {
						b.Fatalf("%s: %v", s.phrase, err)
					}
					candidates += len(ids)
					ids = slices.DeleteFunc(ids, func(id int64) bool {
						for _, f := range rows[id-1] {
							if searchtext.HasPhrase(f, s.phrase, s.prefix) {
								return false
							}
						}
						return true
					})
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
			if !v.positions {
				b.ReportMetric(float64(candidates)/float64(len(searches)), "cands/search")
			}
		})
	}
}

// corpusSearch is a search drawn from a corpus: a phrase of normalised
// words, the last of them a prefix when prefix is set.
type corpusSearch struct {
	phrase string
	prefix bool
}

// corpusSearches draws n searches from the texts of rows: phrases of one
// to three words, one in four with its last word cut to a prefix of at
// least two bytes.
func corpusSearches(rows [][3]string, n int) []corpusSearch {
	r := rand.New(rand.NewPCG(12, 13))
	var out []corpusSearch
	for len(out) < n {
		words := strings.Fields(rows[r.IntN(len(rows))][2])
		if len(words) < 3 {
			continue
		}
		k := 1 + r.IntN(3)
		i := r.IntN(len(words) - k + 1)
		s := corpusSearch{phrase: strings.Join(words[i:i+k], " ")}
		if len(out)%4 == 3 {
			last := words[i+k-1]
			if cut := len(last) / 2; cut >= 2 && utf8.RuneStart(last[cut]) {
				s.phrase, s.prefix = strings.Join(append(slices.Clone(words[i:i+k-1]), last[:cut]), " "), true
			}
		}
		out = append(out, s)
	}
	return out
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
