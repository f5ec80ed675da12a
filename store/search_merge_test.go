package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// searchMergeConfig reads the search index's merge settings.
func searchMergeConfig(t *testing.T, s *Store) (automerge, crisismerge int) {
	t.Helper()
	rows, err := s.db.Query(`SELECT k, v FROM items_search_config WHERE k IN ('automerge', 'crisismerge')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		if k == "automerge" {
			automerge = v
		} else {
			crisismerge = v
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return automerge, crisismerge
}

// TestSearchIndexMergesInSteps checks the search index's merge settings
// of migration 0018 on a new database and on one upgraded from 0017, then
// writes it one item per transaction (a segment each), deletes a third by
// retention, and checks FTS5's integrity check and that every word is
// found exactly where it should be.
func TestSearchIndexMergesInSteps(t *testing.T) {
	ctx := context.Background()
	const wantAuto, wantCrisis = 8, 64

	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}}, 17)
	if err != nil {
		t.Fatal(err)
	}
	if a, c := searchMergeConfig(t, old); a != 16 || c != 0 {
		t.Fatalf("at 0017: automerge %d, crisismerge %d, want 16 and unset", a, c)
	}
	old.Close()
	up, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	if a, c := searchMergeConfig(t, up); a != wantAuto || c != wantCrisis {
		t.Errorf("upgraded: automerge %d, crisismerge %d, want %d and %d", a, c, wantAuto, wantCrisis)
	}
	up.Close()

	s := openStoriesStore(t)
	if a, c := searchMergeConfig(t, s); a != wantAuto || c != wantCrisis {
		t.Errorf("new database: automerge %d, crisismerge %d, want %d and %d", a, c, wantAuto, wantCrisis)
	}
	const n, pruned = 300, 100
	word := func(i int) string { return fmt.Sprintf("mw%03dz", i) }
	for i := range n {
		record(t, s, "Agency", item(fmt.Sprintf("m%03d", i), fmt.Sprintf("Item %d", i),
			"Ministers met about "+word(i)+" and the common words again.", storiesT0.Add(time.Duration(i)*time.Minute)))
	}
	// Item i was first seen at storiesT0 + i+1 minutes.
	if k, err := s.Prune(ctx, storiesT0.Add(pruned*time.Minute+30*time.Second)); err != nil || k != pruned {
		t.Fatalf("Prune = %d, %v, want %d", k, err, pruned)
	}
	if _, err := s.db.Exec(`INSERT INTO items_search (items_search) VALUES ('integrity-check')`); err != nil {
		t.Fatalf("integrity-check: %v", err)
	}
	for i := range n {
		got := searchTitles(t, s, word(i))
		want := 1
		if i < pruned {
			want = 0
		}
		if len(got) != want || (want == 1 && got[0] != fmt.Sprintf("Item %d", i)) {
			t.Errorf("%s found %q, want %d item", word(i), got, want)
		}
	}
	if got := searchTitles(t, s, "common words"); len(got) == 0 {
		t.Error(`"common words" found nothing`)
	}
}
