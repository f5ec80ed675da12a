package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/wirefeed/wirefeed"
)

// The change log (migration 0014): how each writer's deduplicator learns
// what the others committed. Triggers append to change_log whenever an
// item's signature is stored, replaced or deleted, a sentence is learned as
// boilerplate, or a feed is renamed or deleted; a Matcher reads the entries
// after the last position it saw at the start of every matching session
// (wirefeed.ChangeSource). Write transactions are serialised, so positions
// follow commit order.

// changeLogKeep is how long the log keeps its entries. A writer that
// matches nothing for longer than that (each fetch cycle matches, even one
// in which every feed answered 304) loads its state again instead.
const changeLogKeep = 24 * time.Hour

// realNow is the clock of the log's entries: they are stamped by SQLite's
// own clock (unixepoch()), whatever time tests give the store.
var realNow = time.Now

const (
	// qChanges reads the log after a position, in order, with what each
	// entry needs: the signature stored now and the feed's name now.
	qChanges = `SELECT l.seq, l.kind, l.day, l.item_id, coalesce(s.first_seen, 0), s.signature, coalesce(f.name, ''), l.name, l.hash
		FROM change_log l
		LEFT JOIN item_signatures s ON l.kind IN (1, 2) AND s.day = l.day AND s.item_id = l.item_id
		LEFT JOIN feeds f ON l.kind IN (4, 5) AND f.id = l.feed_id
		WHERE l.seq > ? ORDER BY l.seq`
	qChangeFloor    = `SELECT value FROM meta WHERE key = 'change_log_floor'`
	qChangePosition = `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'change_log'), 0)`
	// qChangePositionPG: on PostgreSQL, the last entry, or the last
	// trimmed one when the log is empty. Writers are serialised
	// (postgres.go): no entry below it can still commit.
	qChangePositionPG = `SELECT greatest((SELECT max(seq) FROM change_log), (SELECT value FROM meta WHERE key = 'change_log_floor'), 0)`
	// qChangeTrimTo finds the first entry to keep: the primary key is
	// walked from the oldest entry, so the cost is what is trimmed.
	qChangeTrimTo = `SELECT seq FROM change_log WHERE at >= ? ORDER BY seq LIMIT 1`
)

// rowQueryer runs the store's statements, in a transaction or not.
type rowQueryer interface {
	queryer
	queryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// changes implements wirefeed.ChangeSource.Changes on q.
func changes(ctx context.Context, q rowQueryer, since int64, fn func(wirefeed.IndexChange) error) (int64, error) {
	var floor int64
	if err := q.queryRow(ctx, qChangeFloor).Scan(&floor); err != nil {
		return since, fmt.Errorf("store: changes: %w", err)
	}
	if since < floor {
		return since, fmt.Errorf("store: changes after %d (kept after %d): %w", since, floor, wirefeed.ErrChangesLost)
	}
	rows, err := q.query(ctx, qChanges, since)
	if err != nil {
		return since, fmt.Errorf("store: changes: %w", err)
	}
	defer rows.Close()
	last := since
	for rows.Next() {
		var c wirefeed.IndexChange
		var kind uint8
		var day, seen int64
		if err := rows.Scan(&c.Pos, &kind, &day, &c.ItemID, &seen, &c.Signature, &c.Feed, &c.OldFeed, &c.Hash); err != nil {
			return since, fmt.Errorf("store: changes: %w", err)
		}
		c.Kind = wirefeed.ChangeKind(kind)
		switch c.Kind {
		case wirefeed.ChangeSigned, wirefeed.ChangeResigned, wirefeed.ChangeUnsigned:
			c.Seen = fromUnix(seen)
			if seen == 0 {
				c.Seen = time.Unix(day*secondsPerDay, 0).UTC()
			}
		}
		if err := fn(c); err != nil {
			return since, err
		}
		last = c.Pos
	}
	if err := rows.Err(); err != nil {
		return since, fmt.Errorf("store: changes: %w", err)
	}
	return last, nil
}

// changePosition returns the position of the last change logged.
func changePosition(ctx context.Context, tx *txn) (int64, error) {
	q := qChangePosition
	if tx.pg() {
		q = qChangePositionPG
	}
	var pos int64
	err := tx.queryRow(ctx, q).Scan(&pos)
	return pos, err
}

// trimChanges drops the log's entries older than changeLogKeep, and
// records the last position dropped.
func trimChanges(ctx context.Context, tx *txn) error {
	var keep int64
	err := tx.queryRow(ctx, qChangeTrimTo, realNow().Add(-changeLogKeep).Unix()).Scan(&keep)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Every entry is old (or there is none): drop them all.
		if keep, err = changePosition(ctx, tx); err != nil {
			return err
		}
		keep++
	case err != nil:
		return err
	}
	r, err := tx.exec(ctx, `DELETE FROM change_log WHERE seq < ?`, keep)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil
	}
	_, err = tx.exec(ctx, `UPDATE meta SET value = ?1 WHERE key = 'change_log_floor' AND value < ?1`, keep-1)
	return err
}

// Changes implements wirefeed.ChangeSource outside any transaction.
func (s *Store) Changes(ctx context.Context, since int64, fn func(wirefeed.IndexChange) error) (int64, error) {
	return changes(ctx, s, since, fn)
}

// Changes implements wirefeed.ChangeSource inside the transaction.
func (l *txLookup) Changes(ctx context.Context, since int64, fn func(wirefeed.IndexChange) error) (int64, error) {
	return changes(ctx, l.tx, since, fn)
}

// ScanSignatures implements wirefeed.ChangeSource inside the transaction.
func (l *txLookup) ScanSignatures(ctx context.Context, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error) {
	return scanSignatures(ctx, l.tx, since, fn)
}

// ScanBoilerplate implements wirefeed.ChangeSource inside the transaction.
func (l *txLookup) ScanBoilerplate(ctx context.Context, fn func(feed string, hash int64) error) error {
	return scanBoilerplate(ctx, l.tx, fn)
}
