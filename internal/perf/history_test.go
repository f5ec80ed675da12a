package perf

import (
	"context"
	"path/filepath"
	"testing"
	"time"

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
	if n, err := st.Prune(ctx, now.Add(-720*time.Hour)); err != nil || n != 0 {
		t.Errorf("Prune at 30 days = %d, %v; want nothing older", n, err)
	}
}
