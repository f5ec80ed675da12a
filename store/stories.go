package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wirefeed/wirefeed"
)

// queryer is what *sql.DB and *sql.Tx have in common.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Stories returns stories with their members, newest first by the earliest
// member's published date. All rows come from one read transaction, so a
// concurrent Record is seen whole or not at all.
func (s *Store) Stories(ctx context.Context, q wirefeed.StoryQuery) ([]wirefeed.Story, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	defer tx.Rollback()

	where, args := "", []any{}
	if !q.Since.IsZero() {
		where = "WHERE published >= ? OR updated >= ?"
		args = append(args, q.Since.Unix(), q.Since.Unix())
	}
	args = append(args, q.Limit)
	rows, err := tx.QueryContext(ctx, `SELECT id, first_seen, published, updated, coalesce(rep_item_id, 0) FROM clusters `+where+` ORDER BY published DESC, id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	var stories []wirefeed.Story
	var ids []string
	reps := map[string]int64{}
	for rows.Next() {
		var st wirefeed.Story
		var first, pub, upd, rep int64
		if err := rows.Scan(&st.ID, &first, &pub, &upd, &rep); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: stories: %w", err)
		}
		st.FirstSeen, st.Updated = fromUnix(first), fromUnix(upd)
		stories = append(stories, st)
		ids = append(ids, st.ID)
		reps[st.ID] = rep
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	members, err := loadMembers(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	for i := range stories {
		st := &stories[i]
		st.Members = members[st.ID]
		for _, m := range st.Members {
			if m.ItemID == reps[st.ID] {
				st.Representative = m
			}
		}
		if st.Representative.ItemID == 0 && len(st.Members) > 0 {
			st.Representative = st.Members[0]
		}
	}
	return stories, nil
}

// loadMembers returns the members of the given stories, earliest first.
func loadMembers(ctx context.Context, q queryer, clusters []string) (map[string][]wirefeed.Member, error) {
	out := make(map[string][]wirefeed.Member, len(clusters))
	const batch = 500 // stay well under SQLite's bound-parameter limit
	for len(clusters) > 0 {
		n := min(len(clusters), batch)
		part := clusters[:n]
		clusters = clusters[n:]
		args := make([]any, len(part))
		for i, c := range part {
			args[i] = c
		}
		rows, err := q.QueryContext(ctx, `
			SELECT i.cluster_id, i.id, f.name, f.url, i.guid, i.url, i.title, i.summary, i.text, i.content_html,
			       i.published, i.first_seen, i.authors, i.categories
			FROM items i JOIN feeds f ON f.id = i.feed_id
			WHERE i.cluster_id IN (?`+strings.Repeat(",?", len(part)-1)+`)
			ORDER BY i.published, i.id`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c, authors, cats string
			var m wirefeed.Member
			var pub, seen int64
			if err := rows.Scan(&c, &m.ItemID, &m.FeedName, &m.FeedURL, &m.GUID, &m.URL, &m.Title, &m.Summary, &m.Text, &m.HTML,
				&pub, &seen, &authors, &cats); err != nil {
				rows.Close()
				return nil, err
			}
			m.Published, m.FirstSeen = fromUnix(pub), fromUnix(seen)
			_ = json.Unmarshal([]byte(authors), &m.Authors)
			_ = json.Unmarshal([]byte(cats), &m.Category)
			out[c] = append(out[c], m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
