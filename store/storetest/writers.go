package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// testWritersCatchUp: several stores on one database (processes,
// instances), each with a deduplicator of its own that knows only what it
// matched itself, never split a story: each matching session catches up
// with what the others committed (the change log) before it decides.
// First one after the other, then three at the same moment.
func testWritersCatchUp(t *testing.T, b Backend) {
	dsn := b.DSN(t)
	ctx := context.Background()
	open := func() *store.Store { return Open(t, dsn, store.Options{Matcher: dedupe.New(dedupe.Options{})}) }
	writers := []*store.Store{open(), open(), open()}
	// Six stories: wireStory's first seven are told in seven places, so
	// none of them is a near-duplicate of another.
	const n = 3
	// Recent times: the deduplicators index only their window of recent
	// items.
	base := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Minute)
	outcome := func(feed string, round, w int) *wirefeed.Outcome {
		var items []wirefeed.Item
		for i := range n {
			title, text, edited := wireStory(round*n + i)
			if w > 0 {
				title, text = fmt.Sprintf("Copy %d: %s", w, title), strings.Replace(edited, "constructive", fmt.Sprintf("constructive, said source %d", w), 1)
			}
			items = append(items, item(fmt.Sprintf("%s-%d", feed, round*n+i), title, text, base.Add(time.Duration(i)*time.Minute)))
		}
		return &wirefeed.Outcome{Feed: feedOf(feed), Attempted: base.Add(time.Hour), Status: 200, Items: items}
	}
	// Round 0: one after the other, each writer another outlet.
	for w, s := range writers {
		if _, err := s.Record(ctx, outcome(fmt.Sprintf("Outlet%d", w), 0, w)); err != nil {
			t.Fatal(err)
		}
	}
	// Round 1: the three at once.
	var wg sync.WaitGroup
	errs := make([]error, len(writers))
	for w, s := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[w] = s.Record(ctx, outcome(fmt.Sprintf("Outlet%d", w), 1, w))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := stories(t, writers[0], wirefeed.StoryQuery{Limit: 100})
	for _, st := range got {
		keys := map[string]bool{}
		for _, m := range st.Members {
			keys[m.GUID[strings.IndexByte(m.GUID, '-')+1:]] = true
		}
		if len(keys) != 1 || len(st.Members) != len(writers) {
			t.Errorf("story %s: members %v, want one story's copy from each of the %d outlets", st.ID, guids(st), len(writers))
		}
	}
	if len(got) != 2*n {
		t.Errorf("%d stories, want %d", len(got), 2*n)
	}
	// Retention takes every item off its feed's sentence counts and
	// deletes it, whoever stored it.
	if pruned, err := writers[1].Prune(ctx, time.Now().Add(time.Hour)); err != nil || pruned != int64(2*n*len(writers)) {
		t.Errorf("Prune: %d items (%v), want all %d", pruned, err, 2*n*len(writers))
	}
	if got := stories(t, writers[2], wirefeed.StoryQuery{}); len(got) != 0 {
		t.Errorf("%d stories after pruning everything", len(got))
	}
}

// testSharedWork: ClaimFeeds hands each feed to one instance per cycle on
// a database instances share (PostgreSQL), and every feed to the caller
// where there is nothing to share (SQLite).
func testSharedWork(t *testing.T, b Backend) {
	dsn := b.DSN(t)
	ctx := context.Background()
	a := Open(t, dsn, store.Options{Matcher: wirefeedtest.URLMatcher{}, LeaseTTL: time.Minute})
	other := Open(t, dsn, store.Options{Matcher: wirefeedtest.URLMatcher{}, LeaseTTL: time.Minute})
	claim := func(s *store.Store, window time.Duration, names ...string) []wirefeed.ClaimState {
		t.Helper()
		st, err := s.ClaimFeeds(ctx, names, window)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if a.LeaseTTL() == 0 {
		// Not shared: every claim is granted, again and again.
		for range 2 {
			for i, st := range claim(a, time.Hour, "A", "B") {
				if st != wirefeed.ClaimGranted {
					t.Errorf("claim %d on an unshared store: %v, want granted", i, st)
				}
			}
		}
		return
	}
	if a.LeaseTTL() != time.Minute {
		t.Errorf("LeaseTTL() = %v, want the option's 1m", a.LeaseTTL())
	}
	if got := claim(a, time.Hour, "A", "B"); got[0] != wirefeed.ClaimGranted || got[1] != wirefeed.ClaimGranted {
		t.Fatalf("first claims: %v, want both granted", got)
	}
	if got := claim(other, time.Hour, "A", "B", "C"); got[0] != wirefeed.ClaimHeld || got[1] != wirefeed.ClaimHeld || got[2] != wirefeed.ClaimGranted {
		t.Fatalf("another instance's claims: %v, want held, held, granted", got)
	}
	// Recording the fetch ends the lease: done for this cycle's window,
	// granted again for a later one.
	record(t, a, "A", item("a1", "One", "one", t0))
	if got := claim(other, time.Hour, "A"); got[0] != wirefeed.ClaimDone {
		t.Errorf("a recorded feed in the same window: %v, want done", got[0])
	}
	if got := claim(other, 0, "A"); got[0] != wirefeed.ClaimGranted {
		t.Errorf("a recorded feed after its window: %v, want granted", got[0])
	}
	// A fetch that cannot be stored is not done: its lease goes at once,
	// and the feed may be fetched again (here, by the other instance).
	failing := Open(t, dsn, store.Options{Matcher: failMatcher{guid: "e1"}})
	if got := claim(failing, time.Hour, "E"); got[0] != wirefeed.ClaimGranted {
		t.Fatalf("claim E: %v", got[0])
	}
	if _, err := failing.Record(ctx, &wirefeed.Outcome{Feed: feedOf("E"), Attempted: t0, Status: 200,
		Items: []wirefeed.Item{item("e1", "E", "e", t0)}}); err == nil {
		t.Fatal("Record with a failing matcher: no error")
	}
	if got := claim(other, time.Hour, "E"); got[0] != wirefeed.ClaimGranted {
		t.Errorf("a feed whose record failed: %v, want granted", got[0])
	}
	// An instance that stops lets its leases go at once: B, claimed and
	// never recorded, is the other's to take.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := claim(other, time.Hour, "B"); got[0] != wirefeed.ClaimGranted {
		t.Errorf("the feed of an instance that closed: %v, want granted", got[0])
	}
}
