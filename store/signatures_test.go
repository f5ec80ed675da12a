package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/store"
)

// scripted is a Matcher whose decisions a test sets item by item (by GUID).
type scripted struct {
	decide          map[string]func(l wirefeed.Lookup) wirefeed.Decision
	resign          map[string]wirefeed.Decision // by GUID; else no signature
	commits, aborts int
}

func (s *scripted) Begin(_ context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	return &scriptedTx{s: s, l: l}, nil
}
func (s *scripted) Representative(ms []wirefeed.Member) int { return 0 }

// scriptedTx is a session of scripted.
type scriptedTx struct {
	s    *scripted
	l    wirefeed.Lookup
	done bool
}

func (tx *scriptedTx) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	if f := tx.s.decide[c.Item.GUID]; f != nil {
		return f(tx.l), nil
	}
	return wirefeed.Decision{Rule: "new"}, nil
}
func (tx *scriptedTx) Resign(_ context.Context, _ string, it *wirefeed.Item) (wirefeed.Decision, error) {
	if d, ok := tx.s.resign[it.GUID]; ok {
		return d, nil
	}
	return wirefeed.Decision{Rule: wirefeed.RuleUpdate}, nil
}
func (tx *scriptedTx) Prepare(context.Context) error { return nil }
func (tx *scriptedTx) Commit()                       { tx.end(&tx.s.commits) }
func (tx *scriptedTx) Abort()                        { tx.end(&tx.s.aborts) }
func (tx *scriptedTx) end(n *int) {
	if !tx.done {
		tx.done = true
		*n++
	}
}

func storyOf(t *testing.T, st *store.Store, guid string) string {
	t.Helper()
	var c string
	if err := store.DB(st).QueryRow(`SELECT cluster_id FROM items WHERE guid = ?`, guid).Scan(&c); err != nil {
		t.Fatalf("story of %s: %v", guid, err)
	}
	return c
}

func TestMergeFoldsYoungerStoriesIntoTheOlder(t *testing.T) {
	m := &scripted{decide: map[string]func(wirefeed.Lookup) wirefeed.Decision{}}
	st, _ := MustOpen(t, m)
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	rec := func(at time.Time, items ...wirefeed.Item) {
		t.Helper()
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: at, Status: 200, Items: items}); err != nil {
			t.Fatal(err)
		}
	}
	rec(t0, item("old", "https://a.example/old", "Old", wireText, t0))
	rec(t0.Add(time.Hour), item("young", "https://a.example/young", "Young", "other words", t0.Add(time.Hour)))
	rec(t0.Add(2*time.Hour), item("younger", "https://a.example/younger", "Younger", "more words", t0.Add(2*time.Hour)))
	old, young, younger := storyOf(t, st, "old"), storyOf(t, st, "young"), storyOf(t, st, "younger")
	// "younger" was merged into "young" earlier: its members move on.
	m.decide["link"] = func(wirefeed.Lookup) wirefeed.Decision {
		return wirefeed.Decision{StoryID: young, Merge: []string{younger}, Rule: "merge"}
	}
	rec(t0.Add(3*time.Hour), item("link", "https://a.example/link", "Link", "x", t0.Add(3*time.Hour)))
	m.decide["link2"] = func(wirefeed.Lookup) wirefeed.Decision {
		return wirefeed.Decision{StoryID: old, Merge: []string{young}, Rule: "merge"}
	}
	rec(t0.Add(4*time.Hour), item("link2", "https://a.example/link2", "Link 2", "y", t0.Add(4*time.Hour)))
	for _, g := range []string{"old", "young", "younger", "link", "link2"} {
		if got := storyOf(t, st, g); got != old {
			t.Errorf("item %s in story %s, want %s", g, got, old)
		}
	}
	stories, err := st.Stories(ctx, wirefeed.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(stories) != 1 || stories[0].ID != old || len(stories[0].Members) != 5 || !stories[0].FirstSeen.Equal(t0) {
		t.Errorf("stories after merges: %d, first %+v", len(stories), stories[0].ID)
	}
}

func TestLookupForTheDeduplicator(t *testing.T) {
	var got struct {
		items    []wirefeed.StoredItem
		id, root int64
		counts   map[int64]int
	}
	m := &scripted{decide: map[string]func(wirefeed.Lookup) wirefeed.Decision{}}
	st, _ := MustOpen(t, m)
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	m.decide["t"] = func(wirefeed.Lookup) wirefeed.Decision { return wirefeed.Decision{Rule: "new", Words: 0} }
	m.decide["b1"] = func(wirefeed.Lookup) wirefeed.Decision {
		return wirefeed.Decision{Rule: "new", Words: 30, Sentences: []int64{11, 22, -33}, Signature: []byte{1, 2}}
	}
	var story string
	m.decide["b2"] = func(l wirefeed.Lookup) wirefeed.Decision {
		var err error
		if got.id, err = l.ItemID(ctx, "A", "b1"); err != nil {
			t.Error(err)
		}
		if got.items, err = l.Items(ctx, []int64{got.id, 999}); err != nil {
			t.Error(err)
		}
		story = got.items[0].StoryID
		if got.root, err = l.StoryRoot(ctx, story); err != nil {
			t.Error(err)
		}
		if got.counts, err = l.SentenceCounts(ctx, "A", []int64{11, -33, 44}); err != nil {
			t.Error(err)
		}
		return wirefeed.Decision{StoryID: story, Words: 12, Sentences: []int64{11}, Learned: []int64{11}}
	}
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0, Status: 200, Items: []wirefeed.Item{
		item("t", "", "Title only", "", t0), item("b1", "https://a.example/b1", "Body", wireText, t0),
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0.Add(time.Hour), Status: 200, Items: []wirefeed.Item{
		item("b2", "https://a.example/b2", "Body 2", wireText+" More.", t0),
	}}); err != nil {
		t.Fatal(err)
	}
	if len(got.items) != 1 || got.items[0].GUID != "b1" || got.items[0].Words != 30 || got.items[0].Feed != "A" || got.items[0].Text != wireText {
		t.Errorf("Items = %+v", got.items)
	}
	if got.root != got.id {
		t.Errorf("StoryRoot = %d, want %d (the member with a body)", got.root, got.id)
	}
	if want := map[int64]int{11: 1, -33: 1}; !mapsEqual(got.counts, want) {
		t.Errorf("SentenceCounts = %v, want %v", got.counts, want)
	}
	var learned []int64
	err := st.ScanBoilerplate(ctx, func(feed string, h int64) error {
		if feed != "A" {
			t.Errorf("boilerplate of feed %q", feed)
		}
		learned = append(learned, h)
		return nil
	})
	if err != nil || !slices.Equal(learned, []int64{11}) {
		t.Errorf("ScanBoilerplate: %v, %v", learned, err)
	}
	var sigs []int64
	_, err = st.ScanSignatures(ctx, t0, func(id int64, seen time.Time, sig []byte) error {
		sigs = append(sigs, id)
		if !seen.Equal(t0) || !slices.Equal(sig, []byte{1, 2}) {
			t.Errorf("signature of %d: %v at %v", id, sig, seen)
		}
		return nil
	})
	if err != nil || len(sigs) != 1 {
		t.Errorf("ScanSignatures: %v, %v", sigs, err)
	}
	stop := errors.New("stop")
	if _, err := st.ScanSignatures(ctx, t0, func(int64, time.Time, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("ScanSignatures passes fn's error on: %v", err)
	}
	if _, err := st.ScanSignatures(ctx, t0.Add(time.Minute), func(int64, time.Time, []byte) error {
		t.Error("item before since scanned")
		return nil
	}); err != nil {
		t.Error(err)
	}
	if m.commits != 2 || m.aborts != 0 {
		t.Errorf("sessions: %d committed, %d aborted; want 2 and 0", m.commits, m.aborts)
	}
}

func mapsEqual(a, b map[int64]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFindItem(t *testing.T) {
	st, _ := MustOpen(t, &scripted{})
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0, Status: 200, Items: []wirefeed.Item{
		item("guid-1", "https://a.example/1", "One", wireText, t0), item("42", "https://a.example/2", "Two", "two", t0),
	}}); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ ref, title string }{
		{"https://a.example/1", "One"},
		{"guid-1", "One"},
		{"1", "One"},  // row id
		{"42", "Two"}, // no item 42: the GUID
		{" https://a.example/2 ", "Two"},
	}
	for _, tc := range cases {
		it, err := st.FindItem(ctx, tc.ref)
		if err != nil || it.Title != tc.title {
			t.Errorf("FindItem(%q) = %q, %v; want %q", tc.ref, it.Title, err, tc.title)
		}
	}
	if _, err := st.FindItem(ctx, "https://nowhere.example/"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindItem(missing) = %v, want ErrNotFound", err)
	}
}

// TestSentenceCountsFollowTheItems: a feed's sentence counts are the
// number of its stored items (within its last N) that carry each sentence:
// items stored earlier in the same transaction count, retention takes its
// items off, and a feed's counts go with the feed.
func TestSentenceCountsFollowTheItems(t *testing.T) {
	var inTx map[int64]int
	m := &scripted{decide: map[string]func(wirefeed.Lookup) wirefeed.Decision{
		"a": func(wirefeed.Lookup) wirefeed.Decision {
			return wirefeed.Decision{Rule: "new", Words: 20, Sentences: []int64{1, 2, 3}}
		},
		"b": func(l wirefeed.Lookup) wirefeed.Decision {
			var err error
			if inTx, err = l.SentenceCounts(context.Background(), "A", []int64{1, 2, 3, 4}); err != nil {
				t.Error(err)
			}
			return wirefeed.Decision{Rule: "new", Words: 20, Sentences: []int64{2, 4}}
		},
		"c": func(wirefeed.Lookup) wirefeed.Decision {
			return wirefeed.Decision{Rule: "new", Words: 20, Sentences: []int64{2, 5}}
		},
	}}
	st, _ := MustOpen(t, m)
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	rec := func(at time.Time, items ...wirefeed.Item) {
		t.Helper()
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: at, Status: 200, Items: items}); err != nil {
			t.Fatal(err)
		}
	}
	rec(t0, item("a", "", "A", wireText, t0), item("b", "", "B", "b words", t0))
	if want := map[int64]int{1: 1, 2: 1, 3: 1}; !mapsEqual(inTx, want) {
		t.Errorf("SentenceCounts within the transaction = %v, want %v (item a, stored before b in it)", inTx, want)
	}
	rec(t0.Add(48*time.Hour), item("c", "", "C", "c words", t0.Add(48*time.Hour)))
	counts := func() map[int64]int {
		t.Helper()
		var got map[int64]int
		err := st.ReadLookup(ctx, func(l wirefeed.Lookup) error {
			var err error
			got, err = l.SentenceCounts(ctx, "A", []int64{1, 2, 3, 4, 5})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	rows := func(table string) int {
		t.Helper()
		var n int
		if err := store.DB(st).QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got, want := counts(), map[int64]int{1: 1, 2: 3, 3: 1, 4: 1, 5: 1}; !mapsEqual(got, want) {
		t.Errorf("SentenceCounts = %v, want %v", got, want)
	}
	if _, err := st.Prune(ctx, t0.Add(time.Hour)); err != nil { // a and b go
		t.Fatal(err)
	}
	if got, want := counts(), map[int64]int{2: 1, 5: 1}; !mapsEqual(got, want) {
		t.Errorf("SentenceCounts after retention = %v, want %v", got, want)
	}
	if n := rows("item_sentences"); n != 1 {
		t.Errorf("%d item sentence lists after retention, want 1", n)
	}
	if _, err := st.PruneFeeds(ctx, nil, false); err != nil {
		t.Fatal(err)
	}
	if n := rows("item_sentences"); n != 0 {
		t.Errorf("%d lists after the feed was deleted, want none", n)
	}
}

// TestComparedFormIsKept: the deduplicator's compared form of a body is
// stored with the item and returned with it; an update that leaves the
// copy alone keeps it, one that changes the copy stores the new one.
func TestComparedFormIsKept(t *testing.T) {
	m := &scripted{decide: map[string]func(wirefeed.Lookup) wirefeed.Decision{
		"a": func(wirefeed.Lookup) wirefeed.Decision {
			return wirefeed.Decision{Rule: "new", Words: 20, Compared: "\x01first"}
		},
	}, resign: map[string]wirefeed.Decision{"a": {Rule: wirefeed.RuleUpdate, Words: 21, Compared: "\x01second"}}}
	st, _ := MustOpen(t, m)
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	rec := func(at time.Time, it wirefeed.Item) {
		t.Helper()
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: at, Status: 200, Items: []wirefeed.Item{it}}); err != nil {
			t.Fatal(err)
		}
	}
	compared := func() string {
		t.Helper()
		var c string
		err := st.ReadLookup(ctx, func(l wirefeed.Lookup) error {
			id, err := l.ItemID(ctx, "A", "a")
			if err != nil {
				return err
			}
			its, err := l.Items(ctx, []int64{id})
			if err != nil || len(its) != 1 {
				return fmt.Errorf("items: %v, %v", its, err)
			}
			c = its[0].Compared
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	it := item("a", "https://a.example/a", "A", wireText, t0)
	rec(t0, it)
	if c := compared(); c != "\x01first" {
		t.Errorf("compared form %q, want the decision's", c)
	}
	it.Summary = "A new summary"
	rec(t0.Add(time.Hour), it)
	if c := compared(); c != "\x01first" {
		t.Errorf("compared form after a summary changed: %q, want it kept", c)
	}
	it.Text = wireText + " A sentence more."
	rec(t0.Add(2*time.Hour), it)
	if c := compared(); c != "\x01second" {
		t.Errorf("compared form after the text changed: %q, want Resign's", c)
	}
}
