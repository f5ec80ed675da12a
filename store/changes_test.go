package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/store"
)

// TestChangeLogReportsEveryChange: every change a deduplicator keeps in
// memory is reported, in commit order, whatever statement made it:
// signatures stored, replaced and deleted (with their items, by retention
// or with their feed), sentences learned, feeds renamed and deleted.
func TestChangeLogReportsEveryChange(t *testing.T) {
	ctx := context.Background()
	m := &scripted{decide: map[string]func(wirefeed.Lookup) wirefeed.Decision{}, resign: map[string]wirefeed.Decision{}}
	st, _ := MustOpen(t, m)
	pos, err := st.ScanSignatures(ctx, t0, func(int64, time.Time, []byte) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Changes(ctx, 0, func(wirefeed.IndexChange) error { return nil }); !errors.Is(err, wirefeed.ErrChangesLost) {
		t.Errorf("Changes(0) on a new database = %v, want ErrChangesLost (nothing before the log is in it)", err)
	}
	m.decide["a1"] = func(wirefeed.Lookup) wirefeed.Decision {
		return wirefeed.Decision{Rule: "new", Signature: []byte{1}, Sentences: []int64{7}, Learned: []int64{7}}
	}
	m.decide["b1"] = func(wirefeed.Lookup) wirefeed.Decision { return wirefeed.Decision{Rule: "new", Signature: []byte{2}} }
	m.resign["a1"] = wirefeed.Decision{Rule: wirefeed.RuleUpdate, Signature: []byte{3}}
	feedA, feedB := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}, wirefeed.Feed{Name: "B", URL: "https://b.example/feed"}
	rec := func(f wirefeed.Feed, at time.Time, items ...wirefeed.Item) {
		t.Helper()
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: at, Status: 200, Items: items}); err != nil {
			t.Fatal(err)
		}
	}
	rec(feedA, t0, item("a1", "https://a.example/1", "One", wireText, t0))
	rec(feedB, t0.Add(24*time.Hour), item("b1", "https://b.example/1", "Two", "other words", t0))
	rec(feedA, t0.Add(25*time.Hour), item("a1", "https://a.example/1", "One, changed", wireText, t0)) // re-signed
	renamed := feedA
	renamed.Name = "A2"
	if _, err := st.SyncFeeds(ctx, []wirefeed.Feed{renamed, feedB}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Prune(ctx, t0.Add(time.Hour)); err != nil { // a1 goes
		t.Fatal(err)
	}
	if _, err := st.PruneFeeds(ctx, []string{"A2"}, false); err != nil { // B and b1 go
		t.Fatal(err)
	}

	type change struct {
		kind      wirefeed.ChangeKind
		sig       []byte
		feed, old string
		hash      int64
	}
	var got []change
	var ids []int64
	last, err := st.Changes(ctx, pos, func(c wirefeed.IndexChange) error {
		got = append(got, change{c.Kind, c.Signature, c.Feed, c.OldFeed, c.Hash})
		ids = append(ids, c.ItemID)
		if c.Pos <= pos {
			t.Errorf("change at %d after position %d", c.Pos, pos)
		}
		pos = c.Pos
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Signatures are read as stored now: a1's and b1's items are gone.
	want := []change{
		{kind: wirefeed.ChangeSigned},
		{kind: wirefeed.ChangeLearned, feed: "A2", hash: 7},
		{kind: wirefeed.ChangeSigned},
		{kind: wirefeed.ChangeResigned},
		{kind: wirefeed.ChangeFeedRenamed, feed: "A2", old: "A"},
		{kind: wirefeed.ChangeUnsigned},
		{kind: wirefeed.ChangeUnsigned},
		{kind: wirefeed.ChangeFeedDeleted, old: "B"},
	}
	if !slices.EqualFunc(got, want, func(a, b change) bool {
		return a.kind == b.kind && slices.Equal(a.sig, b.sig) && a.feed == b.feed && a.old == b.old && a.hash == b.hash
	}) {
		t.Errorf("changes:\n got %+v\nwant %+v", got, want)
	}
	if len(ids) == len(want) && (ids[0] != ids[3] || ids[0] != ids[5] || ids[2] != ids[6] || ids[0] == ids[2]) {
		t.Errorf("item ids of the changes: %v", ids)
	}
	if last != pos {
		t.Errorf("Changes returned position %d, last change at %d", last, pos)
	}
	if again, err := st.Changes(ctx, last, func(wirefeed.IndexChange) error { t.Error("change after the last"); return nil }); err != nil || again != last {
		t.Errorf("Changes after the last = %d, %v; want %d", again, err, last)
	}
	// The signature a change reports is the one stored when it is read.
	m.decide["c1"] = func(wirefeed.Lookup) wirefeed.Decision { return wirefeed.Decision{Rule: "new", Signature: []byte{4}} }
	rec(renamed, t0.Add(26*time.Hour), item("c1", "https://a.example/3", "Three", "third", t0.Add(26*time.Hour)))
	var sigs [][]byte
	if _, err := st.Changes(ctx, last, func(c wirefeed.IndexChange) error {
		sigs = append(sigs, c.Signature)
		if c.Kind != wirefeed.ChangeSigned || !c.Seen.Equal(t0.Add(26*time.Hour)) {
			t.Errorf("change %+v, want c1 signed, first seen at %v", c, t0.Add(26*time.Hour))
		}
		return nil
	}); err != nil || len(sigs) != 1 || !slices.Equal(sigs[0], []byte{4}) {
		t.Errorf("changes after recording c1: %v, %v", sigs, err)
	}
}

// TestChangeLogIsTrimmed: retention keeps a day of changes; asking for
// changes from before that is ErrChangesLost, and a scan of the signatures
// gives a position to go on from.
func TestChangeLogIsTrimmed(t *testing.T) {
	ctx := context.Background()
	m := &scripted{decide: map[string]func(wirefeed.Lookup) wirefeed.Decision{
		"a1": func(wirefeed.Lookup) wirefeed.Decision { return wirefeed.Decision{Rule: "new", Signature: []byte{1}} },
		"a2": func(wirefeed.Lookup) wirefeed.Decision { return wirefeed.Decision{Rule: "new", Signature: []byte{2}} },
	}}
	st, _ := MustOpen(t, m)
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	pos, _ := st.ScanSignatures(ctx, t0, func(int64, time.Time, []byte) error { return nil })
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0, Status: 200, Items: []wirefeed.Item{item("a1", "", "One", wireText, t0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.DB(st).Exec(`UPDATE change_log SET at = at - 86400 - 60`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0, Status: 200, Items: []wirefeed.Item{item("a2", "", "Two", "two words", t0)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Prune(ctx, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Changes(ctx, pos, func(wirefeed.IndexChange) error { return nil }); !errors.Is(err, wirefeed.ErrChangesLost) {
		t.Errorf("Changes from before the trimmed entries = %v, want ErrChangesLost", err)
	}
	var n int
	scanned, err := st.ScanSignatures(ctx, t0, func(int64, time.Time, []byte) error { n++; return nil })
	if err != nil || n != 2 {
		t.Fatalf("ScanSignatures: %d, %v", n, err)
	}
	if _, err := st.Changes(ctx, scanned, func(c wirefeed.IndexChange) error {
		t.Errorf("change %+v after the scan's position", c)
		return nil
	}); err != nil {
		t.Errorf("Changes after a scan = %v", err)
	}
	var left int
	if err := store.DB(st).QueryRow(`SELECT count(*) FROM change_log`).Scan(&left); err != nil || left != 1 {
		t.Errorf("%d entries left in the log (%v), want 1: a2's, logged within the day", left, err)
	}
}
