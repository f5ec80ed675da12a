package perf

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/store"
)

// TestBuildHistory builds a small history and checks what the store holds:
// every item, the window's share of them with signatures the index loads,
// the rest older than the window and younger than retention.
func TestBuildHistory(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	path := filepath.Join(t.TempDir(), "h.db")
	if err := BuildHistory(ctx, path, HistoryOptions{Items: 1200, Window: 300, Recorded: 700, Feeds: 7, Now: now}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, path, store.Options{Matcher: dedupe.New(dedupe.Options{Logger: quiet}), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tot, err := st.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tot.Items != 1200 || tot.Stories != 1200 {
		t.Errorf("Totals = %+v, want 1200 items in 1200 stories", tot)
	}
	inWindow := 0
	_, err = st.ScanSignatures(ctx, now.Add(-48*time.Hour), func(id int64, seen time.Time, sig []byte) error {
		inWindow++
		if len(sig) < 100 {
			t.Errorf("item %d: signature of %d bytes", id, len(sig))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inWindow != 300 {
		t.Errorf("%d items first seen in the last two days, want 300", inWindow)
	}
	states, err := st.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counted := 0
	for _, s := range states {
		counted += s.Items
	}
	if len(states) != 7 || counted != 1200 {
		t.Errorf("feed states %d counting %d items; want 7 feeds holding 1200", len(states), counted)
	}
	checkSentenceWindows(t, path, wirefeed.DefaultSentenceItems)
	if n, err := st.Prune(ctx, now.Add(-720*time.Hour)); err != nil || n != 0 {
		t.Errorf("Prune at 30 days = %d, %v; want nothing older", n, err)
	}
}

// checkSentenceWindows checks that the sentence lists of the database at
// path are those the store keeps: each feed's newest n items (by id), no
// other, and that they are lists of hashes.
func checkSentenceWindows(t *testing.T, path string, n int) {
	t.Helper()
	ctx := context.Background()
	db, err := openFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT feed_id, item_id, length(hashes) FROM item_sentences ORDER BY feed_id, item_id DESC`)
	if err != nil {
		t.Fatal(err)
	}
	lists := map[int64][]int64{}
	for rows.Next() {
		var feed, id, size int64
		if err := rows.Scan(&feed, &id, &size); err != nil {
			t.Fatal(err)
		}
		if size == 0 || size%8 != 0 {
			t.Errorf("item %d: a list of %d bytes", id, size)
		}
		lists[feed] = append(lists[feed], id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	var feeds []int64
	if err := sqlColumn(ctx, db, &feeds, `SELECT DISTINCT feed_id FROM items`); err != nil {
		t.Fatal(err)
	}
	for _, f := range feeds {
		var newest []int64
		if err := sqlColumn(ctx, db, &newest, `SELECT id FROM items WHERE feed_id = ? ORDER BY id DESC LIMIT ?`, f, n); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(lists[f], newest) {
			t.Errorf("feed %d: lists of items %v, want its newest %d items %v", f, lists[f], n, newest)
		}
	}
}

func sqlColumn(ctx context.Context, db *sql.DB, out *[]int64, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return rows.Err()
}
