package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wirefeed/wirefeed"
)

// queryer runs the store's prepared statements: a *Store outside any
// transaction, a *txn inside one.
type queryer interface {
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// DefaultStoryLimit is the number of stories a StoryQuery without a limit
// returns.
const DefaultStoryLimit = 50

// Stories returns stories with their members, newest first by the time
// wirefeed first saw them (ties broken by id, descending, so the order is
// total and pages made with StoryQuery.Before never skip or repeat a
// story). Ordering by first sight rather than by the sources' dates means a
// story that arrives late with an old date still lands on the first page,
// where a reader polling the feed will see it; readers sort entries by
// their published date themselves. All rows come from one read transaction, so a concurrent Record
// is seen whole or not at all.
//
// Since, Before, Terms and Sources are answered in SQL, except the order of
// the words of a term on SQLite, whose index has no positions: it is
// checked on the candidate stories in Go, on at most maxSearchRejects that
// fail it. Keep is applied to each candidate story in Go; the query then
// reads further batches until Limit stories are kept or no candidates
// remain, so a selective Keep costs a scan of the stories it rejects.
func (s *Store) Stories(ctx context.Context, q wirefeed.StoryQuery) ([]wirefeed.Story, error) {
	if q.Limit <= 0 {
		q.Limit = DefaultStoryLimit
	}
	tx, err := s.begin(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: stories: %w", err)
	}
	defer tx.Rollback()

	phrases := searchPhrases(tx.pg(), q.Terms)
	// chunk is how many stories' members are read at a time.
	chunk := q.Limit
	if q.Keep != nil || len(phrases) > 0 {
		chunk = min(max(2*q.Limit, 64), 1000)
	}
	batch := chunk
	if len(phrases) > 0 {
		// Every candidate the phrase check may reach, from one query:
		// the index's answer for a common word is long, and a query per
		// chunk would read it again each time.
		batch = q.Limit + maxSearchRejects
	}
	var out []wirefeed.Story
	cursor := q.Before
	rejects := 0
	for len(out) < q.Limit {
		page, reps, err := storyPage(ctx, tx, q, cursor, batch)
		if err != nil {
			return nil, fmt.Errorf("store: stories: %w", err)
		}
		for start := 0; start < len(page) && len(out) < q.Limit; start += chunk {
			end := min(start+chunk, len(page))
			part := page[start:end]
			if err := addMembers(ctx, tx, part, reps[start:end]); err != nil {
				return nil, fmt.Errorf("store: stories: %w", err)
			}
			for i := range part {
				if len(phrases) > 0 && !matchesPhrases(&part[i], phrases) {
					if rejects++; rejects == maxSearchRejects {
						s.logger.Warn("search stopped: too many stories have the words of a phrase but not the phrase; older stories not searched",
							slog.Any("terms", q.Terms), slog.Int("checked", rejects+len(out)), slog.Int("found", len(out)))
						return out, nil
					}
					continue
				}
				if q.Keep != nil && !q.Keep(&part[i]) {
					continue
				}
				out = append(out, part[i])
				if len(out) == q.Limit {
					break
				}
			}
		}
		if len(page) < batch {
			break
		}
		last := page[len(page)-1]
		cursor = &wirefeed.StoryCursor{FirstSeen: last.FirstSeen, ID: last.ID}
	}
	return out, nil
}

// storyPage reads up to n stories after cursor that meet q's SQL
// conditions, without their members (addMembers), and the item id of
// each one's representative.
func storyPage(ctx context.Context, tx *txn, q wirefeed.StoryQuery, cursor *wirefeed.StoryCursor, n int) ([]wirefeed.Story, []int64, error) {
	query, args := storyPageSQL(tx.pg(), q, cursor, n)
	// The text varies with the conditions asked for; a story page is
	// read once per rendering, so it is not kept prepared.
	rows, err := tx.queryOnce(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	return readStoryPage(rows)
}

// storyPageSQL returns the query of a story page and its arguments (pg:
// on PostgreSQL).
func storyPageSQL(pg bool, q wirefeed.StoryQuery, cursor *wirefeed.StoryCursor, n int) (string, []any) {
	var conds []string
	var args []any
	if !q.Since.IsZero() {
		conds = append(conds, "(c.published >= ? OR c.updated >= ?)")
		args = append(args, q.Since.Unix(), q.Since.Unix())
	}
	if cursor != nil {
		p := cursor.FirstSeen.Unix()
		conds = append(conds, "(c.first_seen < ? OR (c.first_seen = ? AND c.id < ?))")
		args = append(args, p, p, cursor.ID)
	}
	for _, t := range q.Terms {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		cond, a := searchCondition(pg, t)
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if len(q.Sources) > 0 {
		conds = append(conds, `EXISTS (SELECT 1 FROM items s JOIN feeds f ON f.id = s.feed_id
			WHERE s.cluster_id = c.id AND lower(f.name) IN (?`+strings.Repeat(",?", len(q.Sources)-1)+`))`)
		for _, src := range q.Sources {
			args = append(args, asciiLower(src))
		}
	}
	where := ""
	if len(conds) > 0 {
		where = "WHERE " + strings.Join(conds, " AND ")
	}
	args = append(args, n)
	return `SELECT c.id, c.first_seen, c.published, c.updated, coalesce(c.rep_item_id, 0)
		FROM clusters c ` + where + ` ORDER BY c.first_seen DESC, c.id DESC LIMIT ?`, args
}

// readStoryPage reads the stories a story page query selects, and the
// item id of each one's representative.
func readStoryPage(rows *sql.Rows) ([]wirefeed.Story, []int64, error) {
	defer rows.Close()
	var stories []wirefeed.Story
	var reps []int64
	for rows.Next() {
		var st wirefeed.Story
		var first, pub, upd, rep int64
		if err := rows.Scan(&st.ID, &first, &pub, &upd, &rep); err != nil {
			return nil, nil, err
		}
		// FirstSeen is kept even when it is the epoch: it is the sort key
		// a cursor must reproduce exactly.
		st.FirstSeen, st.Published, st.Updated = unixUTC(first), unixUTC(pub), fromUnix(upd)
		stories = append(stories, st)
		reps = append(reps, rep)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return stories, reps, nil
}

// addMembers reads the members of stories and sets each one's
// representative, the member with the item id in reps (or the first).
func addMembers(ctx context.Context, tx *txn, stories []wirefeed.Story, reps []int64) error {
	ids := make([]string, len(stories))
	for i := range stories {
		ids[i] = stories[i].ID
	}
	members, err := loadMembers(ctx, tx, ids)
	if err != nil {
		return err
	}
	for i := range stories {
		st := &stories[i]
		st.Members = members[st.ID]
		for _, m := range st.Members {
			if m.ItemID == reps[i] {
				st.Representative = m
			}
		}
		if st.Representative.ItemID == 0 && len(st.Members) > 0 {
			st.Representative = st.Members[0]
		}
	}
	return nil
}

// qTotals counts stories and items, with the generation the counts are
// of. It reads the index of every item, so Totals runs it once per
// generation, not per request.
const qTotals = `SELECT
		(SELECT value FROM meta WHERE key = 'generation'),
		(SELECT count(*) FROM clusters),
		(SELECT count(*) FROM (SELECT cluster_id FROM items GROUP BY cluster_id HAVING count(*) > 1) AS merged),
		(SELECT count(*) FROM items)`

// totalsCounted counts the times Totals ran qTotals, for tests.
var totalsCounted atomic.Int64

// Totals returns counts of stories and items. The counts read every item's
// entry in an index (0.4 to 1.6 s with a million items), and the status
// page and each metrics scrape ask for them, so they are counted again
// only when the generation has moved (every change to stories or items
// moves it, whichever process made it); otherwise Totals costs one point
// read. Callers that arrive while they are being counted wait for that
// count rather than start their own.
func (s *Store) Totals(ctx context.Context) (wirefeed.Totals, error) {
	gen, err := s.Generation(ctx)
	if err != nil {
		return wirefeed.Totals{}, fmt.Errorf("store: totals: %w", err)
	}
	s.totalsMu.Lock()
	defer s.totalsMu.Unlock()
	if !s.totalsOK || s.totalsAt != gen {
		var t wirefeed.Totals
		if err := s.queryRow(ctx, qTotals).Scan(&gen, &t.Stories, &t.MergedStories, &t.Items); err != nil {
			return wirefeed.Totals{}, fmt.Errorf("store: totals: %w", err)
		}
		totalsCounted.Add(1)
		s.totals, s.totalsAt, s.totalsOK = t, gen, true
	}
	t := s.totals
	if done, total := s.SearchRebuild(); total > 0 {
		t.SearchIndexed, t.SearchToIndex = int(done), int(total)
	}
	return t, nil
}

// qMembers reads the members of inBatch stories.
const qMembers = `
			SELECT i.cluster_id, i.id, f.name, f.url, coalesce(nullif(i.source_guid, ''), i.guid), i.url, i.title, i.body, i.summary, i.text, i.content_html,
			       i.published, i.first_seen, i.authors, i.categories, i.near_words, i.match_reason
			FROM items i JOIN feeds f ON f.id = i.feed_id
			WHERE i.cluster_id IN (` + inList + `)
			ORDER BY i.published, i.id`

// loadMembers returns the members of the given stories, earliest first.
func loadMembers(ctx context.Context, q queryer, clusters []string) (map[string][]wirefeed.Member, error) {
	out := make(map[string][]wirefeed.Member, len(clusters))
	err := batches(clusters, "", func(args []any) error {
		rows, err := q.query(ctx, qMembers, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c, authors, cats string
			var m wirefeed.Member
			var pub, seen int64
			var b itemBody
			if err := rows.Scan(&c, &m.ItemID, &m.FeedName, &m.FeedURL, &m.GUID, &m.URL, &m.Title, &b.body, &b.summary, &b.text, &b.html,
				&pub, &seen, &authors, &cats, &m.Words, &m.Rule); err != nil {
				return err
			}
			var err error
			if m.Summary, m.Text, m.HTML, err = b.read(); err != nil {
				return fmt.Errorf("item %d: %w", m.ItemID, err)
			}
			m.Published, m.FirstSeen = fromUnix(pub), fromUnix(seen)
			_ = json.Unmarshal([]byte(authors), &m.Authors)
			_ = json.Unmarshal([]byte(cats), &m.Category)
			out[c] = append(out[c], m)
		}
		return rows.Err()
	})
	return out, err
}

func unixUTC(v int64) time.Time { return time.Unix(v, 0).UTC() }

// asciiLower folds ASCII letters only, as SQL's lower() does on both
// backends (SQLite's, and PostgreSQL's in the C collation of feed names):
// sources match feed names without regard to ASCII case.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
