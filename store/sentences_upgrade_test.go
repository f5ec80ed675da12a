package store

import (
	"context"
	"encoding/binary"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/pgtest"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// TestUpgradeTo0016KeepsEachFeedsLastLists opens a database as migration
// 0015 left it (counts over every stored item, a list per item, some lists
// in the TEXT form of items from before 0015) and checks that each feed
// keeps the lists of its newest 64 items only, that the counts are theirs,
// and that the counts table is gone.
//
// On PostgreSQL (when pgtest.EnvVar names a server) the same, from
// pgmigrations 0002 to 0003, without TEXT lists (PostgreSQL never had
// them).
func TestUpgradeTo0016KeepsEachFeedsLastLists(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testUpgradeSentences(t, filepath.Join(t.TempDir(), "old.db"), 15) })
	t.Run("postgres", func(t *testing.T) { testUpgradeSentences(t, pgtest.DSN(t), 2) })
}

func testUpgradeSentences(t *testing.T, path string, version int) {
	ctx := context.Background()
	old, err := open(ctx, path, Options{Logger: slog.New(slog.DiscardHandler)}, version)
	if err != nil {
		t.Fatal(err)
	}
	seen := time.Now().Add(-48 * time.Hour).Unix()
	exec := func(q string, args ...any) {
		t.Helper()
		if old.pg {
			q = rebind(q)
		}
		if _, err := old.db.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO feeds (id, name, config_url, url) VALUES (1, 'Busy', 'https://busy.example/feed', 'https://busy.example/feed'),
		(2, 'Quiet', 'https://quiet.example/feed', 'https://quiet.example/feed')`)
	exec(`INSERT INTO clusters (id, first_seen, published, updated, rep_item_id) VALUES ('c1', ?1, ?1, ?1, 1)`, seen)
	// Busy: items 1 to 100, even ids (interleaved with Quiet's odd ids
	// up to 5), each with sentences 7 and its own id; Quiet: items 1, 3
	// and 5, the first two listed as TEXT.
	all := map[int64]map[int64]int{1: {}, 2: {}}
	addItem := func(id, feed int64, list any, hashes ...int64) {
		exec(`INSERT INTO items (id, feed_id, guid, title, published, updated, first_seen, cluster_id) VALUES (?, ?, ?, 'T', ?, ?, ?, 'c1')`,
			id, feed, strconv.FormatInt(id, 10), seen, seen, seen+id)
		exec(`INSERT INTO item_sentences (day, item_id, first_seen, feed_id, hashes) VALUES (?, ?, ?, ?, ?)`,
			(seen+id)/secondsPerDay, id, seen+id, feed, list)
		for _, h := range hashes {
			all[feed][h]++
		}
	}
	var busy []int64
	for id := int64(2); id <= 200; id += 2 {
		blob := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, 7), uint64(1000+id))
		addItem(id, 1, blob, 7, 1000+id)
		busy = append(busy, id)
	}
	text := func(s string, hs ...int64) any { // a list from before 0015
		if old.pg {
			var b []byte
			for _, h := range hs {
				b = binary.BigEndian.AppendUint64(b, uint64(h))
			}
			return b
		}
		return s
	}
	addItem(1, 2, text("7,-9", 7, -9), 7, -9)
	addItem(3, 2, text("-9", -9), -9)
	addItem(5, 2, binary.BigEndian.AppendUint64(nil, 12), 12)
	for f, counts := range all {
		for h, n := range counts {
			exec(`INSERT INTO dedupe_sentence_counts (feed_id, hash, items) VALUES (?, ?, ?)`, f, h, n)
		}
	}
	old.Close()

	st, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kept := busy[len(busy)-64:]
	want := map[string]map[int64]int{"Busy": {7: 64}, "Quiet": {7: 1, -9: 2, 12: 1}}
	for _, id := range kept {
		want["Busy"][1000+id] = 1
	}
	err = st.ReadLookup(ctx, func(l wirefeed.Lookup) error {
		for feed, w := range want {
			var hs []int64
			for h := range all[map[string]int64{"Busy": 1, "Quiet": 2}[feed]] {
				hs = append(hs, h)
			}
			got, err := l.SentenceCounts(ctx, feed, hs)
			if err != nil {
				return err
			}
			if len(got) != len(w) {
				t.Errorf("%s: %d sentences counted after the upgrade, want %d", feed, len(got), len(w))
			}
			for h, n := range w {
				if got[h] != n {
					t.Errorf("%s: sentence %d counted %d times after the upgrade, want %d", feed, h, got[h], n)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var lists, first int64
	if err := st.db.QueryRow(`SELECT count(*), min(item_id) FROM item_sentences WHERE feed_id = 1`).Scan(&lists, &first); err != nil {
		t.Fatal(err)
	}
	if lists != 64 || first != kept[0] {
		t.Errorf("Busy keeps %d lists from item %d, want 64 from item %d", lists, first, kept[0])
	}
	var tables int
	q := `SELECT count(*) FROM sqlite_schema WHERE name = 'dedupe_sentence_counts'`
	if st.pg {
		q = `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'dedupe_sentence_counts'`
	}
	if err := st.db.QueryRow(q).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("dedupe_sentence_counts still there after the upgrade (%d, %v)", tables, err)
	}
	// Retention takes an upgraded list off (the trigger follows the new
	// key): Quiet's items 1 and 3 go.
	if _, err := st.Prune(ctx, time.Unix(seen+4, 0)); err != nil {
		t.Fatal(err)
	}
	if err := st.db.QueryRow(`SELECT count(*) FROM item_sentences WHERE feed_id = 2`).Scan(&lists); err != nil || lists != 1 {
		t.Errorf("Quiet keeps %d lists after retention (%v), want 1", lists, err)
	}
}
