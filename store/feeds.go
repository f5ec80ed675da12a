package store

import (
	"context"
	"fmt"
	"time"

	"github.com/wirefeed/wirefeed"
)

// SyncFeeds makes the feeds table match the configured feeds: new feeds are
// added; a feed whose configured URL changed starts again from that URL with
// no validators, no backoff and no longer gone. A feed renamed in the config
// (a new name with the URL of a feed no longer configured) keeps its state,
// items and learned boilerplate under the new name. Feeds no longer
// configured are kept with their items (their stories stay in the merged
// feed until retention removes them, or PruneFeeds). It returns the renames,
// old name to new.
func (s *Store) SyncFeeds(ctx context.Context, feeds []wirefeed.Feed) (map[string]string, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.begin(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: sync feeds: %w", err)
	}
	defer tx.Rollback()
	changed := int64(0)
	renamed, err := renameFeeds(ctx, tx, feeds)
	if err != nil {
		return nil, fmt.Errorf("store: sync feeds: %w", err)
	}
	changed += int64(len(renamed))
	for _, f := range feeds {
		r, err := tx.exec(ctx, `
			INSERT INTO feeds (name, config_url, url) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET
				config_url = excluded.config_url,
				url = excluded.url,
				etag = '', last_modified = '', body_hash = '', gone = 0, next_due = 0,
				next_due_reason = '', min_interval = 0, consecutive_errors = 0,
				last_warning = '', suspect_not_modified = 0
			WHERE feeds.config_url != excluded.config_url`, f.Name, f.URL, f.URL)
		if err != nil {
			return nil, fmt.Errorf("store: sync feed %q: %w", f.Name, err)
		}
		n, _ := r.RowsAffected()
		changed += n
	}
	if changed > 0 {
		if err := bumpGeneration(ctx, tx); err != nil {
			return nil, fmt.Errorf("store: sync feeds: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: sync feeds: %w", err)
	}
	return renamed, nil
}

// renameFeeds gives a stored feed that is no longer configured the name
// of a configured feed that is not stored yet, when both have the same
// configured URL.
func renameFeeds(ctx context.Context, tx *txn, feeds []wirefeed.Feed) (map[string]string, error) {
	rows, err := tx.query(ctx, `SELECT name, config_url FROM feeds`)
	if err != nil {
		return nil, err
	}
	stored := map[string]string{}  // name -> config URL
	byURL := map[string][]string{} // config URL -> names
	for rows.Next() {
		var name, u string
		if err := rows.Scan(&name, &u); err != nil {
			rows.Close()
			return nil, err
		}
		stored[name] = u
		byURL[u] = append(byURL[u], name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	configured := map[string]bool{}
	for _, f := range feeds {
		configured[f.Name] = true
	}
	renamed := map[string]string{}
	for _, f := range feeds {
		if _, ok := stored[f.Name]; ok {
			continue
		}
		for _, old := range byURL[f.URL] {
			if configured[old] || renamed[old] != "" {
				continue
			}
			if _, err := tx.exec(ctx, `UPDATE feeds SET name = ? WHERE name = ?`, f.Name, old); err != nil {
				return nil, fmt.Errorf("renaming feed %q to %q: %w", old, f.Name, err)
			}
			renamed[old] = f.Name
			break
		}
	}
	return renamed, nil
}

// Size returns the size of the database in bytes (pages in use and free;
// the WAL is not counted). It reads SQLite's page counts rather than the
// file, which must not be opened while the database is in use. On
// PostgreSQL it is the database's size on the server.
func (s *Store) Size(ctx context.Context) (int64, error) {
	if s.pg {
		// PostgreSQL: the database's files, as the server counts them.
		var n int64
		if err := s.db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&n); err != nil {
			return 0, fmt.Errorf("store: size: %w", err)
		}
		return n, nil
	}
	var pages, size int64
	if err := s.db.QueryRowContext(ctx, `SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()`).Scan(&pages, &size); err != nil {
		return 0, fmt.Errorf("store: size: %w", err)
	}
	return pages * size, nil
}

// FeedStates returns the remembered state of every known feed by name:
// validators for conditional GET and the feed's health (consecutive errors,
// last error, last success, next attempt and why).
func (s *Store) FeedStates(ctx context.Context) (map[string]wirefeed.FeedState, error) {
	rows, err := s.query(ctx, `
		SELECT f.name, f.url, f.config_url, f.title, f.etag, f.last_modified, f.body_hash,
		       f.last_status, f.last_attempt, f.last_success, f.consecutive_errors,
		       f.last_error, f.next_due, f.gone, f.next_due_reason, f.min_interval, f.last_warning, f.suspect_not_modified,
		       f.item_count
		FROM feeds f`)
	if err != nil {
		return nil, fmt.Errorf("store: feed states: %w", err)
	}
	defer rows.Close()
	out := map[string]wirefeed.FeedState{}
	for rows.Next() {
		var st wirefeed.FeedState
		var attempt, success, due, minInterval int64
		if err := rows.Scan(&st.Name, &st.URL, &st.ConfigURL, &st.Title, &st.ETag, &st.LastModified, &st.BodyHash,
			&st.LastStatus, &attempt, &success, &st.ConsecutiveErrors, &st.LastError, &due, &st.Gone,
			&st.NextDueReason, &minInterval, &st.LastWarning, &st.SuspectNotModified, &st.Items); err != nil {
			return nil, fmt.Errorf("store: feed states: %w", err)
		}
		st.LastAttempt, st.LastSuccess, st.NextDue = fromUnix(attempt), fromUnix(success), fromUnix(due)
		st.MinInterval = time.Duration(minInterval) * time.Second
		out[st.Name] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: feed states: %w", err)
	}
	return out, nil
}

// HostPauses returns the hosts that asked to be left alone (429 or 503
// with Retry-After) and whose pause has not ended at now, by host.
func (s *Store) HostPauses(ctx context.Context, now time.Time) (map[string]wirefeed.HostPause, error) {
	rows, err := s.query(ctx, `SELECT host, until, reason FROM host_pauses WHERE until > ?`, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("store: host pauses: %w", err)
	}
	defer rows.Close()
	out := map[string]wirefeed.HostPause{}
	for rows.Next() {
		var p wirefeed.HostPause
		var until int64
		if err := rows.Scan(&p.Host, &until, &p.Reason); err != nil {
			return nil, fmt.Errorf("store: host pauses: %w", err)
		}
		p.Until = fromUnix(until)
		out[p.Host] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: host pauses: %w", err)
	}
	return out, nil
}
