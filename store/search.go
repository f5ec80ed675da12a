package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wirefeed/wirefeed/internal/searchtext"
)

// searchVersion is the version of internal/searchtext's normalisation the
// search index must be built with. Raising it rebuilds the index at the
// next Open.
const searchVersion = 1

// indexItem writes the item's row of the search index. With replace, the
// row it had is removed first (an updated item); a new item has none, since
// the delete trigger removes a row with its item.
func indexItem(ctx context.Context, tx *txn, id int64, title, summary, text string, replace bool) error {
	if tx.pg() {
		_, err := tx.exec(ctx, `INSERT INTO items_search (item_id, words) VALUES (?, ?::tsvector)
			ON CONFLICT (item_id) DO UPDATE SET words = excluded.words`, id, pgVector(title, summary, text))
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		return nil
	}
	if replace {
		if _, err := tx.exec(ctx, `DELETE FROM items_search WHERE rowid = ?`, id); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
	}
	_, err := tx.exec(ctx, `INSERT INTO items_search (rowid, title, summary, text) VALUES (?, ?, ?, ?)`,
		id, searchtext.Normalize(title), searchtext.Normalize(summary), searchtext.Normalize(text))
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}

// searchRow is an item's row of the search index, waiting for the end of
// its transaction.
type searchRow struct {
	id                   int64
	title, summary, text string
	replace              bool
}

// indexLater queues the item's row of the search index, written by
// flushSearch. FTS5 writes the rows it holds in memory to disk whenever a
// statement of the transaction opens a savepoint (any statement that may
// change several rows or fires a trigger does), so index rows written item
// by item were flushed item by item, each a tiny segment that the next
// ones had to merge: recording 10,000 items took 80 CPU seconds. Written
// last, a feed's rows are one segment.
func (t *txn) indexLater(id int64, title, summary, text string, replace bool) {
	t.search = append(t.search, searchRow{id, title, summary, text, replace})
}

// flushSearch writes the queued rows of the search index. It is the last
// thing a transaction writes.
func (t *txn) flushSearch(ctx context.Context) error {
	for _, r := range t.search {
		if err := indexItem(ctx, t, r.id, r.title, r.summary, r.text, r.replace); err != nil {
			return err
		}
	}
	t.search = t.search[:0]
	return nil
}

// buildSearchIndex (re)builds the search index from the stored items when
// it was built with another normalisation, or never (a database created
// before migration 0009): one transaction, so a search never sees half an
// index.
func (s *Store) buildSearchIndex(ctx context.Context) error {
	var v int64
	if err := s.queryRow(ctx, `SELECT value FROM meta WHERE key = 'search_version'`).Scan(&v); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if v == searchVersion {
		return nil
	}
	start := time.Now()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.begin(ctx, nil)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.exec(ctx, `DELETE FROM items_search`); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	n := 0
	for after := int64(0); ; {
		rows, err := tx.query(ctx, `SELECT id, title, body, summary, text FROM items WHERE id > ? ORDER BY id LIMIT 1000`, after)
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		type row struct {
			id                   int64
			title, summary, text string
		}
		var batch []row
		for rows.Next() {
			var r row
			var b itemBody
			if err := rows.Scan(&r.id, &r.title, &b.body, &b.summary, &b.text); err != nil {
				rows.Close()
				return fmt.Errorf("search index: %w", err)
			}
			if r.summary, r.text, _, err = b.read(); err != nil {
				rows.Close()
				return fmt.Errorf("search index: item %d: %w", r.id, err)
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		for _, r := range batch {
			if err := indexItem(ctx, tx, r.id, r.title, r.summary, r.text, false); err != nil {
				return err
			}
		}
		n += len(batch)
		if len(batch) < 1000 {
			break
		}
		after = batch[len(batch)-1].id
	}
	if _, err := tx.exec(ctx, `UPDATE meta SET value = ? WHERE key = 'search_version'`, searchVersion); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if n > 0 {
		s.logger.Info("search index built", slog.Int("items", n), slog.Duration("took", time.Since(start)))
	}
	return nil
}

// searchCondition is the SQL condition, on stories aliased c, that some
// member matches term, and its argument. A term without words matches
// nothing. On PostgreSQL (pg) the index is items_search's tsvector
// (pgsearch.go).
func searchCondition(pg bool, term string) (string, []any) {
	if pg {
		phrase := pgPhrase(term)
		if phrase == "" {
			return "1 = 0", nil
		}
		return `c.id IN (SELECT i.cluster_id FROM items_search s JOIN items i ON i.id = s.item_id WHERE s.words @@ ?::tsquery)`,
			[]any{phrase}
	}
	phrase := searchtext.Phrase(term)
	if phrase == "" {
		return "1 = 0", nil
	}
	return `c.id IN (SELECT i.cluster_id FROM items_search s JOIN items i ON i.id = s.rowid WHERE items_search MATCH ?)`,
		[]any{phrase}
}
