package store

import (
	"context"
	"fmt"
	"time"
)

// Prune deletes items first seen before cutoff, and stories left with no
// members, in one transaction; stories that keep a member keep their id
// and get their representative chosen again. The work is proportional to
// what is deleted, not to what is kept. It also trims the change log
// (changes.go). It returns the number of items deleted.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (int64, error) {
	if s.matcher == nil {
		return 0, ErrNoMatcher
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.begin(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	defer tx.Rollback()
	// The stories of the items to delete, from the (first_seen,
	// cluster_id) index alone: the range before cutoff, however long
	// history is. (With DISTINCT the planner preferred walking the whole
	// cluster index.)
	rows, err := tx.query(ctx, `SELECT cluster_id FROM items WHERE first_seen < ?`, cutoff.Unix())
	if err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	var affected []string
	seen := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: prune: %w", err)
		}
		if !seen[c] {
			seen[c] = true
			affected = append(affected, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	if err := trimChanges(ctx, tx); err != nil {
		return 0, fmt.Errorf("store: prune change log: %w", err)
	}
	if len(affected) == 0 {
		if err := tx.Commit(); err != nil {
			return 0, fmt.Errorf("store: prune: %w", err)
		}
		return 0, nil
	}
	// Deleting an item deletes its sentence list, if it was still in its
	// feed's window (the trigger item_sentences_delete): a point delete
	// per deleted item.
	r, err := tx.exec(ctx, `DELETE FROM items WHERE first_seen < ?`, cutoff.Unix())
	if err != nil {
		return 0, fmt.Errorf("store: prune items: %w", err)
	}
	n, _ := r.RowsAffected()
	if err := s.dropOrRefresh(ctx, tx, affected); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: prune: %w", err)
	}
	return n, nil
}

// dropOrRefresh deletes, of the given stories that lost members, those
// left with none, and chooses the others' representatives again.
func (s *Store) dropOrRefresh(ctx context.Context, tx *txn, stories []string) error {
	now := nowFunc().UTC()
	for _, c := range stories {
		var left int
		if err := tx.queryRow(ctx, `SELECT count(*) FROM items WHERE cluster_id = ?`, c).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			if _, err := tx.exec(ctx, `DELETE FROM clusters WHERE id = ?`, c); err != nil {
				return fmt.Errorf("story %s: %w", c, err)
			}
			continue
		}
		if err := s.refreshStory(ctx, tx, c, now); err != nil {
			return fmt.Errorf("story %s: %w", c, err)
		}
	}
	return nil
}
