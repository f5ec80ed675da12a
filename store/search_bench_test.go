package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// BenchmarkSearch100k measures ?q= on a cache miss: Stories with search
// terms and the handler's limit (50, plus one for the next link) over
// 100,000 stories of generated prose, one in a hundred in Russian and one
// in a hundred in Chinese. Building the database takes about a minute.
//
//	go test ./store -run '^$' -bench Search100k -benchtime 200x -cpu 1
func BenchmarkSearch100k(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 100,000-story database")
	}
	const stories = 100_000
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "search.db"), Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	for batch := 0; batch < stories/500; batch++ {
		items := make([]wirefeed.Item, 500)
		for i := range items {
			n := batch*500 + i
			pub := storiesT0.Add(time.Duration(n) * time.Second)
			title, text := fixtures.Words(rng, 8), fixtures.Paragraph(rng)
			switch n % 100 {
			case 7:
				title, text = "Переговоры в Москве "+title, "Делегации встретились в Москве. "+text
			case 9:
				title, text = "南海局势 "+title, "中国与菲律宾外长周二在马尼拉会面，讨论南海紧张局势。"+text
			}
			items[i] = wirefeed.Item{GUID: fmt.Sprint(n), URL: fmt.Sprintf("https://news.example/%d", n),
				Title: title, Text: text, Published: pub, Updated: pub}
		}
		_, err := s.Record(ctx, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: fmt.Sprintf("Feed %d", batch%40), URL: fmt.Sprintf("https://f%d.example/", batch%40)},
			Attempted: storiesT0.Add(time.Duration(batch) * time.Minute), Status: 200, Items: items})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("built %d stories in %s", stories, time.Since(start).Round(time.Second))
	// A common word and a rare one of the generated vocabulary.
	common, rare := fixtures.Words(rand.New(rand.NewPCG(0, 0)), 1), "zzzznotaword"
	commonest := commonestWords(2)
	for _, q := range []struct {
		name  string
		terms []string
	}{
		{"common-word", []string{common}},
		{"two-words", []string{common, "москве"}},
		{"cyrillic-lower-case", []string{"москве"}},
		{"chinese-2-chars", []string{"南海"}},
		{"phrase", []string{"переговоры в москве"}},
		// The two commonest words of the generated vocabulary (each in
		// about half the texts), in the order they rarely have: most
		// candidates are checked and rejected, up to maxSearchRejects.
		{"common-words-phrase", []string{commonest[1] + " " + commonest[0]}},
		{"prefix", []string{"моск*"}},
		{"no-match", []string{rare}},
	} {
		b.Run(q.name, func(b *testing.B) {
			var found int
			for b.Loop() {
				got, err := s.Stories(ctx, wirefeed.StoryQuery{Limit: 51, Terms: q.terms})
				if err != nil {
					b.Fatal(err)
				}
				found = len(got)
			}
			b.ReportMetric(float64(found), "stories")
		})
	}
}

// commonestWords returns the n commonest words of the generated prose,
// commonest first.
func commonestWords(n int) []string {
	count := map[string]int{}
	for _, w := range strings.Fields(fixtures.Words(rand.New(rand.NewPCG(9, 9)), 50_000)) {
		count[w]++
	}
	words := slices.Collect(maps.Keys(count))
	slices.SortFunc(words, func(a, b string) int { return cmp.Or(count[b]-count[a], strings.Compare(a, b)) })
	return words[:n]
}

// BenchmarkSearchIndexRebuild measures what an upgrade that changes the
// search index (migration 0017, or a new searchVersion) costs at Open:
// the search index's rebuild (rebuild.go) over the generated corpus (10,000 items of 300 to 800
// words; 2,000 with -short), recorded beforehand. It reports CPU and wall
// time per item (rebuild-cpu-us/item, rebuild-wall-us/item); a database of
// 100,000 such items takes 100,000 times as long.
//
//	go test ./store -run '^$' -bench SearchIndexRebuild -benchtime 2x -cpu 1
func BenchmarkSearchIndexRebuild(b *testing.B) {
	o := fixtures.CorpusOptions{}
	if testing.Short() {
		o.Feeds = 40
	}
	corpus := fixtures.GenerateCorpus(o)
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "rebuild.db"), Options{Matcher: wirefeedtest.URLMatcher{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
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
	for i := 0; i < len(outs); i += 16 {
		if _, errs := s.RecordBatch(ctx, outs[i:min(i+16, len(outs))]); errors.Join(errs...) != nil {
			b.Fatal(errors.Join(errs...))
		}
	}
	var items int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&items); err != nil {
		b.Fatal(err)
	}
	var cpu, wall time.Duration
	for b.Loop() {
		b.StopTimer()
		if _, err := s.db.ExecContext(ctx, `UPDATE meta SET value = 0 WHERE key = 'search_version'`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0, start := benchCPU(), time.Now()
		if err := s.startSearchRebuild(ctx); err != nil {
			b.Fatal(err)
		}
		if err := s.WaitSearchRebuild(ctx); err != nil {
			b.Fatal(err)
		}
		cpu += benchCPU() - cpu0
		wall += time.Since(start)
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*items), "rebuild-cpu-us/item")
	b.ReportMetric(float64(wall.Microseconds())/float64(b.N*items), "rebuild-wall-us/item")
}
