package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/store"
)

// MustOpen opens a store on a fresh database file in t.TempDir().
func MustOpen(tb testing.TB, m wirefeed.Matcher) (*store.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "wirefeed.db")
	st, err := store.Open(context.Background(), path, store.Options{Matcher: m})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, path
}

func item(guid, url, title, text string, published time.Time) wirefeed.Item {
	return wirefeed.Item{GUID: guid, URL: url, Title: title, Text: text, Summary: text, ContentHTML: "<p>" + text + "</p>", Published: published, Updated: published}
}

var t0 = time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC)

const wireText = "European Union foreign ministers on Tuesday agreed a new package of sanctions aimed at a network of tankers accused of carrying oil in breach of the price cap, diplomats said."

func TestOpenMigratesOnceAndReopens(t *testing.T) {
	st, path := MustOpen(t, dedupe.New(dedupe.Options{}))
	ctx := context.Background()
	var mode string
	if err := store.DB(st).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	var fk int
	if err := store.DB(st).QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}
	var limit int // PRAGMA optimize samples; it never reads a large table whole
	if err := store.DB(st).QueryRow("PRAGMA analysis_limit").Scan(&limit); err != nil || limit != 1000 {
		t.Errorf("analysis_limit = %d (%v), want 1000", limit, err)
	}
	st.Close()
	st2, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer st2.Close()
	var versions int
	if err := store.DB(st2).QueryRow("SELECT count(*) FROM schema_migrations").Scan(&versions); err != nil || versions == 0 {
		t.Errorf("schema_migrations rows = %d (%v)", versions, err)
	}
	if _, err := st2.Record(ctx, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: "x", URL: "https://x.example/"}}); !errors.Is(err, store.ErrNoMatcher) {
		t.Errorf("Record without a matcher: %v, want ErrNoMatcher", err)
	}
}

func TestRecordGroupsStoriesAndKeepsIDs(t *testing.T) {
	st, _ := MustOpen(t, dedupe.New(dedupe.Options{}))
	ctx := context.Background()
	feeds := []wirefeed.Feed{{Name: "A", URL: "https://a.example/feed"}, {Name: "B", URL: "https://b.example/feed"}}
	if _, err := st.SyncFeeds(ctx, feeds); err != nil {
		t.Fatal(err)
	}
	rec := func(f wirefeed.Feed, items ...wirefeed.Item) wirefeed.RecordResult {
		t.Helper()
		res, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0.Add(time.Hour), Status: 200, ETag: `"v1"`, Items: items})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := rec(feeds[0], item("a1", "https://a.example/s", "Sanctions agreed", wireText, t0), item("a2", "https://a.example/t", "Other", "Something else entirely.", t0))
	if res.NewItems != 2 || res.NewStories != 2 {
		t.Errorf("first record: %+v", res)
	}
	stories, err := st.Stories(ctx, wirefeed.StoryQuery{})
	if err != nil || len(stories) != 2 {
		t.Fatalf("Stories: %d, %v", len(stories), err)
	}
	firstID := ""
	for _, s := range stories {
		if s.Representative.GUID == "a1" {
			firstID = s.ID
		}
	}
	// Same body under another URL joins; same URL (different GUID) joins.
	res = rec(feeds[1], item("b1", "https://b.example/x", "EU sanctions tankers", wireText, t0.Add(-time.Minute)),
		item("b2", "https://a.example/t", "Other, again", "Reworded completely.", t0))
	if res.NewItems != 2 || res.NewStories != 0 {
		t.Errorf("second record: %+v", res)
	}
	// An update of a known item is not a new story.
	res = rec(feeds[0], item("a1", "https://a.example/s", "Sanctions agreed (updated)", wireText+" More.", t0))
	if res.UpdatedItems != 1 || res.NewItems != 0 {
		t.Errorf("update: %+v", res)
	}
	stories, _ = st.Stories(ctx, wirefeed.StoryQuery{})
	if len(stories) != 2 {
		t.Fatalf("after republication: %d stories, want 2", len(stories))
	}
	for _, s := range stories {
		if len(s.Members) != 2 {
			t.Errorf("story %s has %d members, want 2", s.ID, len(s.Members))
		}
		if s.Representative.GUID == "a1" || s.Representative.GUID == "b1" {
			if s.ID != firstID {
				t.Errorf("story id changed: %s -> %s", firstID, s.ID)
			}
			// Fullest text wins: a1 grew by one word.
			if s.Representative.GUID != "a1" {
				t.Errorf("representative = %s, want a1 (fullest text)", s.Representative.GUID)
			}
		}
	}
	states, err := st.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if a := states["A"]; a.ETag != `"v1"` || a.Items != 2 || a.LastSuccess.IsZero() || a.ConsecutiveErrors != 0 {
		t.Errorf("feed A state: %+v", a)
	}
}

// failingMatcher fails on the n-th Match call.
type failingMatcher struct {
	*dedupe.Engine
	calls, failAt int
}

func (f *failingMatcher) Begin(ctx context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	tx, err := f.Engine.Begin(ctx, l)
	return &failingTx{MatchTx: tx, f: f}, err
}

// failingTx is a failingMatcher's session.
type failingTx struct {
	wirefeed.MatchTx
	f *failingMatcher
}

func (tx *failingTx) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	tx.f.calls++
	if tx.f.calls == tx.f.failAt {
		return wirefeed.Decision{}, errors.New("boom")
	}
	return tx.MatchTx.Match(ctx, c)
}

func TestRecordIsAllOrNothing(t *testing.T) {
	m := &failingMatcher{Engine: dedupe.New(dedupe.Options{}), failAt: 3}
	st, _ := MustOpen(t, m)
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	gen0, _ := st.Generation(ctx)
	_, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0, Status: 200, ETag: `"new"`, Items: []wirefeed.Item{
		item("1", "https://a.example/1", "One", "one", t0), item("2", "https://a.example/2", "Two", "two", t0), item("3", "https://a.example/3", "Three", "three", t0),
	}})
	if err == nil || !strings.Contains(err.Error(), `"A"`) || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Record error = %v, want one naming the feed and the cause", err)
	}
	var n int
	if err := store.DB(st).QueryRow("SELECT count(*) FROM items").Scan(&n); err != nil || n != 0 {
		t.Errorf("items after a failed record: %d, want 0", n)
	}
	states, _ := st.FeedStates(ctx)
	if states["A"].ETag != "" {
		t.Errorf("feed state was written by a failed record: %+v", states["A"])
	}
	if gen, _ := st.Generation(ctx); gen != gen0 {
		t.Errorf("generation moved on a failed record: %d -> %d", gen0, gen)
	}
}

func TestRecordFailureState(t *testing.T) {
	st, _ := MustOpen(t, dedupe.New(dedupe.Options{}))
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	for i := 1; i <= 3; i++ {
		_, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0.Add(time.Duration(i) * time.Minute), Status: 503,
			Err: fmt.Errorf("feed %q: HTTP 503", f.Name), NextDue: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
	}
	st1 := mustState(t, st, "A")
	if st1.ConsecutiveErrors != 3 || st1.LastStatus != 503 || !strings.Contains(st1.LastError, "503") || !st1.NextDue.Equal(t0.Add(time.Hour)) {
		t.Errorf("after 3 failures: %+v", st1)
	}
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0.Add(time.Hour), Status: 304, NotModified: true}); err != nil {
		t.Fatal(err)
	}
	st2 := mustState(t, st, "A")
	if st2.ConsecutiveErrors != 0 || st2.LastError != "" || !st2.LastSuccess.Equal(t0.Add(time.Hour)) {
		t.Errorf("after recovery: %+v", st2)
	}
}

func mustState(t *testing.T, st *store.Store, name string) wirefeed.FeedState {
	t.Helper()
	states, err := st.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return states[name]
}

func TestPruneKeepsStoryIDs(t *testing.T) {
	st, _ := MustOpen(t, dedupe.New(dedupe.Options{}))
	ctx := context.Background()
	a, b := wirefeed.Feed{Name: "A", URL: "https://a.example/"}, wirefeed.Feed{Name: "B", URL: "https://b.example/"}
	old, recent := t0, t0.Add(48*time.Hour)
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: a, Attempted: old, Items: []wirefeed.Item{item("a1", "https://a.example/1", "Story", wireText, old), item("a2", "https://a.example/2", "Gone", "only old", old)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: b, Attempted: recent, Items: []wirefeed.Item{item("b1", "https://b.example/1", "Story again", wireText, recent)}}); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Stories(ctx, wirefeed.StoryQuery{})
	n, err := st.Prune(ctx, t0.Add(24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Prune: %d, %v; want 2 items", n, err)
	}
	after, _ := st.Stories(ctx, wirefeed.StoryQuery{})
	if len(before) != 2 || len(after) != 1 {
		t.Fatalf("stories before/after prune: %d/%d, want 2/1", len(before), len(after))
	}
	for _, s := range before {
		if s.Representative.GUID == "a1" && s.ID != after[0].ID {
			t.Errorf("surviving story changed id: %s -> %s", s.ID, after[0].ID)
		}
	}
	if after[0].Representative.GUID != "b1" || len(after[0].Members) != 1 {
		t.Errorf("surviving story: rep %s, %d members", after[0].Representative.GUID, len(after[0].Members))
	}
}

// TestKill9LosesNothingCommitted runs a writer process that records
// batches and reports each commit, kills it with SIGKILL at random moments,
// and checks that the database opens, passes integrity_check, and holds
// every item whose transaction was reported committed.
func TestKill9LosesNothingCommitted(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes")
	}
	if raceEnabled {
		t.Skip("durability test; runs without -race (go test ./...)")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	rng := rand.New(rand.NewPCG(1, 2))
	committed := 0
	for round := 0; round < 8; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$")
		cmd.Env = append(os.Environ(), "WIREFEED_CRASH_DB="+path, fmt.Sprintf("WIREFEED_CRASH_START=%d", committed))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		killAfter := 3 + rng.IntN(40) // commits to wait for before the kill
		seen := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "lost:") || strings.HasPrefix(line, "open:") || strings.HasPrefix(line, "record:") {
				t.Errorf("round %d: writer says %s", round, line)
			}
			if v, ok := strings.CutPrefix(line, "committed "); ok {
				n, _ := strconv.Atoi(v)
				committed = max(committed, n)
				seen++
				if seen == killAfter {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					break
				}
			}
		}
		_ = cmd.Wait()
	}
	if committed == 0 {
		t.Fatal("the writer never committed")
	}
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatalf("database does not open after kill -9: %v", err)
	}
	defer st.Close()
	var check string
	if err := store.DB(st).QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	var items, maxBatch int
	if err := store.DB(st).QueryRow(`SELECT count(*), coalesce(max(CAST(substr(guid, 1, instr(guid, '-') - 1) AS INTEGER)), 0) FROM items`).Scan(&items, &maxBatch); err != nil {
		t.Fatal(err)
	}
	if maxBatch < committed {
		t.Errorf("batch %d was reported committed, the database has up to %d", committed, maxBatch)
	}
	if items != maxBatch*crashBatchSize {
		t.Errorf("%d items for %d batches of %d: a batch was stored in part", items, maxBatch, crashBatchSize)
	}
	t.Logf("8 kills; %d batches reported committed, %d in the database", committed, maxBatch)
}

const crashBatchSize = 20

// TestCrashWriter is the child process of TestKill9LosesNothingCommitted.
func TestCrashWriter(t *testing.T) {
	path := os.Getenv("WIREFEED_CRASH_DB")
	if path == "" {
		t.Skip("child process of TestKill9LosesNothingCommitted")
	}
	start, _ := strconv.Atoi(os.Getenv("WIREFEED_CRASH_START"))
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{Matcher: dedupe.New(dedupe.Options{})})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	// Continue after the last batch that made it in.
	var last int
	_ = store.DB(st).QueryRow(`SELECT coalesce(max(CAST(substr(guid, 1, instr(guid, '-') - 1) AS INTEGER)), 0) FROM items`).Scan(&last)
	if last < start {
		fmt.Printf("lost: batch %d reported committed, database has %d\n", start, last)
	}
	f := wirefeed.Feed{Name: "crash", URL: "https://crash.example/feed"}
	for b := last + 1; ; b++ {
		items := make([]wirefeed.Item, crashBatchSize)
		for i := range items {
			text := fmt.Sprintf("Batch %d item %d: %s", b, i, strings.Repeat("filler words for a body ", 5))
			items[i] = item(fmt.Sprintf("%d-%d", b, i), fmt.Sprintf("https://crash.example/%d/%d", b, i), "t", text, t0)
		}
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: time.Now(), Status: 200, Items: items}); err != nil {
			fmt.Println("record:", err)
			os.Exit(1)
		}
		fmt.Printf("committed %d\n", b)
	}
}

func TestRecordStoresEveryChangeOfAKnownItem(t *testing.T) {
	st, _ := MustOpen(t, dedupe.New(dedupe.Options{}))
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	rec := func(at time.Time, it wirefeed.Item) wirefeed.RecordResult {
		t.Helper()
		res, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: at, Status: 200, Items: []wirefeed.Item{it}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	it := item("a1", "https://a.example/1", "Talks resume", wireText, t0)
	rec(t0, it)
	gen, _ := st.Generation(ctx)

	// Only the categories and the summary change: stored, and readers see it.
	it.Categories, it.Summary = []string{"Europe", "Sanctions"}, "A new standfirst."
	if res := rec(t0.Add(time.Hour), it); res.UpdatedItems != 1 {
		t.Errorf("categories and summary changed: %+v, want one updated item", res)
	}
	stories, _ := st.Stories(ctx, wirefeed.StoryQuery{})
	if m := stories[0].Members[0]; len(m.Category) != 2 || m.Summary != "A new standfirst." {
		t.Errorf("stored member %+v, want the new categories and summary", m)
	}
	if g, _ := st.Generation(ctx); g == gen {
		t.Error("generation did not move on an update readers can see")
	}

	// An undated item is seen at a new time on every fetch; that is not a change.
	undated := item("u1", "https://a.example/u", "No date", "An item whose feed gives no date at all.", t0)
	undated.DateMissing = true
	rec(t0, undated)
	undated.Published, undated.Updated = t0.Add(2*time.Hour), t0.Add(2*time.Hour)
	if res := rec(t0.Add(2*time.Hour), undated); res.UpdatedItems != 0 {
		t.Errorf("refetching an undated item: %+v, want no update", res)
	}
}

// A feed's URL is part of the merged feed; moving it must invalidate
// renderings.
func TestFeedURLChangesMoveTheGeneration(t *testing.T) {
	st, _ := MustOpen(t, dedupe.New(dedupe.Options{}))
	ctx := context.Background()
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	if _, err := st.SyncFeeds(ctx, []wirefeed.Feed{f}); err != nil {
		t.Fatal(err)
	}
	g0, _ := st.Generation(ctx)
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: t0, Status: 304, NotModified: true, MovedTo: "https://a.example/new"}); err != nil {
		t.Fatal(err)
	}
	g1, _ := st.Generation(ctx)
	if g1 == g0 {
		t.Error("a permanent move did not move the generation")
	}
	f.URL = "https://elsewhere.example/feed"
	if _, err := st.SyncFeeds(ctx, []wirefeed.Feed{f}); err != nil {
		t.Fatal(err)
	}
	if g2, _ := st.Generation(ctx); g2 == g1 {
		t.Error("a config URL change did not move the generation")
	}
	if _, err := st.SyncFeeds(ctx, []wirefeed.Feed{f}); err != nil {
		t.Fatal(err)
	}
	g3, _ := st.Generation(ctx)
	if _, err := st.SyncFeeds(ctx, []wirefeed.Feed{f}); err != nil {
		t.Fatal(err)
	}
	if g4, _ := st.Generation(ctx); g4 != g3 {
		t.Error("syncing an unchanged config moved the generation")
	}
}

// guidFailer fails every Match of an item with this GUID.
type guidFailer struct {
	*dedupe.Engine
	guid string
}

func (f *guidFailer) Begin(ctx context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	tx, err := f.Engine.Begin(ctx, l)
	return &guidFailerTx{MatchTx: tx, guid: f.guid}, err
}

// guidFailerTx is a guidFailer's session.
type guidFailerTx struct {
	wirefeed.MatchTx
	guid string
}

func (tx *guidFailerTx) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	if c.Item.GUID == tx.guid {
		return wirefeed.Decision{}, errors.New("boom")
	}
	return tx.MatchTx.Match(ctx, c)
}

// TestRecordBatchIsolatesAFailingFeed records three feeds together: all
// of them when they can be stored, and when one cannot, the other two all
// the same, with the error on the one alone.
func TestRecordBatchIsolatesAFailingFeed(t *testing.T) {
	for _, failing := range []string{"", "b2"} {
		t.Run("failing="+failing, func(t *testing.T) {
			st, _ := MustOpen(t, &guidFailer{Engine: dedupe.New(dedupe.Options{}), guid: failing})
			ctx := context.Background()
			var outs []*wirefeed.Outcome
			for _, name := range []string{"a", "b", "c"} {
				outs = append(outs, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: name, URL: "https://" + name + ".example/feed"}, Attempted: t0, Status: 200, ETag: `"1"`,
					Items: []wirefeed.Item{item(name+"1", "https://"+name+".example/1", "One "+name, "one "+name, t0), item(name+"2", "https://"+name+".example/2", "Two "+name, "two "+name, t0)}})
			}
			res, errs := st.RecordBatch(ctx, outs)
			states, _ := st.FeedStates(ctx)
			for i, name := range []string{"a", "b", "c"} {
				wantFail := failing != "" && name == "b"
				if (errs[i] != nil) != wantFail {
					t.Errorf("feed %s: error %v, want failure %v", name, errs[i], wantFail)
				}
				wantItems := 2
				if wantFail {
					wantItems = 0
				}
				if res[i].NewItems != wantItems || states[name].Items != wantItems {
					t.Errorf("feed %s: %d new items recorded, %d stored; want %d", name, res[i].NewItems, states[name].Items, wantItems)
				}
			}
		})
	}
}
