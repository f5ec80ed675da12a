package store

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// searchTitles returns the titles of the stories matching terms.
func searchTitles(t *testing.T, s *Store, terms ...string) []string {
	t.Helper()
	got, err := s.Stories(context.Background(), wirefeed.StoryQuery{Terms: terms})
	if err != nil {
		t.Fatal(err)
	}
	return titles(got)
}

// TestSearchIndexFollowsItems checks that the search index changes in the
// transactions that change items: an updated text is found by its new
// words only, and pruned items are found no more.
func TestSearchIndexFollowsItems(t *testing.T) {
	s := openStoriesStore(t)
	it := item("g1", "Talks in Вена", "Diplomats met in Vienna.", storiesT0)
	record(t, s, "Agency", it)
	if got := searchTitles(t, s, "вена"); !slices.Equal(got, []string{"Talks in Вена"}) {
		t.Fatalf("before update: %q", got)
	}
	it.Text = "Diplomats met in Geneva instead."
	it.Updated = it.Updated.Add(time.Hour)
	record(t, s, "Agency", it)
	if got := searchTitles(t, s, "vienna"); got != nil {
		t.Errorf("old text still found after update: %q", got)
	}
	if got := searchTitles(t, s, "geneva"); !slices.Equal(got, []string{"Talks in Вена"}) {
		t.Errorf("new text not found after update: %q", got)
	}
	if _, err := s.Prune(context.Background(), storiesT0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := searchTitles(t, s, "geneva"); got != nil {
		t.Errorf("pruned item still found: %q", got)
	}
	var rows int
	if err := s.db.QueryRow(`SELECT count(*) FROM items_search`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("search index holds %d rows after pruning every item (%v)", rows, err)
	}
}

// TestSearchIndexBuiltForOlderDatabases opens a database whose index was
// never built (as one migrated from before 0009 is) and finds its items.
func TestSearchIndexBuiltForOlderDatabases(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	s, err := Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, "Agency", item("g1", "Summit in Zürich", "Leaders met.", storiesT0))
	for _, q := range []string{`DELETE FROM items_search`, `UPDATE meta SET value = 0 WHERE key = 'search_version'`} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if got := searchTitles(t, s, "zurich"); got != nil {
		t.Fatalf("emptied index still finds %q", got)
	}
	s.Close()
	s, err = Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitSearchRebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := searchTitles(t, s, "zurich"); !slices.Equal(got, []string{"Summit in Zürich"}) {
		t.Errorf("after reopening: %q, want the item found", got)
	}
}

// TestRecordCountsMergesByRule checks RecordResult.Merged and that each
// member carries the rule that put it in its story.
func TestRecordCountsMergesByRule(t *testing.T) {
	s := openStoriesStore(t)
	a := item("a1", "Summit", "Leaders met.", storiesT0)
	b := item("b1", "Summit copy", "Leaders met, a copy.", storiesT0.Add(time.Minute))
	b.URL = a.URL
	record(t, s, "Agency", a)
	res, err := s.Record(context.Background(), &wirefeed.Outcome{Feed: wirefeed.Feed{Name: "Paper", URL: "https://paper.example/feed"},
		Attempted: storiesT0.Add(2 * time.Minute), Status: 200, Items: []wirefeed.Item{b}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewItems != 1 || res.Merged["url"] != 1 || res.NewStories != 0 {
		t.Errorf("RecordResult = %+v, want one new item merged by url", res)
	}
	got, err := s.Stories(context.Background(), wirefeed.StoryQuery{})
	if err != nil || len(got) != 1 || len(got[0].Members) != 2 {
		t.Fatalf("Stories = %+v, %v", got, err)
	}
	// URLMatcher gives "url" to every decision, the first one included.
	if r := got[0].Members[1].Rule; r != "url" {
		t.Errorf("second member's Rule = %q, want url", r)
	}
}

// TestUpgradeTo0017RebuildsSearchIndex opens a database as migration 0016
// left it, with migration 0009's positional index filled, and checks that
// the upgrade replaces the index with the word index and fills it from
// the items at Open.
func TestUpgradeTo0017RebuildsSearchIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}}, 16)
	if err != nil {
		t.Fatal(err)
	}
	// Record writes the word index; the items are then indexed again as
	// 0009's code indexed them.
	for _, q := range []string{`DROP TABLE items_search`,
		`CREATE VIRTUAL TABLE items_search USING fts5(words, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii')`} {
		if _, err := old.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	record(t, old, "Agency", item("g1", "Summit in Zürich", "Leaders met in São Paulo before the summit.", storiesT0),
		item("g2", "南海局势", "中国与菲律宾外长周二在马尼拉会面。", storiesT0.Add(time.Minute)))
	for _, q := range []string{`DROP TABLE items_search`,
		`CREATE VIRTUAL TABLE items_search USING fts5(title, summary, text, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2')`,
		`INSERT INTO items_search (rowid, title, summary, text) SELECT id, 'summit in zurich', '', 'leaders met in sao paulo before the summit' FROM items WHERE guid LIKE '%g1'`,
		`INSERT INTO items_search (rowid, title, summary, text) SELECT id, '南 海 局 势', '', '中 国 与 菲 律 宾 外 长 周 二 在 马 尼 拉 会 面' FROM items WHERE guid LIKE '%g2'`,
		`UPDATE meta SET value = 1 WHERE key = 'search_version'`} {
		if _, err := old.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	s, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitSearchRebuild(ctx); err != nil {
		t.Fatal(err)
	}
	var def string
	var version, rows int
	if err := s.db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'items_search'`).Scan(&def); err != nil || !strings.Contains(def, "detail = none") {
		t.Errorf("items_search after the upgrade: %q (%v), want the word index of 0017", def, err)
	}
	if err := s.db.QueryRow(`SELECT value FROM meta WHERE key = 'search_version'`).Scan(&version); err != nil || version != searchVersion {
		t.Errorf("search_version = %d (%v), want %d", version, err, searchVersion)
	}
	if err := s.db.QueryRow(`SELECT count(*) FROM items_search`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("%d rows in the index (%v), want 2", rows, err)
	}
	for _, tt := range []struct{ term, want string }{
		{"sao paulo", "Summit in Zürich"}, {"ZURICH", "Summit in Zürich"}, {"南海", "南海局势"}, {"马尼拉", "南海局势"},
	} {
		if got := searchTitles(t, s, tt.term); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("%q after the upgrade: %q, want %q", tt.term, got, tt.want)
		}
	}
	if got := searchTitles(t, s, "paulo sao"); got != nil {
		t.Errorf(`"paulo sao" found %q: the order of the words is not checked`, got)
	}
}
