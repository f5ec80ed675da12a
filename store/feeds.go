package store

import (
	"context"
	"fmt"

	"github.com/wirefeed/wirefeed"
)

// SyncFeeds makes the feeds table match the configured feeds: new feeds are
// added; a feed whose configured URL changed starts again from that URL with
// no validators. Feeds no longer configured are kept with their items (their
// stories stay in the merged feed until retention removes them).
func (s *Store) SyncFeeds(ctx context.Context, feeds []wirefeed.Feed) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: sync feeds: %w", err)
	}
	defer tx.Rollback()
	for _, f := range feeds {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO feeds (name, config_url, url) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET
				config_url = excluded.config_url,
				url = excluded.url,
				etag = '', last_modified = '', body_hash = '', gone = 0, next_due = 0
			WHERE feeds.config_url != excluded.config_url`, f.Name, f.URL, f.URL)
		if err != nil {
			return fmt.Errorf("store: sync feed %q: %w", f.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: sync feeds: %w", err)
	}
	return nil
}

// FeedStates returns the remembered state of every known feed by name.
func (s *Store) FeedStates(ctx context.Context) (map[string]wirefeed.FeedState, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT f.name, f.url, f.config_url, f.title, f.etag, f.last_modified, f.body_hash,
		       f.last_status, f.last_attempt, f.last_success, f.consecutive_errors,
		       f.last_error, f.next_due, f.gone,
		       (SELECT count(*) FROM items i WHERE i.feed_id = f.id)
		FROM feeds f`)
	if err != nil {
		return nil, fmt.Errorf("store: feed states: %w", err)
	}
	defer rows.Close()
	out := map[string]wirefeed.FeedState{}
	for rows.Next() {
		var st wirefeed.FeedState
		var attempt, success, due int64
		if err := rows.Scan(&st.Name, &st.URL, &st.ConfigURL, &st.Title, &st.ETag, &st.LastModified, &st.BodyHash,
			&st.LastStatus, &attempt, &success, &st.ConsecutiveErrors, &st.LastError, &due, &st.Gone, &st.Items); err != nil {
			return nil, fmt.Errorf("store: feed states: %w", err)
		}
		st.LastAttempt, st.LastSuccess, st.NextDue = fromUnix(attempt), fromUnix(success), fromUnix(due)
		out[st.Name] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: feed states: %w", err)
	}
	return out, nil
}
