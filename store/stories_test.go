package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
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

func TestStoriesQueries(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	record(t, s, "Agency",
		item("a1", "Summit in Geneva", "Leaders met in Geneva to discuss 50% tariffs.", storiesT0.Add(1*time.Minute)),
		item("a2", "Ceasefire talks", "Negotiators resumed ceasefire talks on Tuesday.", storiesT0.Add(2*time.Minute)),
		item("a3", "Election results", "The commission published the final results.", storiesT0.Add(3*time.Minute)),
		item("a4", "Trade deal signed", "Ministers signed the trade_deal text in Hanoi.", storiesT0.Add(4*time.Minute)),
	)
	record(t, s, "World",
		item("w1", "Визит в Москву", "Делегация прибыла в Москва-Сити во вторник.", storiesT0.Add(7*time.Minute)),
		item("w2", "Cúpula em São Paulo", "Ministros reuniram-se em São Paulo.", storiesT0.Add(8*time.Minute)),
		item("w3", "南海局势紧张", "中国与菲律宾外长讨论南海紧张局势。", storiesT0.Add(9*time.Minute)),
	)
	// The Paper carries a2 under the same URL: one story, two members.
	paper := item("p1", "Talks on ceasefire resume", "Negotiators resumed ceasefire talks (Paper copy).", storiesT0.Add(5*time.Minute))
	paper.URL = "https://news.example/a2"
	record(t, s, "The Paper", paper, item("p2", "Floods in the delta", "Monsoon floods displaced thousands.", storiesT0.Add(6*time.Minute)))

	tests := []struct {
		name string
		q    wirefeed.StoryQuery
		want []string
	}{
		{"all newest first", wirefeed.StoryQuery{Sources: []string{"Agency", "The Paper"}}, []string{"Floods in the delta", "Trade deal signed", "Election results", "Ceasefire talks", "Summit in Geneva"}},
		{"limit", wirefeed.StoryQuery{Limit: 2}, []string{"南海局势紧张", "Cúpula em São Paulo"}},
		{"cyrillic, any case", wirefeed.StoryQuery{Terms: []string{"москва"}}, []string{"Визит в Москву"}},
		{"cyrillic upper case", wirefeed.StoryQuery{Terms: []string{"МОСКВА-СИТИ"}}, []string{"Визит в Москву"}},
		{"accents ignored", wirefeed.StoryQuery{Terms: []string{"sao paulo"}}, []string{"Cúpula em São Paulo"}},
		{"accents in the query", wirefeed.StoryQuery{Terms: []string{"CÚPULA"}}, []string{"Cúpula em São Paulo"}},
		{"chinese by characters", wirefeed.StoryQuery{Terms: []string{"南海"}}, []string{"南海局势紧张"}},
		{"chinese inside a run", wirefeed.StoryQuery{Terms: []string{"菲律宾"}}, []string{"南海局势紧张"}},
		{"chinese characters apart do not match", wirefeed.StoryQuery{Terms: []string{"南张"}}, nil},
		// Floods was published after Since; Ceasefire gained a member after it.
		{"since", wirefeed.StoryQuery{Since: storiesT0.Add(6 * time.Minute), Sources: []string{"Agency", "The Paper"}}, []string{"Floods in the delta", "Ceasefire talks"}},
		{"term in text, any case", wirefeed.StoryQuery{Terms: []string{"GENEVA"}}, []string{"Summit in Geneva"}},
		{"term in another member", wirefeed.StoryQuery{Terms: []string{"paper copy"}}, []string{"Ceasefire talks"}},
		{"every term must occur", wirefeed.StoryQuery{Terms: []string{"ceasefire", "geneva"}}, nil},
		{"percent is literal", wirefeed.StoryQuery{Terms: []string{"50%"}}, []string{"Summit in Geneva"}},
		{"percent is not a wildcard", wirefeed.StoryQuery{Terms: []string{"s%t"}}, nil},
		{"underscore is literal", wirefeed.StoryQuery{Terms: []string{"trade_deal"}}, []string{"Trade deal signed"}},
		// Search is by words: punctuation separates them.
		{"punctuation separates words", wirefeed.StoryQuery{Terms: []string{"ceasefire_talks"}}, []string{"Ceasefire talks"}},
		{"whole words only", wirefeed.StoryQuery{Terms: []string{"genev"}}, nil},
		{"prefix", wirefeed.StoryQuery{Terms: []string{"genev*"}}, []string{"Summit in Geneva"}},
		{"phrase in order", wirefeed.StoryQuery{Terms: []string{"talks ceasefire"}}, nil},
		{"no words matches nothing", wirefeed.StoryQuery{Terms: []string{"%%"}}, nil},
		{"source", wirefeed.StoryQuery{Sources: []string{"the paper"}}, []string{"Floods in the delta", "Ceasefire talks"}},
		{"sources", wirefeed.StoryQuery{Sources: []string{"Nobody", "Agency"}, Limit: 2}, []string{"Trade deal signed", "Election results"}},
		{"source and term", wirefeed.StoryQuery{Sources: []string{"The Paper"}, Terms: []string{"monsoon"}}, []string{"Floods in the delta"}},
		{"keep", wirefeed.StoryQuery{Sources: []string{"Agency", "The Paper"}, Keep: func(s *wirefeed.Story) bool {
			return strings.Contains(s.Representative.Title, "e") && len(s.Members) == 1
		}},
			[]string{"Floods in the delta", "Trade deal signed", "Election results", "Summit in Geneva"}},
		{"before", wirefeed.StoryQuery{Sources: []string{"Agency", "The Paper"}, Before: &wirefeed.StoryCursor{FirstSeen: storiesT0.Add(4 * time.Minute), ID: "~"}}, []string{"Election results", "Ceasefire talks", "Summit in Geneva"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Stories(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(titles(got), tc.want) {
				t.Errorf("Stories(%+v) = %q, want %q", tc.q, titles(got), tc.want)
			}
		})
	}

	t.Run("members and published", func(t *testing.T) {
		got, err := s.Stories(ctx, wirefeed.StoryQuery{Terms: []string{"ceasefire"}})
		if err != nil || len(got) != 1 {
			t.Fatalf("Stories = %d stories, %v; want 1", len(got), err)
		}
		st := got[0]
		if len(st.Members) != 2 || st.Members[0].FeedName != "Agency" || st.Members[1].FeedName != "The Paper" {
			t.Errorf("members = %+v, want Agency then The Paper", st.Members)
		}
		if !st.Published.Equal(storiesT0.Add(2 * time.Minute)) {
			t.Errorf("Published = %v, want the earliest member's date %v", st.Published, storiesT0.Add(2*time.Minute))
		}
	})
}

// TestStoriesPaging walks every page with Before and a Keep filter that
// rejects most stories, including stories first seen at the same time, and
// checks that the pages together are exactly the filtered list.
func TestStoriesPaging(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	var items []wirefeed.Item
	for i := range 300 {
		// Three stories per minute: ties on Published are common.
		items = append(items, item(fmt.Sprintf("g%03d", i), fmt.Sprintf("Story %03d", i), "text", storiesT0.Add(time.Duration(i/3)*time.Minute)))
	}
	record(t, s, "Agency", items...)
	keep := func(st *wirefeed.Story) bool { return strings.HasSuffix(st.Representative.Title, "7") }

	for _, tc := range []struct {
		name string
		keep func(*wirefeed.Story) bool
		want int
	}{{"unfiltered", nil, 300}, {"filtered", keep, 30}} {
		t.Run(tc.name, func(t *testing.T) {
			all, err := s.Stories(ctx, wirefeed.StoryQuery{Limit: 1000, Keep: tc.keep})
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != tc.want {
				t.Fatalf("one query: %d stories, want %d", len(all), tc.want)
			}
			var paged []wirefeed.Story
			var before *wirefeed.StoryCursor
			for pages := 0; ; pages++ {
				if pages > 400 {
					t.Fatal("paging does not end")
				}
				page, err := s.Stories(ctx, wirefeed.StoryQuery{Limit: 7, Before: before, Keep: tc.keep})
				if err != nil {
					t.Fatal(err)
				}
				paged = append(paged, page...)
				if len(page) < 7 {
					break
				}
				last := page[len(page)-1]
				before = &wirefeed.StoryCursor{FirstSeen: last.FirstSeen, ID: last.ID}
			}
			if !slices.Equal(titles(paged), titles(all)) {
				t.Errorf("pages = %q\nwant %q", titles(paged), titles(all))
			}
		})
	}
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
