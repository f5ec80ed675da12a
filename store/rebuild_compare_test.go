package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/searchtext"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// TestSearchRebuildSameAsFreshIndex stores the generated corpus (the
// index written item by item as items are recorded), runs 120 searches
// (words, phrases, prefixes, two terms, misses) page by page, then empties
// the index, puts its version back and reopens: after the rebuild, in
// chunks of 25 items, every search gives the same pages.
func TestSearchRebuildSameAsFreshIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	s, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	corpus := fixtures.GenerateCorpus(fixtures.CorpusOptions{Feeds: 8, Items: 30, MinWords: 60, MaxWords: 200, Republished: 0.3})
	at := storiesT0
	var prev string
	var texts []string
	for fi, f := range corpus.Feeds {
		doc, err := fetcher.Parse(f.Body, f.ContentType, "https://"+f.Path, at, fetcher.Limits{})
		if err != nil {
			t.Fatalf("parse %s: %v", f.Name, err)
		}
		for i := range doc.Items {
			if i%4 == 3 && prev != "" {
				doc.Items[i].URL = prev // stories of several members
			}
			prev = doc.Items[i].URL
			texts = append(texts, doc.Items[i].Text)
		}
		if fi%3 == 0 {
			for i, sc := range scriptItems {
				doc.Items = append(doc.Items, item(fmt.Sprintf("script-%d-%d", fi, i), sc.title, sc.text, at))
			}
		}
		if _, err := s.Record(ctx, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: f.Name, URL: "https://" + f.Path},
			Attempted: at, Status: 200, Items: doc.Items}); err != nil {
			t.Fatal(err)
		}
		at = at.Add(time.Duration(fi%2) * time.Minute)
	}
	r := rand.New(rand.NewPCG(5, 6))
	searches := slices.Clone(scriptSearches)
	for len(searches) < len(scriptSearches)+120 {
		words := strings.Fields(searchtext.Normalize(texts[r.IntN(len(texts))]))
		k := 1 + r.IntN(3)
		i := r.IntN(len(words) - k + 1)
		term := strings.Join(words[i:i+k], " ")
		switch len(searches) % 4 {
		case 1:
			if w := words[i+k-1]; len(w) > 3 {
				term = term[:len(term)-len(w)/2] + "*"
			}
		case 2:
			searches = append(searches, []string{term, words[r.IntN(len(words))]})
			continue
		}
		searches = append(searches, []string{term})
	}
	searches = append(searches, []string{"zqxnothing"})
	want := make([][]string, len(searches))
	found := 0
	for i, terms := range searches {
		want[i] = pagedSearch(t, s, terms, 7)
		if len(want[i]) > 0 {
			found++
		}
	}
	if found < len(searches)/2 {
		t.Fatalf("only %d of %d searches found anything: the test compares too little", found, len(searches))
	}
	for _, q := range []string{`DELETE FROM items_search`, `UPDATE meta SET value = 0 WHERE key = 'search_version'`} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	searchRebuildChunk = 25
	t.Cleanup(func() { searchRebuildChunk = 500 })
	s, err = Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitSearchRebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.SearchRebuildStats(); n < 200 {
		t.Fatalf("the rebuild indexed %d items", n)
	}
	for i, terms := range searches {
		if got := pagedSearch(t, s, terms, 7); !slices.Equal(got, want[i]) {
			t.Errorf("%q after the rebuild: %d stories %v, before %d %v", terms, len(got), firstIDs(got), len(want[i]), firstIDs(want[i]))
		}
	}
	if rows, items := indexRows(t, s); rows != items {
		t.Errorf("the index has %d rows for %d items", rows, items)
	}
}
