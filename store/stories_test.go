package store

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

func openStoriesStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "w.db"), Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var storiesT0 = time.Date(2023, 6, 14, 10, 0, 0, 0, time.UTC)

// record stores items for feed, each in a fetch made a minute after it
// was published, so stories are first seen in the order of their dates.
func record(t *testing.T, s *Store, feed string, items ...wirefeed.Item) {
	t.Helper()
	for _, it := range items {
		_, err := s.Record(context.Background(), &wirefeed.Outcome{
			Feed:      wirefeed.Feed{Name: feed, URL: "https://" + strings.ReplaceAll(strings.ToLower(feed), " ", "") + ".example/feed"},
			Attempted: it.Published.Add(time.Minute),
			Status:    200,
			Items:     []wirefeed.Item{it},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func item(guid, title, text string, published time.Time) wirefeed.Item {
	return wirefeed.Item{GUID: guid, URL: "https://news.example/" + guid, Title: title, Text: text, Published: published, Updated: published}
}

func titles(stories []wirefeed.Story) []string {
	var out []string
	for _, s := range stories {
		out = append(out, s.Representative.Title)
	}
	return out
}

func TestTotals(t *testing.T) {
	s := openStoriesStore(t)
	record(t, s, "Agency", item("a1", "One", "x", storiesT0), item("a2", "Two", "y", storiesT0))
	dup := item("b1", "One again", "x", storiesT0)
	dup.URL = "https://news.example/a1"
	record(t, s, "Other", dup)
	got, err := s.Totals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (wirefeed.Totals{Stories: 2, MergedStories: 1, Items: 3}); got != want {
		t.Errorf("Totals = %+v, want %+v", got, want)
	}
}

// TestTotalsCountedOncePerGeneration checks that Totals counts again only
// after a change to stories or items, by this store or another process on
// the same database, and that callers arriving together share one count.
func TestTotalsCountedOncePerGeneration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "w.db")
	s, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check := func(step string, want wirefeed.Totals, counts int64) {
		t.Helper()
		before := totalsCounted.Load()
		var wg sync.WaitGroup
		got := make([]wirefeed.Totals, 8)
		errs := make([]error, 8)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = s.Totals(ctx)
			}()
		}
		wg.Wait()
		for i := range got {
			if errs[i] != nil || got[i] != want {
				t.Fatalf("%s: Totals = %+v, %v, want %+v", step, got[i], errs[i], want)
			}
		}
		if n := totalsCounted.Load() - before; n != counts {
			t.Errorf("%s: 8 calls counted %d times, want %d", step, n, counts)
		}
	}
	check("empty", wirefeed.Totals{}, 1)
	check("empty again", wirefeed.Totals{}, 0)
	record(t, s, "Agency", item("a1", "One", "x", storiesT0), item("a2", "Two", "y", storiesT0))
	check("two stories", wirefeed.Totals{Stories: 2, Items: 2}, 1)
	check("two stories again", wirefeed.Totals{Stories: 2, Items: 2}, 0)

	// Another process (a cron fetch beside the daemon) adds a copy.
	other, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	dup := item("b1", "One again", "x", storiesT0)
	dup.URL = "https://news.example/a1"
	record(t, other, "Other", dup)
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	check("a copy recorded by another store", wirefeed.Totals{Stories: 2, MergedStories: 1, Items: 3}, 1)

	// Retention deletes everything.
	if _, err := s.Prune(ctx, storiesT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("after retention", wirefeed.Totals{}, 1)
	check("after retention again", wirefeed.Totals{}, 0)
}
