package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed"
)

// What the deduplicator needs from the store: its signatures streamed at
// start, texts of candidates for verification, stories' roots, per-feed
// sentence counts for boilerplate learning, and merges of stories.

// Queries the deduplicator runs for every new item; lookup_plan_test.go
// checks that each one searches an index.
const (
	qItemID      = `SELECT i.id FROM items i JOIN feeds f ON f.id = i.feed_id WHERE f.name = ? AND i.guid = ?`
	qStoryRoot   = `SELECT id FROM items WHERE cluster_id = ? AND near_words > 0 ORDER BY id LIMIT 1`
	qStoredItems = `SELECT i.id, f.name, i.guid, i.url, i.title, i.body, i.summary, i.text, i.published, i.first_seen, i.cluster_id, c.first_seen, i.near_words FROM items i JOIN feeds f ON f.id = i.feed_id JOIN clusters c ON c.id = i.cluster_id WHERE i.id IN (` + inList + `)`
)

// ScanSignatures calls fn for every item first seen at or after since that
// has a signature, by the UTC day it was first seen and within a day in
// the order the items were stored, and returns the position of the change
// log the scan reflects (wirefeed.ChangeSource): the deduplicator rebuilds
// its index from them at start. It reads the signatures of those days and
// nothing else, in one read transaction.
func (s *Store) ScanSignatures(ctx context.Context, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error) {
	tx, err := s.begin(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("store: scan signatures: %w", err)
	}
	defer tx.Rollback()
	return scanSignatures(ctx, tx, since, fn)
}

func scanSignatures(ctx context.Context, q *txn, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error) {
	pos, err := changePosition(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("store: scan signatures: %w", err)
	}
	rows, err := q.query(ctx, qScanSignatures, since.Unix()/secondsPerDay, since.Unix())
	if err != nil {
		return 0, fmt.Errorf("store: scan signatures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, seen int64
		var sig []byte
		if err := rows.Scan(&id, &seen, &sig); err != nil {
			return 0, fmt.Errorf("store: scan signatures: %w", err)
		}
		if err := fn(id, fromUnix(seen), sig); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: scan signatures: %w", err)
	}
	return pos, nil
}

// ScanBoilerplate calls fn for every sentence learned as a feed's
// boilerplate.
func (s *Store) ScanBoilerplate(ctx context.Context, fn func(feed string, hash int64) error) error {
	return scanBoilerplate(ctx, s, fn)
}

const qScanBoilerplate = `SELECT f.name, b.hash FROM dedupe_boilerplate b JOIN feeds f ON f.id = b.feed_id ORDER BY f.name, b.hash`

func scanBoilerplate(ctx context.Context, q queryer, fn func(feed string, hash int64) error) error {
	rows, err := q.query(ctx, qScanBoilerplate)
	if err != nil {
		return fmt.Errorf("store: scan boilerplate: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var feed string
		var h int64
		if err := rows.Scan(&feed, &h); err != nil {
			return fmt.Errorf("store: scan boilerplate: %w", err)
		}
		if err := fn(feed, h); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: scan boilerplate: %w", err)
	}
	return nil
}

// ReadLookup calls fn with a Lookup over a read-only snapshot of the
// database, for tools that explain decisions.
func (s *Store) ReadLookup(ctx context.Context, fn func(l wirefeed.Lookup) error) error {
	tx, err := s.begin(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: read: %w", err)
	}
	defer tx.Rollback()
	tx.window = wirefeed.SentenceItems(s.matcher)
	return fn(&txLookup{tx: tx})
}

const (
	qFindItemURL  = `SELECT id FROM items WHERE url = ? AND url != '' ORDER BY id DESC LIMIT 1`
	qFindItemGUID = `SELECT id FROM items WHERE guid = ?1 OR source_guid = ?1 ORDER BY id DESC LIMIT 1` // a scan: explain is a one-off
)

// FindItem returns the item a reference names: a row id, else a canonical
// URL, else a GUID (the most recent such item). It returns ErrNotFound when
// none matches.
func (s *Store) FindItem(ctx context.Context, ref string) (wirefeed.StoredItem, error) {
	ref = strings.TrimSpace(ref)
	var ids []int64
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		ids = append(ids, n)
	}
	for _, q := range []string{qFindItemURL, qFindItemGUID} {
		var id int64
		err := s.queryRow(ctx, q, ref).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return wirefeed.StoredItem{}, fmt.Errorf("store: item %q: %w", ref, err)
		}
		if err == nil {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		its, err := storedItems(ctx, s, []int64{id})
		if err != nil {
			return wirefeed.StoredItem{}, fmt.Errorf("store: item %q: %w", ref, err)
		}
		if len(its) > 0 {
			return its[0], nil
		}
	}
	return wirefeed.StoredItem{}, fmt.Errorf("store: item %q: %w", ref, ErrNotFound)
}

// storedItems reads items with their story by row id.
func storedItems(ctx context.Context, q queryer, ids []int64) ([]wirefeed.StoredItem, error) {
	var out []wirefeed.StoredItem
	err := batches(ids, 0, func(args []any) error {
		rows, err := q.query(ctx, qStoredItems, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it wirefeed.StoredItem
			var pub, seen, cseen int64
			var b itemBody
			if err := rows.Scan(&it.ID, &it.Feed, &it.GUID, &it.URL, &it.Title, &b.body, &b.summary, &b.text, &pub, &seen,
				&it.StoryID, &cseen, &it.Words); err != nil {
				return err
			}
			var err error
			if it.Summary, it.Text, it.Compared, err = b.readCompared(); err != nil {
				return fmt.Errorf("item %d: %w", it.ID, err)
			}
			it.Published, it.FirstSeen, it.StoryFirstSeen = fromUnix(pub), fromUnix(seen), fromUnix(cseen)
			out = append(out, it)
		}
		return rows.Err()
	})
	return out, err
}

// Items implements wirefeed.Lookup.
func (l *txLookup) Items(ctx context.Context, ids []int64) ([]wirefeed.StoredItem, error) {
	return storedItems(ctx, l.tx, ids)
}

// ItemID implements wirefeed.Lookup.
func (l *txLookup) ItemID(ctx context.Context, feed, guid string) (int64, error) {
	var id int64
	err := l.tx.queryRow(ctx, qItemID, feed, guid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// StoryRoot implements wirefeed.Lookup.
func (l *txLookup) StoryRoot(ctx context.Context, story string) (int64, error) {
	var id int64
	err := l.tx.queryRow(ctx, qStoryRoot, story).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// resign stores an updated item's new signature (dec, from the session's
// Resign), in place of the old one. The item keeps its story; an item first
// seen with a title only and later given a body can then be found by its
// body.
func resign(ctx context.Context, tx *txn, id int64, dec wirefeed.Decision, firstSeen time.Time) error {
	if _, err := tx.exec(ctx, `UPDATE items SET near_words = ?, body_hash = ? WHERE id = ?`, dec.Words, dec.BodyHash, id); err != nil {
		return err
	}
	return putSignature(ctx, tx, id, firstSeen.Unix(), dec.Signature)
}

// secondsPerDay turns unix seconds into the day numbers of item_signatures.
const secondsPerDay = 86400

const (
	qPutSignature = `INSERT INTO item_signatures (day, item_id, first_seen, signature) VALUES (?, ?, ?, ?)
		ON CONFLICT (day, item_id) DO UPDATE SET signature = excluded.signature`
	qDropSignature = `DELETE FROM item_signatures WHERE day = ? AND item_id = ?`
	// qScanSignatures reads the window's days in the order the index
	// was built: by day, then by item.
	qScanSignatures = `SELECT item_id, first_seen, signature FROM item_signatures WHERE day >= ? AND first_seen >= ? ORDER BY day, item_id`
)

// putSignature stores (or replaces) an item's signature; an item without
// one has no row.
func putSignature(ctx context.Context, tx *txn, id, firstSeen int64, sig []byte) error {
	if sig == nil {
		_, err := tx.exec(ctx, qDropSignature, firstSeen/secondsPerDay, id)
		return err
	}
	_, err := tx.exec(ctx, qPutSignature, firstSeen/secondsPerDay, id, firstSeen, sig)
	return err
}

// mergeStories folds stories into an older one: their members move to
// into, and the merged stories' rows go (and with them their entries in
// the merged feed). into's id, first-seen time and entry stay.
func mergeStories(ctx context.Context, tx *txn, into string, from []string) error {
	for _, c := range from {
		if c == "" || c == into {
			continue
		}
		stmts := []struct {
			q    string
			args []any
		}{
			{`UPDATE items SET cluster_id = ? WHERE cluster_id = ?`, []any{into, c}},
			{`UPDATE clusters SET first_seen = coalesce((SELECT m.first_seen FROM clusters m WHERE m.id = ?1 AND m.first_seen < clusters.first_seen), first_seen)
				WHERE id = ?2`, []any{c, into}},
			{`DELETE FROM clusters WHERE id = ?`, []any{c}},
		}
		for _, st := range stmts {
			if _, err := tx.exec(ctx, st.q, st.args...); err != nil {
				return fmt.Errorf("story %s: %w", c, err)
			}
		}
	}
	return nil
}
