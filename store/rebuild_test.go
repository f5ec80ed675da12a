package store

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/pgtest"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// rebuildItems is how many items the rebuild tests store.
const rebuildItems = 60

// rebuildWord is the word only item i's text has.
func rebuildWord(i int) string { return fmt.Sprintf("kw%03dq", i) }

// rebuildItem is the i-th item of the rebuild tests, stored i minutes
// after storiesT0: item i has id i.
func rebuildItem(i int, word string) wirefeed.Item {
	return item(fmt.Sprintf("r%03d", i), fmt.Sprintf("Item %d", i), "Talks went on in "+word+" today.",
		storiesT0.Add(time.Duration(i)*time.Minute))
}

// oldIndexDB stores rebuildItems items, then puts the database back as an
// upgrade leaves it: the search index empty and its version behind, as
// migration 0017 does.
func oldIndexDB(t *testing.T, pg bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.db")
	if pg {
		path = pgtest.DSN(t)
	}
	s, err := Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= rebuildItems; i++ {
		record(t, s, "Agency", rebuildItem(i, rebuildWord(i)))
	}
	for _, q := range []string{`DELETE FROM items_search`, `UPDATE meta SET value = 0 WHERE key = 'search_version'`} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// stepper pauses the rebuild's goroutine before each chunk (until the
// store is closed).
type stepper struct {
	paused, resume chan struct{}
}

// stepRebuild makes the rebuilds of the stores the test opens index chunk
// items a transaction, pausing before each chunk.
func stepRebuild(t *testing.T, chunk int) *stepper {
	t.Helper()
	st := &stepper{paused: make(chan struct{}), resume: make(chan struct{})}
	searchRebuildChunk, rebuildChunkHook = chunk, func(ctx context.Context) {
		select {
		case st.paused <- struct{}{}:
		case <-ctx.Done():
			return
		}
		select {
		case <-st.resume:
		case <-ctx.Done():
		}
	}
	t.Cleanup(func() { searchRebuildChunk, rebuildChunkHook = 500, nil })
	return st
}

// pause returns once the goroutine has paused before a chunk.
func (st *stepper) pause() { <-st.paused }

// advance lets the paused goroutine index one chunk and waits for its next
// pause.
func (st *stepper) advance() {
	st.resume <- struct{}{}
	<-st.paused
}

// finish lets the paused goroutine run to the end without pausing again.
func (st *stepper) finish() {
	rebuildChunkHook = nil // read by the goroutine after this send
	st.resume <- struct{}{}
}

// found returns which of items 1..n the search for word(i) finds (and
// only it).
func found(t *testing.T, s *Store, n int, word func(int) string) []int {
	t.Helper()
	var out []int
	for i := 1; i <= n; i++ {
		got := searchTitles(t, s, word(i))
		switch {
		case len(got) == 0:
		case slices.Equal(got, []string{fmt.Sprintf("Item %d", i)}):
			out = append(out, i)
		default:
			t.Errorf("%q found %q", word(i), got)
		}
	}
	return out
}

func span(lo, hi int) []int {
	var out []int
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

// indexRows returns the rows of the search index and the items stored: a
// complete index without an item twice has as many of each.
func indexRows(t *testing.T, s *Store) (rows, items int) {
	t.Helper()
	if err := s.db.QueryRow(`SELECT (SELECT count(*) FROM items_search), (SELECT count(*) FROM items)`).Scan(&rows, &items); err != nil {
		t.Fatal(err)
	}
	return rows, items
}

// checkComplete checks that the rebuild has ended with items from to n
// indexed, each once, with the text word gives.
func checkComplete(t *testing.T, s *Store, from, n int, word func(int) string) {
	t.Helper()
	if got := found(t, s, n, word); !slices.Equal(got, span(from, n)) {
		t.Errorf("after the rebuild, found %v, want items %d to %d", got, from, n)
	}
	if rows, items := indexRows(t, s); rows != items {
		t.Errorf("the index has %d rows for %d items", rows, items)
	}
	var version int
	if err := s.db.QueryRow(`SELECT value FROM meta WHERE key = 'search_version'`).Scan(&version); err != nil || version != searchVersion {
		t.Errorf("search_version = %d (%v), want %d", version, err, searchVersion)
	}
	if st, err := s.readRebuildState(context.Background()); err != nil || st != nil {
		t.Errorf("rebuild state left in meta: %v (%v)", st, err)
	}
	if done, total := s.SearchRebuild(); total != 0 {
		t.Errorf("SearchRebuild() = %d of %d after the end, want total 0", done, total)
	}
	if s.pg {
		return // (an upsert keeps one row per item)
	}
	// A row written twice for an item is counted twice by the index's
	// vocabulary (count(*) and searches see one).
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE VIRTUAL TABLE temp.search_vocab USING fts5vocab(main, items_search, row)`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `DROP TABLE temp.search_vocab`)
	for i := from; i <= n; i++ {
		var docs int
		if err := conn.QueryRowContext(ctx, `SELECT coalesce(sum(doc), 0) FROM temp.search_vocab WHERE term = ?`, word(i)).Scan(&docs); err != nil {
			t.Fatal(err)
		}
		if docs != 1 {
			t.Errorf("%q is in %d rows of the index, want 1", word(i), docs)
		}
	}
}

// TestSearchRebuildRunsAfterOpen opens a database whose index is behind:
// Open returns before the first chunk is indexed, searches find the
// newest items first while the rest waits, items stored, updated and
// updated again meanwhile are indexed once with their current text, items
// pruned meanwhile are not indexed, and at the end every item is found,
// with one row each.
func TestSearchRebuildRunsAfterOpen(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(backendName(pg), func(t *testing.T) { testSearchRebuildRunsAfterOpen(t, pg) })
	}
}

func backendName(pg bool) string {
	if pg {
		return "postgres"
	}
	return "sqlite"
}

func testSearchRebuildRunsAfterOpen(t *testing.T, pg bool) {
	path := oldIndexDB(t, pg)
	step := stepRebuild(t, 10)
	s, err := Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Open has returned; the goroutine waits before its first chunk.
	step.pause()
	if got := found(t, s, rebuildItems, rebuildWord); got != nil {
		t.Errorf("before the first chunk, found %v", got)
	}
	if done, total := s.SearchRebuild(); done != 0 || total != rebuildItems {
		t.Errorf("SearchRebuild() = %d of %d, want 0 of %d", done, total, rebuildItems)
	}
	totals, err := s.Totals(context.Background())
	if err != nil || totals.SearchIndexed != 0 || totals.SearchToIndex != rebuildItems {
		t.Errorf("Totals = %+v (%v), want 0 of %d indexed", totals, err, rebuildItems)
	}
	step.advance() // the first chunk committed: the 10 newest items
	if got := found(t, s, rebuildItems, rebuildWord); !slices.Equal(got, span(51, 60)) {
		t.Errorf("after one chunk, found %v, want the newest ten, 51 to 60", got)
	}
	if done, total := s.SearchRebuild(); done != 10 || total != rebuildItems {
		t.Errorf("SearchRebuild() = %d of %d, want 10 of %d", done, total, rebuildItems)
	}

	// Meanwhile: item 5 (not reached) and item 55 (indexed) change their
	// text, twice; item 61 is new.
	newWord := func(i int) string { return fmt.Sprintf("nw%03dz", i) }
	for k, w := range []func(int) string{func(i int) string { return "mid" + rebuildWord(i) }, newWord} {
		for _, i := range []int{5, 55} {
			it := rebuildItem(i, w(i))
			it.Updated = it.Updated.Add(time.Duration(k+1) * time.Hour)
			record(t, s, "Agency", it)
		}
	}
	record(t, s, "Agency", rebuildItem(61, rebuildWord(61)))
	if got := searchTitles(t, s, newWord(55)); !slices.Equal(got, []string{"Item 55"}) {
		t.Errorf("item 55, updated above the cursor: %q", got)
	}
	// On SQLite the write path leaves item 5 to the rebuild; on
	// PostgreSQL it indexes it (its upsert keeps one row per item).
	var want5 []string
	if pg {
		want5 = []string{"Item 5"}
	}
	if got := searchTitles(t, s, newWord(5)); !slices.Equal(got, want5) {
		t.Errorf("item 5, updated below the cursor, before the rebuild reached it: found %q, want %q", got, want5)
	}
	if got := found(t, s, 61, rebuildWord); !slices.Equal(got, append(span(51, 54), append(span(56, 60), 61)...)) {
		t.Errorf("after the updates, found %v", got)
	}

	// Retention deletes items 1 to 3, which the rebuild has not reached.
	if n, err := s.Prune(context.Background(), storiesT0.Add(4*time.Minute+30*time.Second)); err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v; want items 1 to 3 deleted", n, err)
	}
	step.advance() // the second chunk committed: 41 to 50
	if got := found(t, s, rebuildItems, rebuildWord); !slices.Equal(got, append(span(41, 54), span(56, 60)...)) {
		t.Errorf("after two chunks, found %v", got)
	}
	step.finish()
	if err := s.WaitSearchRebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	word := func(i int) string {
		if i == 5 || i == 55 {
			return newWord(i)
		}
		return rebuildWord(i)
	}
	checkComplete(t, s, 4, 61, word)
	// One more update replaces the item's row: a second row (the item
	// indexed twice) would keep the text it had.
	for _, i := range []int{5, 55} {
		it := rebuildItem(i, "fin"+rebuildWord(i))
		it.Updated = it.Updated.Add(3 * time.Hour)
		record(t, s, "Agency", it)
		if got := searchTitles(t, s, "fin"+rebuildWord(i)); !slices.Equal(got, []string{fmt.Sprintf("Item %d", i)}) {
			t.Errorf("item %d's last text: found %q", i, got)
		}
	}
	for _, i := range []int{5, 55} {
		for _, w := range []string{rebuildWord(i), "mid" + rebuildWord(i), newWord(i)} {
			if got := searchTitles(t, s, w); got != nil {
				t.Errorf("%q, an older text of item %d, found %q", w, i, got)
			}
		}
	}
}

// TestSearchRebuildResumesAfterClose closes the store after two chunks:
// the next Open indexes only the items left, and the index ends complete
// with no item twice.
func TestSearchRebuildResumesAfterClose(t *testing.T) {
	for _, pg := range []bool{false, true} {
		t.Run(backendName(pg), func(t *testing.T) { testSearchRebuildResumesAfterClose(t, pg) })
	}
}

func testSearchRebuildResumesAfterClose(t *testing.T, pg bool) {
	path := oldIndexDB(t, pg)
	step := stepRebuild(t, 10)
	s, err := Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	step.pause()
	step.advance()
	step.advance() // two chunks committed; the third waits
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rebuildChunkHook = nil
	s, err = Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if done, total := s.SearchRebuild(); done != 20 || total != rebuildItems {
		t.Errorf("resumed at %d of %d, want 20 of %d", done, total, rebuildItems)
	}
	if err := s.WaitSearchRebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.SearchRebuildStats(); n != rebuildItems-20 {
		t.Errorf("the resumed rebuild indexed %d items, want the %d left", n, rebuildItems-20)
	}
	checkComplete(t, s, 1, rebuildItems, rebuildWord)
}

// TestSearchRebuildSurvivesKill9 kills a process rebuilding the index
// with SIGKILL at random moments, restarting it each time, until the
// rebuild ends; the index is then complete with no item twice.
func TestSearchRebuildSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills processes")
	}
	path := oldIndexDB(t, false)
	rng := rand.New(rand.NewPCG(3, 4))
	kills := 0
	for round := 0; ; round++ {
		if round == 30 {
			t.Fatal("the rebuild did not end in 30 rounds")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestSearchRebuildChild$")
		cmd.Env = append(os.Environ(), "WIREFEED_REBUILD_DB="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		killAfter := 1 + rng.IntN(4) // chunks to let start before the kill
		seen, ended := 0, false
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error:") {
				t.Errorf("round %d: child says %s", round, line)
			}
			if line == "rebuilt" {
				ended = true
			}
			if line == "chunk" {
				if seen++; seen == killAfter {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					kills++
					break
				}
			}
		}
		_ = cmd.Wait()
		if ended {
			break
		}
	}
	if kills == 0 {
		t.Fatal("the child was never killed")
	}
	s, err := Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatalf("database does not open after kill -9: %v", err)
	}
	defer s.Close()
	if err := s.WaitSearchRebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkComplete(t, s, 1, rebuildItems, rebuildWord)
	t.Logf("%d kills before the rebuild ended", kills)
}

// TestSearchRebuildChild is the child process of
// TestSearchRebuildSurvivesKill9: it opens the database, prints "chunk"
// before each chunk of the rebuild and "rebuilt" when it has ended.
func TestSearchRebuildChild(t *testing.T) {
	path := os.Getenv("WIREFEED_REBUILD_DB")
	if path == "" {
		t.Skip("child process of TestSearchRebuildSurvivesKill9")
	}
	searchRebuildChunk = 7
	rebuildChunkHook = func(context.Context) {
		fmt.Println("chunk")
		time.Sleep(time.Millisecond) // lets the kill land anywhere in the next chunk
	}
	s, err := Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if err := s.WaitSearchRebuild(context.Background()); err != nil {
		fmt.Println("error:", err)
	}
	fmt.Println("rebuilt")
	os.Stdout.Sync()
	_ = s.Close()
}

// TestSearchRebuildOfAnOlderVersionStartsOver: a read-only open neither
// resumes an unfinished rebuild nor reports one; a rebuild left unfinished
// by a wirefeed of another search version (another normalisation) is not
// resumed but started again, so the index holds one normalisation.
func TestSearchRebuildOfAnOlderVersionStartsOver(t *testing.T) {
	ctx := context.Background()
	path := oldIndexDB(t, false)
	step := stepRebuild(t, 10)
	s, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	step.pause()
	step.advance()
	step.advance() // two chunks committed
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rebuildChunkHook = nil

	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if done, total := ro.SearchRebuild(); total != 0 || done != 0 {
		t.Errorf("a read-only store reports a rebuild of its own: %d of %d", done, total)
	}
	if got := found(t, ro, rebuildItems, rebuildWord); !slices.Equal(got, span(41, 60)) {
		t.Errorf("a read-only store found %v, want what the rebuild indexed, 41 to 60", got)
	}
	ro.Close()

	// As a wirefeed of the version before would have left it.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE meta SET value = ? WHERE key = 'search_rebuild_version'`, searchVersion-1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitSearchRebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.SearchRebuildStats(); n != rebuildItems {
		t.Errorf("the rebuild indexed %d items, want all %d again", n, rebuildItems)
	}
	checkComplete(t, s, 1, rebuildItems, rebuildWord)
}

// TestSearchRebuildSharedWithAnotherWriter opens one database with a
// search index behind in two Stores, as a daemon and a cron fetch beside
// it would: both resume the rebuild, and a chunk that one of them indexes
// moves the cursor the other still remembers. An item of that chunk
// updated through either store is indexed with its new text: the write
// path goes by the committed cursor, not by the one its store last moved.
func TestSearchRebuildSharedWithAnotherWriter(t *testing.T) {
	path := oldIndexDB(t, false)
	step := stepRebuild(t, 10)
	open := func() *Store {
		s, err := Open(context.Background(), path, Options{Matcher: wirefeedtest.URLMatcher{}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a := open()
	defer a.Close()
	b := open()
	defer b.Close()
	// Both goroutines come to the hook before their first chunk; let one
	// of them index a chunk (items 51 to 60), and have both wait again.
	step.pause()
	step.advance()
	step.pause()
	for k, s := range []*Store{a, b} {
		w := fmt.Sprintf("upd%dq", k)
		it := rebuildItem(55, w)
		it.Updated = it.Updated.Add(time.Duration(k+1) * time.Hour)
		record(t, s, "Agency", it)
		if got := searchTitles(t, a, w); !slices.Equal(got, []string{"Item 55"}) {
			t.Errorf("item 55 updated through store %d: search for its new text found %q", k, got)
		}
	}
}
