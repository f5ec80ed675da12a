package store

import (
	"context"
	"path/filepath"
	"strings"
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
