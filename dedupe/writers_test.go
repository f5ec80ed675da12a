package dedupe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/store"
)

// Several writers on one database (issue 11): `wirefeed serve` running
// while a cron `wirefeed fetch` writes to the same SQLite file, each with a
// Store and an Engine of its own. These tests open such writers as real
// separate Store and Engine instances on one file, in one process; the
// command's tests (cmd/wirefeed/writers_test.go) run real processes.

// newWriter returns a recorder whose Engine was rebuilt at now, as a
// process starting then would: the window of a full load is counted back
// from the Engine's clock.
func newWriter(t *testing.T, now time.Time) *recorder {
	t.Helper()
	r := newStoreRecorder(t, Options{})
	withNow(now, func() {
		if err := r.e.Rebuild(context.Background(), r.st); err != nil {
			t.Fatal(err)
		}
	})
	return r
}

// writer opens another writer on r's database, as a process starting at
// now would: a Store and an Engine of its own, the index rebuilt.
func (r *recorder) writer(now time.Time) *recorder {
	r.t.Helper()
	e := New(r.e.opt)
	st, err := store.Open(context.Background(), r.path, store.Options{Matcher: e})
	if err != nil {
		r.t.Fatal(err)
	}
	w := &recorder{t: r.t, st: st, e: e, path: r.path}
	r.t.Cleanup(func() { st.Close() })
	withNow(now, func() {
		if err := e.Rebuild(context.Background(), st); err != nil {
			r.t.Fatal(err)
		}
	})
	return w
}

// withNow runs fn with the Engine's clock set to now.
func withNow(now time.Time, fn func()) {
	old := nowFunc
	nowFunc = func() time.Time { return now }
	defer func() { nowFunc = old }()
	fn()
}

// editedCopies returns n outlets' copies of an evaluation story: the
// agency's text, then copies that each add a sentence of their own to a
// different paragraph (so no two bodies are the same text, and only the
// near-duplicate rules can join them), with a dateline and a furniture
// line of their own.
func editedCopies(t *testing.T, id string, n int) (string, []string) {
	t.Helper()
	title, paras := storyText(t, id)
	out := []string{text(paras...)}
	for k := 1; k < n; k++ {
		kept := slices.Clone(paras)
		i := k % len(kept)
		kept[i] += fmt.Sprintf(" Our correspondent number %d contributed reporting to this part of the story.", k)
		kept[0] = fmt.Sprintf("CITY%c (Outlet %d) - %s", 'A'+rune(k), k, kept[0])
		kept = append(kept, fmt.Sprintf("Read more from Outlet %d about this.", k))
		out = append(out, text(kept...))
	}
	return title, out
}

// TestServeAndCronKeepOneStory is the scenario: outlet A's story
// is stored by a cron `fetch` while `serve` runs; outlet B's edited copy,
// fetched by the daemon afterwards, joins it. Then a later cron run stores
// outlet C's copy, and it joins too. Each writer's Engine indexes only what
// it has loaded; what the other stored reaches it through the change log
// at the start of its next write transaction.
func TestServeAndCronKeepOneStory(t *testing.T) {
	daemon := newWriter(t, t0)
	title, copies := editedCopies(t, "S01", 3)
	cron := daemon.writer(t0)
	cron.add("Outlet A", t0, body("a", title, copies[0]))
	if err := cron.sqlite().Close(); err != nil { // the cron run ends
		t.Fatal(err)
	}
	daemon.add("Outlet B", t0.Add(10*time.Minute), body("b", title+" - Outlet B", copies[1]))
	if a, b := daemon.story("Outlet A", "a"), daemon.story("Outlet B", "b"); a != b {
		t.Errorf("outlet B's copy, stored by the daemon, is in story %s; outlet A's, stored by cron, in %s", b, a)
	}
	cron2 := daemon.writer(t0.Add(time.Hour))
	cron2.add("Outlet C", t0.Add(time.Hour), body("c", title+" | Outlet C", copies[2]))
	if a, c := daemon.story("Outlet A", "a"), daemon.story("Outlet C", "c"); a != c {
		t.Errorf("outlet C's copy is in story %s, want %s", c, a)
	}
	if n := daemon.stories(); n != 1 {
		t.Errorf("%d stories, want 1", n)
	}
}

// TestWritersSeeWhatOthersChanged: what another writer re-signed, deleted,
// learned and renamed reaches an Engine at its next session.
func TestWritersSeeWhatOthersChanged(t *testing.T) {
	ctx := context.Background()
	title, copies := editedCopies(t, "S02", 2)

	t.Run("re-signed", func(t *testing.T) {
		daemon := newWriter(t, t0)
		cron := daemon.writer(t0)
		// Outlet A first carries the headline alone, then the story.
		cron.add("Outlet A", t0, wirefeed.Item{GUID: "a", URL: "https://a.example/a", Title: title})
		daemon.add("Other", t0.Add(time.Minute), body("o", "Unrelated", "An unrelated story with a body of its own, long enough to count as one for the deduplicator."))
		cron.add("Outlet A", t0.Add(5*time.Minute), body("a", title, copies[0]))
		// The daemon indexed A's item as title-only; it must find it by
		// its new body now.
		daemon.add("Outlet B", t0.Add(10*time.Minute), body("b", "Shadow fleet tankers hit", copies[1]))
		if a, b := daemon.story("Outlet A", "a"), daemon.story("Outlet B", "b"); a != b {
			t.Errorf("outlet B's copy is in story %s, outlet A's re-signed item in %s", b, a)
		}
	})

	t.Run("deleted", func(t *testing.T) {
		daemon := newWriter(t, t0)
		cron := daemon.writer(t0)
		cron.add("Outlet A", t0, body("a", title, copies[0]))
		daemon.add("Outlet B", t0.Add(time.Minute), body("b", "Another story", "A story that has nothing to do with the first one, with enough words in it to count as a body."))
		if n := daemon.e.Stats().Items; n != 2 {
			t.Fatalf("daemon indexes %d items, want 2", n)
		}
		// cron's config no longer lists Outlet A: `wirefeed feeds prune`.
		if _, err := cron.sqlite().PruneFeeds(ctx, []string{"Outlet B"}, false); err != nil {
			t.Fatal(err)
		}
		daemon.add("Outlet B", t0.Add(2*time.Minute), body("c", "A third story", "Yet another story that shares nothing with either of the others and is long enough to count."))
		if n := daemon.e.Stats().Items; n != 2 {
			t.Errorf("daemon indexes %d items after cron deleted one of three, want 2", n)
		}
	})

	t.Run("learned and renamed", func(t *testing.T) {
		daemon := newWriter(t, t0)
		cron := daemon.writer(t0)
		const footer = "The municipal council meets again on the first Tuesday of next month in the old town hall."
		for i := range 4 {
			cron.add("Outlet A", t0.Add(time.Duration(i)*time.Minute), body(fmt.Sprint("n", i), fmt.Sprint("Story ", i),
				fmt.Sprintf("Story number %d tells of events that happened on day %d in a town far away from here.\n\n%s", i, i, footer)))
		}
		h := sentenceHashOf(footer)
		if !cron.e.learned.has("Outlet A", h) {
			t.Fatal("cron did not learn the footer")
		}
		daemon.add("Other", t0.Add(10*time.Minute), body("o", "Unrelated", "An unrelated story with a body of its own, long enough to count as one for the deduplicator."))
		if !daemon.e.learned.has("Outlet A", h) {
			t.Error("the daemon did not learn the footer cron learned")
		}
		// cron's config renames the feed (same URL).
		renamed := feedOf("Outlet A")
		renamed.Name = "Outlet A (renamed)"
		if _, err := cron.sqlite().SyncFeeds(ctx, []wirefeed.Feed{renamed}); err != nil {
			t.Fatal(err)
		}
		daemon.add("Other", t0.Add(11*time.Minute), body("o2", "Unrelated 2", "Another unrelated story with a body of its own, long enough to count as one for the deduplicator."))
		if daemon.e.learned.has("Outlet A", h) || !daemon.e.learned.has("Outlet A (renamed)", h) {
			t.Errorf("after the rename, the daemon has the footer for the old name %v, for the new one %v; want false, true",
				daemon.e.learned.has("Outlet A", h), daemon.e.learned.has("Outlet A (renamed)", h))
		}
	})
}

// sentenceHashOf is the hash boilerplate learning records for a sentence.
func sentenceHashOf(s string) uint64 {
	var ws []uint64
	ws, _ = appendTokens(ws, nil, s)
	return sequenceHash(ws)
}

// TestAbortedSessionLeavesNoTrace: a transaction rolled back after some of
// its items were matched (and taught their feed a footer) leaves the Engine
// as it was: no index entries, no learned sentences, and a later Resign
// does not use boilerplate that was never committed.
func TestAbortedSessionLeavesNoTrace(t *testing.T) {
	ctx := context.Background()
	r := newStoreRecorder(t, Options{})
	const footer = "The regional assembly will take up the question again when it sits in the autumn."
	long := func(i int) string {
		return fmt.Sprintf("Report %d describes a meeting of officials on day %d that ended without agreement on any point.", i, i)
	}
	r.add("Feed", t0, body("x", "Stored story", long(0)+"\n\n"+footer))
	before := struct {
		items, learned int
		pos            int64
	}{r.e.Stats().Items, len(r.e.learned["Feed"]), r.e.pos}

	// A second store on the file whose matching fails at the fifth item,
	// after four items carrying the footer taught it to the session.
	failing := &failAt{Engine: r.e, at: 5}
	st2, err := store.Open(ctx, r.path, store.Options{Matcher: failing})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	var items []wirefeed.Item
	for i := 1; i <= 5; i++ {
		items = append(items, body(fmt.Sprint("n", i), fmt.Sprint("Story ", i), long(i)+"\n\n"+footer))
	}
	_, err = st2.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Feed"), Attempted: t0.Add(time.Hour), Status: 200, Items: items})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("Record = %v, want the matcher's failure", err)
	}
	if !failing.learnedInSession {
		t.Fatal("the session never learned the footer: the test does not test what it should")
	}
	after := struct {
		items, learned int
		pos            int64
	}{r.e.Stats().Items, len(r.e.learned["Feed"]), r.e.pos}
	if after != before {
		t.Errorf("after the aborted session: %+v, before it: %+v", after, before)
	}
	if r.e.tx.lk != nil || r.e.tx.items != nil || r.e.tx.learned != nil {
		t.Errorf("the session's state outlived it: %+v", r.e.tx)
	}
	// The stored item changes: it is signed again, as a fresh Engine
	// (one that never saw the rolled-back items) signs it.
	changed := body("x", "Stored story", long(0)+" It was changed.\n\n"+footer)
	r.add("Feed", t0.Add(2*time.Hour), changed)
	fresh := New(Options{})
	var want wirefeed.Decision
	withSession(t, fresh, r.sqlite(), func(tx wirefeed.MatchTx) {
		want, err = tx.Resign(ctx, "Feed", &changed)
	})
	if err != nil {
		t.Fatal(err)
	}
	its := storedItemsByGUID(t, r.sqlite(), "Feed", "x")
	if its.Words != want.Words {
		t.Errorf("re-signed item has %d words, a fresh engine counts %d: it used boilerplate that was rolled back", its.Words, want.Words)
	}
}

// failAt wraps an Engine's sessions: Match fails at the at-th call, and
// records whether the session had learned anything by then.
type failAt struct {
	*Engine
	at, calls        int
	learnedInSession bool
}

func (f *failAt) Begin(ctx context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	tx, err := f.Engine.Begin(ctx, l)
	if err != nil {
		return nil, err
	}
	return &failAtTx{MatchTx: tx, f: f}, nil
}

type failAtTx struct {
	wirefeed.MatchTx
	f *failAt
}

func (tx *failAtTx) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	if tx.f.calls++; tx.f.calls == tx.f.at {
		tx.f.learnedInSession = len(tx.f.Engine.tx.learned) > 0
		return wirefeed.Decision{}, errors.New("boom")
	}
	return tx.MatchTx.Match(ctx, c)
}

// withSession runs fn in a matching session of e on a read transaction of
// st, and aborts it.
func withSession(t *testing.T, e *Engine, st *store.Store, fn func(wirefeed.MatchTx)) {
	t.Helper()
	err := st.ReadLookup(context.Background(), func(l wirefeed.Lookup) error {
		tx, err := e.Begin(context.Background(), l)
		if err != nil {
			return err
		}
		defer tx.Abort()
		fn(tx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// storedItemsByGUID reads one stored item.
func storedItemsByGUID(t *testing.T, st *store.Store, feed, guid string) wirefeed.StoredItem {
	t.Helper()
	var it wirefeed.StoredItem
	err := st.ReadLookup(context.Background(), func(l wirefeed.Lookup) error {
		id, err := l.ItemID(context.Background(), feed, guid)
		if err != nil {
			return err
		}
		its, err := l.Items(context.Background(), []int64{id})
		if err != nil || len(its) != 1 {
			return fmt.Errorf("item %s/%s: %v", feed, guid, err)
		}
		it = its[0]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// TestTrimmedChangeLogReloads: an Engine that last looked before the part
// of the change log retention trimmed loads its state whole, and still
// sees what the other writer stored.
func TestTrimmedChangeLogReloads(t *testing.T) {
	ctx := context.Background()
	daemon := newWriter(t, t0)
	title, copies := editedCopies(t, "S03", 2)
	daemon.add("Other", t0, body("o", "Unrelated", "An unrelated story with a body of its own, long enough to count as one for the deduplicator."))
	cron := daemon.writer(t0)
	cron.add("Outlet A", t0.Add(time.Minute), body("a", title, copies[0]))
	// A day passes: retention (in the cron process) trims the log.
	db, err := sql.Open("sqlite", "file:"+daemon.path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE change_log SET at = at - 2 * 86400`); err != nil {
		t.Fatal(err)
	}
	if _, err := cron.sqlite().Prune(ctx, t0.Add(-365*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := daemon.sqlite().Changes(ctx, daemon.e.pos, func(wirefeed.IndexChange) error { return nil }); !errors.Is(err, wirefeed.ErrChangesLost) {
		t.Fatalf("Changes after the daemon's position = %v, want ErrChangesLost", err)
	}
	withNow(t0.Add(time.Hour), func() {
		daemon.add("Outlet B", t0.Add(time.Hour), body("b", title+" - Outlet B", copies[1]))
	})
	if a, b := daemon.story("Outlet A", "a"), daemon.story("Outlet B", "b"); a != b {
		t.Errorf("after reloading, outlet B's copy is in story %s, outlet A's in %s", b, a)
	}
}

// TestWritersAtTheSameMomentNeverSplit runs three writers on one database
// at the same time, as two cron `fetch` processes and a daemon would, each
// recording its own outlets' edited copies of the same stories; every
// story must end up as one, with every outlet's copy. (The writers are
// separate Store and Engine instances, each with its own connections to
// the SQLite file, in goroutines; cmd/wirefeed runs real processes.)
func TestWritersAtTheSameMomentNeverSplit(t *testing.T) {
	const writers, outletsPer = 3, 3
	ids := []string{"S01", "S02", "S03", "S04", "S05", "S06"}
	first := newWriter(t, t0)
	ws := []*recorder{first}
	for range writers - 1 {
		ws = append(ws, first.writer(t0))
	}
	type copyOf struct{ title, text string }
	stories := map[string][]copyOf{}
	for _, id := range ids {
		title, texts := editedCopies(t, id, writers*outletsPer)
		for k, tx := range texts {
			stories[id] = append(stories[id], copyOf{fmt.Sprintf("%s - Outlet %d", title, k), tx})
		}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers*outletsPer)
	for w, r := range ws {
		wg.Go(func() {
			<-start
			for o := range outletsPer {
				k := w*outletsPer + o
				var items []wirefeed.Item
				for _, id := range ids {
					c := stories[id][k]
					items = append(items, body(fmt.Sprintf("%s-%d", id, k), c.title, c.text))
				}
				_, err := r.st.Record(context.Background(), &wirefeed.Outcome{Feed: feedOf(fmt.Sprint("Outlet ", k)),
					Attempted: t0.Add(time.Minute), Status: 200, Items: items})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := storedClusters(t, first.st)
	byStory := map[string]map[string]bool{}
	for key, c := range got {
		id := key.guid[:strings.IndexByte(key.guid, '-')]
		if byStory[id] == nil {
			byStory[id] = map[string]bool{}
		}
		byStory[id][c] = true
	}
	seen := map[string]string{}
	for _, id := range ids {
		if n := len(byStory[id]); n != 1 {
			t.Errorf("story %s split into %d stories: %v", id, n, slices.Collect(maps.Keys(byStory[id])))
		}
		for c := range byStory[id] {
			if other, ok := seen[c]; ok {
				t.Errorf("stories %s and %s merged into %s", other, id, c)
			}
			seen[c] = id
		}
	}
	if len(got) != len(ids)*writers*outletsPer {
		t.Errorf("%d items stored, want %d", len(got), len(ids)*writers*outletsPer)
	}
}
