package store

import (
	"context"
	"fmt"
	"strings"
)

// PrunedFeed is a feed PruneFeeds removed (or would remove), with how many
// items went with it.
type PrunedFeed struct {
	Name  string
	URL   string
	Items int
}

// PruneFeeds deletes the feeds whose names are not in keep (compared
// case-sensitively, as the config names them), with their items, learned
// boilerplate and search rows, in one transaction. A story left without
// members goes; a story that keeps members from other feeds keeps its id
// and gets its representative chosen again. With dryRun nothing is
// deleted. It returns the feeds removed.
func (s *Store) PruneFeeds(ctx context.Context, keep []string, dryRun bool) ([]PrunedFeed, error) {
	if s.matcher == nil && !dryRun {
		return nil, ErrNoMatcher
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.begin(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: prune feeds: %w", err)
	}
	defer tx.Rollback()
	kept := map[string]bool{}
	for _, n := range keep {
		kept[n] = true
	}
	rows, err := tx.query(ctx, `SELECT f.id, f.name, f.config_url, f.item_count FROM feeds f ORDER BY f.name`)
	if err != nil {
		return nil, fmt.Errorf("store: prune feeds: %w", err)
	}
	var gone []PrunedFeed
	var ids []int64
	for rows.Next() {
		var id int64
		var f PrunedFeed
		if err := rows.Scan(&id, &f.Name, &f.URL, &f.Items); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: prune feeds: %w", err)
		}
		if !kept[f.Name] {
			gone = append(gone, f)
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: prune feeds: %w", err)
	}
	if dryRun || len(ids) == 0 {
		return gone, nil
	}
	var affected []string
	err = batches(ids, 0, func(args []any) error {
		r, err := tx.query(ctx, `SELECT DISTINCT cluster_id FROM items WHERE feed_id IN (`+inList+`)`, args...)
		if err != nil {
			return err
		}
		defer r.Close()
		for r.Next() {
			var c string
			if err := r.Scan(&c); err != nil {
				return err
			}
			affected = append(affected, c)
		}
		return r.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: prune feeds: %w", err)
	}
	// Items (and through them search rows and sentence counts) and learned
	// boilerplate go with their feed: ON DELETE CASCADE.
	err = batches(ids, 0, func(args []any) error {
		_, err := tx.exec(ctx, `DELETE FROM feeds WHERE id IN (`+inList+`)`, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: prune feeds: %w", err)
	}
	if err := s.dropOrRefresh(ctx, tx, affected); err != nil {
		return nil, fmt.Errorf("store: prune feeds: %w", err)
	}
	if err := bumpGeneration(ctx, tx); err != nil {
		return nil, fmt.Errorf("store: prune feeds: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: prune feeds: %w", err)
	}
	names := make([]string, len(gone))
	for i, f := range gone {
		names[i] = f.Name
	}
	s.logger.Info("feeds pruned", "feeds", strings.Join(names, ", "))
	return gone, nil
}
