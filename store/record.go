package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed"
)

// maxErrorLen bounds the last error kept for a feed.
const maxErrorLen = 1000

// Record stores the outcome of one fetch in one transaction: the feed's new
// state, every new or changed item with its story, and the stories'
// representatives. Either all of it is stored or none of it.
func (s *Store) Record(ctx context.Context, o *wirefeed.Outcome) (wirefeed.RecordResult, error) {
	res, errs := s.RecordBatch(ctx, []*wirefeed.Outcome{o})
	return res[0], errs[0]
}

// maxBatch bounds the outcomes RecordBatch stores in one transaction.
const maxBatch = 32

// RecordBatch stores several outcomes, in one transaction when all of them
// can be stored: each feed is then as Record would leave it, and a reader
// sees all of them or none. If any of them cannot be stored, the
// transaction is rolled back and each outcome is recorded on its own, so a
// failing feed costs only itself. It returns a result and an error for
// each outcome, in order.
//
// Every transaction writes the search index and the WAL once, whatever it
// holds: recording a cycle's feeds several at a time costs less than one at
// a time.
func (s *Store) RecordBatch(ctx context.Context, outs []*wirefeed.Outcome) ([]wirefeed.RecordResult, []error) {
	res := make([]wirefeed.RecordResult, len(outs))
	errs := make([]error, len(outs))
	if s.matcher == nil {
		for i := range errs {
			errs[i] = ErrNoMatcher
		}
		return res, errs
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for i := 0; i < len(outs); {
		n := min(len(outs)-i, maxBatch)
		if n > 1 {
			if r, err := s.recordTx(ctx, outs[i:i+n]); err == nil {
				copy(res[i:], r)
				i += n
				continue
			}
		}
		// One at a time: an outcome that cannot be stored fails by
		// itself.
		for end := i + n; i < end; i++ {
			r, err := s.recordTx(ctx, outs[i:i+1])
			res[i], errs[i] = r[0], err
			if err != nil && s.leases != nil {
				// Shared work: the feed was not stored, so it is not
				// done; let it go rather than hold it.
				if derr := s.leases.drop(context.WithoutCancel(ctx), outs[i].Feed.Name); derr != nil {
					s.logger.Warn("could not let go of a feed's lease; it expires by itself",
						slog.String("feed", outs[i].Feed.Name), slog.Any("err", derr))
				}
			}
		}
	}
	return res, errs
}

// recordTx stores outs in one transaction, with the decisions of one
// matching session.
func (s *Store) recordTx(ctx context.Context, outs []*wirefeed.Outcome) ([]wirefeed.RecordResult, error) {
	res := make([]wirefeed.RecordResult, len(outs))
	name := outs[0].Feed.Name
	fail := func(err error) ([]wirefeed.RecordResult, error) {
		return make([]wirefeed.RecordResult, len(outs)), fmt.Errorf("store: record %q: %w", name, err)
	}
	tx, err := s.begin(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	if err := tx.readSearchBelow(ctx, s.rebuild.below); err != nil {
		return fail(err)
	}
	// The transaction holds the write lock (BEGIN IMMEDIATE on SQLite, the
	// writers' advisory lock on PostgreSQL): the session
	// catches up with what other writers committed, and nobody commits
	// anything until this transaction ends.
	tx.window = wirefeed.SentenceItems(s.matcher)
	lk := &txLookup{tx: tx}
	mtx, err := s.matcher.Begin(ctx, lk)
	if err != nil {
		return fail(fmt.Errorf("matching: %w", err))
	}
	defer mtx.Abort()
	for i, o := range outs {
		name = o.Feed.Name
		feedID, err := ensureFeed(ctx, tx, o.Feed)
		if err != nil {
			return fail(err)
		}
		lk.knowFeed(o.Feed.Name, feedID)
		if o.Err == nil && !o.NotModified && len(o.Items) > 0 {
			r, err := s.recordItems(ctx, tx, lk, mtx, feedID, o)
			if err != nil {
				return fail(err)
			}
			res[i] = r
		}
		if err := updateFeedState(ctx, tx, feedID, o); err != nil {
			return fail(err)
		}
		if s.leases != nil {
			// Shared work: the fetch is done, in the transaction that
			// records it.
			if err := s.leases.done(ctx, tx.Tx, o.Feed.Name); err != nil {
				return fail(err)
			}
		}
	}
	if err := flushSentences(ctx, tx); err != nil {
		return fail(err)
	}
	if err := tx.flushSearch(ctx); err != nil {
		return fail(err)
	}
	if err := mtx.Prepare(ctx); err != nil {
		return fail(fmt.Errorf("matching: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return fail(fmt.Errorf("commit: %w", err))
	}
	mtx.Commit()
	return res, nil
}

// ensureFeed returns the id of the outcome's feed, stored under its name.
// A fetch that was in flight when a reload renamed its feed still carries
// the old name: it is recorded under the one stored feed with its
// configured URL (the renamed row), not as a new feed. A feed unknown by
// both is added.
func ensureFeed(ctx context.Context, tx *txn, f wirefeed.Feed) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `SELECT id FROM feeds WHERE name = ?`, f.Name).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	ids, err := feedsByConfigURL(ctx, tx, f.URL)
	if err != nil {
		return 0, err
	}
	if len(ids) == 1 {
		return ids[0], nil
	}
	err = tx.queryRow(ctx, `INSERT INTO feeds (name, config_url, url) VALUES (?, ?, ?) RETURNING id`, f.Name, f.URL, f.URL).Scan(&id)
	return id, err
}

// feedsByConfigURL returns the ids of the stored feeds configured with u.
func feedsByConfigURL(ctx context.Context, tx *txn, u string) ([]int64, error) {
	rows, err := tx.query(ctx, `SELECT id FROM feeds WHERE config_url = ?`, u)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// recordItems stores the items of one outcome inside tx, with the
// decisions of the transaction's matching session, and returns what
// changed.
func (s *Store) recordItems(ctx context.Context, tx *txn, lk *txLookup, mtx wirefeed.MatchTx, feedID int64, o *wirefeed.Outcome) (wirefeed.RecordResult, error) {
	r := &itemRecorder{s: s, tx: tx, feedID: feedID, o: o,
		seen: o.Attempted.UTC().Truncate(time.Second), lk: lk, mtx: mtx, ids: newDocIdentity(o),
		touched: map[string][]wirefeed.Member{}}
	for i := range o.Items {
		if err := r.item(ctx, &o.Items[i]); err != nil {
			return r.res, err
		}
	}
	if err := r.finish(ctx); err != nil {
		return r.res, err
	}
	return r.res, nil
}

// itemRecorder records the items of one outcome: each is an update of an
// item the feed has (by key, or reissued under a new GUID) or a new item
// in the story the matcher decides.
type itemRecorder struct {
	s      *Store
	tx     *txn
	feedID int64
	o      *wirefeed.Outcome
	seen   time.Time // when the items were seen: the fetch, to the second
	lk     *txLookup
	mtx    wirefeed.MatchTx // the transaction's matching session
	ids    *docIdentity

	res wirefeed.RecordResult
	// touched lists the stories this record changes: nil for a story that
	// needs its representative chosen again from all its members (a member
	// changed, stories merged), else the members it gained.
	touched map[string][]wirefeed.Member
}

// knownItem is a stored item of the feed, as an update compares it with
// what the source sends now.
type knownItem struct {
	id                  int64
	key                 string // its GUID column: the identity key it was stored under
	story               string
	title, url          string
	authors, categories string // as jsonList writes them
	body                itemBody
	published, updated  int64
	firstSeen           int64
}

// loadKnown reads the feed's item that matches where (a condition on the
// items table with one argument); sql.ErrNoRows when there is none.
func (r *itemRecorder) loadKnown(ctx context.Context, where string, arg any) (knownItem, error) {
	var k knownItem
	err := r.tx.queryRow(ctx, `SELECT id, guid, cluster_id, title, url, body, summary, text, content_html, authors, categories,
		published, updated, first_seen FROM items WHERE feed_id = ? AND `+where, r.feedID, arg).
		Scan(&k.id, &k.key, &k.story, &k.title, &k.url, &k.body.body, &k.body.summary, &k.body.text, &k.body.html,
			&k.authors, &k.categories, &k.published, &k.updated, &k.firstSeen)
	return k, err
}

// full marks a story whose representative must be chosen again from all
// its members.
func (r *itemRecorder) full(story string) { r.touched[story] = nil }

// item records one item of the outcome.
func (r *itemRecorder) item(ctx context.Context, it *wirefeed.Item) error {
	key := it.IdentityKey()
	k, err := r.loadKnown(ctx, "guid = ?", key)
	switch {
	case err == nil:
		return r.update(ctx, it, k)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	// A key not seen before may be a GUID the feed reissued for an item
	// it has: first by the item's own link (cheap), then, once the
	// deduplicator has hashed the body, by its body.
	if id, err := r.ids.byURL(ctx, r.tx, r.feedID, it); err != nil || id != 0 {
		if err != nil {
			return err
		}
		return r.reissued(ctx, it, id)
	}
	cand := it.Keyed() // the deduplicator and the story id know an item by its key
	dec, err := r.mtx.Match(ctx, wirefeed.Candidate{Feed: r.o.Feed.Name, Item: cand, Seen: r.seen})
	if err != nil {
		return fmt.Errorf("matching item %q: %w", it.GUID, err)
	}
	if id, err := r.ids.byBody(ctx, r.tx, r.feedID, dec.BodyHash); err != nil || id != 0 {
		if err != nil {
			return err
		}
		return r.reissued(ctx, it, id)
	}
	return r.add(ctx, it, cand, dec)
}

// update stores what the source changed in a known item. An update is not
// a new story: the item keeps its story. An undated item keeps the date it
// was first seen with.
func (r *itemRecorder) update(ctx context.Context, it *wirefeed.Item, k knownItem) error {
	pub, upd := it.Published.Unix(), it.Updated.Unix()
	if it.DateMissing {
		pub, upd = k.published, k.updated
	}
	authors, cats := jsonList(it.Authors), jsonList(it.Categories)
	oldSummary, oldText, oldHTML, compared, err := k.body.readAll()
	if err != nil {
		return fmt.Errorf("item %q: %w", it.GUID, err)
	}
	copyChanged := k.title != it.Title || oldText != it.Text || k.url != it.URL
	if !copyChanged && oldSummary == it.Summary && oldHTML == it.ContentHTML && k.authors == authors &&
		k.categories == cats && k.published == pub && k.updated == upd {
		return nil
	}
	// A changed copy is signed again (the item keeps its story); what the
	// deduplicator compared stays otherwise.
	var dec wirefeed.Decision
	if copyChanged {
		if dec, err = r.mtx.Resign(ctx, r.o.Feed.Name, it); err != nil {
			return fmt.Errorf("signing updated item %q: %w", it.GUID, err)
		}
		compared = dec.Compared
	}
	if err := updateItem(ctx, r.tx, k.id, it, pub, upd, compared); err != nil {
		return err
	}
	if copyChanged {
		if err := resign(ctx, r.tx, k.id, dec, fromUnix(k.firstSeen)); err != nil {
			return fmt.Errorf("signing updated item %q: %w", it.GUID, err)
		}
	}
	r.res.UpdatedItems++
	r.full(k.story)
	return nil
}

// reissued re-keys the stored item id, which it reissues under a new GUID,
// and updates it.
func (r *itemRecorder) reissued(ctx context.Context, it *wirefeed.Item, id int64) error {
	k, err := r.loadKnown(ctx, "id = ?", id)
	if err != nil {
		return err
	}
	if err := rekeyItem(ctx, r.tx, k.id, it); err != nil {
		return err
	}
	r.res.Reissued++
	r.s.logger.Debug("store: item came with a new GUID; updating the item it reissues",
		slog.String("feed", r.o.Feed.Name), slog.String("old_guid", k.key), slog.String("guid", it.GUID))
	return r.update(ctx, it, k)
}

// add stores a new item in the story dec gives it (a new one when dec
// gives none), folding in the stories dec merges.
func (r *itemRecorder) add(ctx context.Context, it, cand *wirefeed.Item, dec wirefeed.Decision) error {
	story := dec.StoryID
	if story != "" {
		if r.res.Merged == nil {
			r.res.Merged = map[wirefeed.MatchRule]int{}
		}
		rule, _ := dec.Rule.Base()
		r.res.Merged[rule]++
		r.res.StoriesMerged += len(dec.Merge)
	}
	if story == "" {
		var err error
		story, err = newStory(ctx, r.tx, r.o.Feed.Name, cand, r.seen)
		if err != nil {
			return err
		}
		r.res.NewStories++
	}
	if len(dec.Merge) > 0 {
		if err := mergeStories(ctx, r.tx, story, dec.Merge); err != nil {
			return fmt.Errorf("merging stories into %s: %w", story, err)
		}
		for _, m := range dec.Merge {
			delete(r.touched, m)
		}
		r.full(story)
	}
	id, err := insertItem(ctx, r.tx, r.feedID, it, r.seen, dec, story)
	if err != nil {
		return err
	}
	if err := recordSentences(ctx, r.tx, r.feedID, id, dec, r.seen); err != nil {
		return fmt.Errorf("recording sentences of item %q: %w", it.GUID, err)
	}
	r.res.NewItems++
	key := cand.GUID
	if added, ok := r.touched[story]; !ok || added != nil {
		r.touched[story] = append(added, wirefeed.Member{ItemID: id, FeedName: r.o.Feed.Name, GUID: key, URL: it.URL,
			Title: it.Title, Published: it.Published, FirstSeen: r.seen, Words: dec.Words})
	}
	return nil
}

// finish brings the touched stories' representatives and dates up to
// date, and tells readers the merged feed changed.
func (r *itemRecorder) finish(ctx context.Context) error {
	for c, added := range r.touched {
		var err error
		if added == nil {
			err = r.s.refreshStory(ctx, r.tx, c, r.seen)
		} else {
			err = r.s.extendStory(ctx, r.tx, c, added, r.seen)
		}
		if err != nil {
			return err
		}
	}
	if len(r.touched) > 0 {
		return bumpGeneration(ctx, r.tx)
	}
	return nil
}

// newStory creates a story for an item that joins none, with an id from
// wirefeed.NewStoryID; on the rare clash a counter is mixed in.
func newStory(ctx context.Context, tx *txn, feed string, it *wirefeed.Item, seen time.Time) (string, error) {
	for n := 0; ; n++ {
		id := wirefeed.NewStoryID(seen, feed, it.GUID, n)
		r, err := tx.exec(ctx, `INSERT INTO clusters (id, first_seen, published, updated) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			id, seen.Unix(), it.Published.Unix(), seen.Unix())
		if err != nil {
			return "", err
		}
		if k, _ := r.RowsAffected(); k == 1 {
			return id, nil
		}
	}
}

func insertItem(ctx context.Context, tx *txn, feedID int64, it *wirefeed.Item, seen time.Time, dec wirefeed.Decision, story string) (int64, error) {
	var id int64
	err := tx.queryRow(ctx, `
		INSERT INTO items (feed_id, guid, source_guid, url, title, body, published, updated,
		                   first_seen, authors, categories, body_hash, cluster_id, near_words, match_reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		feedID, it.IdentityKey(), sourceGUID(it), it.URL, it.Title, encodeBodyCompared(it.Summary, it.Text, it.ContentHTML, dec.Compared),
		it.Published.Unix(), it.Updated.Unix(), seen.Unix(), jsonList(it.Authors), jsonList(it.Categories), dec.BodyHash, story, dec.Words, string(dec.Rule)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("inserting item %q: %w", it.GUID, err)
	}
	if err := putSignature(ctx, tx, id, seen.Unix(), dec.Signature); err != nil {
		return 0, fmt.Errorf("inserting item %q: %w", it.GUID, err)
	}
	tx.indexLater(id, it.Title, it.Summary, it.Text, false)
	return id, nil
}

// updateItem stores what the source changed in a known item; pub and upd
// are its dates in unix seconds, compared the deduplicator's form of its
// body.
func updateItem(ctx context.Context, tx *txn, id int64, it *wirefeed.Item, pub, upd int64, compared string) error {
	_, err := tx.exec(ctx, `
		UPDATE items SET url = ?, title = ?, body = ?, summary = '', text = '', content_html = '', published = ?, updated = ?,
		                 authors = ?, categories = ?
		WHERE id = ?`,
		it.URL, it.Title, encodeBodyCompared(it.Summary, it.Text, it.ContentHTML, compared), pub, upd, jsonList(it.Authors), jsonList(it.Categories), id)
	if err != nil {
		return fmt.Errorf("updating item %q: %w", it.GUID, err)
	}
	tx.indexLater(id, it.Title, it.Summary, it.Text, true)
	return nil
}

// jsonList is how the store keeps a list of strings: a JSON array, never
// null.
func jsonList(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// refreshStory recomputes a story's published date and representative
// after its membership or a member changed. It reads only what the
// representative rule needs (no texts), so a story with many outlets stays
// cheap to extend.
func (s *Store) refreshStory(ctx context.Context, tx *txn, story string, now time.Time) error {
	ms, err := memberHeads(ctx, tx, story)
	if err != nil {
		return err
	}
	if len(ms) == 0 {
		return nil
	}
	rep := ms[s.matcher.Representative(ms)]
	published := ms[0].Published
	for _, m := range ms[1:] {
		if m.Published.Before(published) {
			published = m.Published
		}
	}
	_, err = tx.exec(ctx, `UPDATE clusters SET published = ?, updated = ?, rep_item_id = ? WHERE id = ?`,
		published.Unix(), now.Unix(), rep.ItemID, story)
	return err
}

// extendStory updates a story that only gained members: the best of its
// current representative and the new members represents it (the rule is a
// total order, so this equals choosing among all members), and its
// published date is the earliest of its own and theirs. The cost is one
// row read, however many outlets the story already has.
func (s *Store) extendStory(ctx context.Context, tx *txn, story string, added []wirefeed.Member, now time.Time) error {
	var cur wirefeed.Member
	var published, pub, seen int64
	err := tx.queryRow(ctx, `
		SELECT c.published, coalesce(i.id, 0), coalesce(f.name, ''), coalesce(i.guid, ''), coalesce(i.url, ''),
		       coalesce(i.title, ''), coalesce(i.published, 0), coalesce(i.first_seen, 0), coalesce(i.near_words, 0)
		FROM clusters c LEFT JOIN items i ON i.id = c.rep_item_id LEFT JOIN feeds f ON f.id = i.feed_id
		WHERE c.id = ?`, story).Scan(&published, &cur.ItemID, &cur.FeedName, &cur.GUID, &cur.URL, &cur.Title, &pub, &seen, &cur.Words)
	if err != nil {
		return fmt.Errorf("story %s: %w", story, err)
	}
	ms := added
	if cur.ItemID != 0 {
		cur.Published, cur.FirstSeen = fromUnix(pub), fromUnix(seen)
		ms = append([]wirefeed.Member{cur}, added...)
	}
	rep := ms[s.matcher.Representative(ms)]
	for _, m := range added {
		published = min(published, m.Published.Unix())
	}
	_, err = tx.exec(ctx, `UPDATE clusters SET published = ?, updated = ?, rep_item_id = ? WHERE id = ?`,
		published, now.Unix(), rep.ItemID, story)
	return err
}

// memberHeads returns a story's members without their texts: item id,
// feed, GUID, URL, title, dates and word count, earliest first.
func memberHeads(ctx context.Context, tx *txn, story string) ([]wirefeed.Member, error) {
	rows, err := tx.query(ctx, `
		SELECT i.id, f.name, f.url, i.guid, i.url, i.title, i.published, i.first_seen, i.near_words
		FROM items i JOIN feeds f ON f.id = i.feed_id
		WHERE i.cluster_id = ? ORDER BY i.published, i.id`, story)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []wirefeed.Member
	for rows.Next() {
		var m wirefeed.Member
		var pub, seen int64
		if err := rows.Scan(&m.ItemID, &m.FeedName, &m.FeedURL, &m.GUID, &m.URL, &m.Title, &pub, &seen, &m.Words); err != nil {
			return nil, err
		}
		m.Published, m.FirstSeen = fromUnix(pub), fromUnix(seen)
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// updateFeedState records a fetch's effect on the feed's health and
// validators, follows a permanent move, and remembers a host that asked to
// be left alone (expired host pauses are dropped on the way).
func updateFeedState(ctx context.Context, tx *txn, feedID int64, o *wirefeed.Outcome) error {
	at := o.Attempted.Unix()
	if o.PauseHost != "" && o.PauseUntil.After(o.Attempted) {
		_, err := tx.exec(ctx, `
			INSERT INTO host_pauses (host, until, reason) VALUES (?, ?, ?)
			ON CONFLICT (host) DO UPDATE SET until = excluded.until, reason = excluded.reason
			WHERE excluded.until > host_pauses.until`, o.PauseHost, o.PauseUntil.Unix(), o.PauseReason)
		if err != nil {
			return err
		}
	}
	if _, err := tx.exec(ctx, `DELETE FROM host_pauses WHERE until <= ?`, at); err != nil {
		return err
	}
	if o.Err != nil {
		msg := o.Err.Error()
		if len(msg) > maxErrorLen {
			msg = strings.ToValidUTF8(msg[:maxErrorLen], "") + "…"
		}
		_, err := tx.exec(ctx, `
			UPDATE feeds SET last_status = ?, last_attempt = ?, consecutive_errors = consecutive_errors + 1,
			                 last_error = ?, next_due = ?, next_due_reason = ?, gone = ?
			WHERE id = ?`, o.Status, at, msg, unix(o.NextDue), o.NextDueReason, o.Gone, feedID)
		return err
	}
	// A warning describes the document last read: a 304 or an unchanged
	// body leaves it as it was, unless the fetch itself warned.
	readDoc := !o.NotModified || len(o.Warnings) > 0
	_, err := tx.exec(ctx, `
		UPDATE feeds SET last_status = ?, last_attempt = ?, last_success = ?, consecutive_errors = 0,
		                 last_error = '', next_due = ?, next_due_reason = ?, min_interval = ?, gone = 0,
		                 etag = ?, last_modified = ?, body_hash = ?,
		                 title = CASE WHEN ? != '' THEN ? ELSE title END,
		                 last_warning = CASE WHEN ? != 0 THEN ? ELSE last_warning END,
		                 suspect_not_modified = ?
		WHERE id = ?`, o.Status, at, at, unix(o.NextDue), o.NextDueReason, int64(o.MinInterval/time.Second),
		o.ETag, o.LastMod, o.BodyHash, o.Meta.Title, o.Meta.Title, readDoc, warningText(o.Warnings), o.SuspectNotModified, feedID)
	if err != nil {
		return err
	}
	if o.MovedTo != "" {
		// The feed's URL is in the merged feed (JSON feed_url, RSS source).
		if _, err = tx.exec(ctx, `UPDATE feeds SET url = ? WHERE id = ?`, o.MovedTo, feedID); err == nil {
			err = bumpGeneration(ctx, tx)
		}
	}
	return err
}

// txLookup answers the Matcher's questions inside the recording transaction.
type txLookup struct {
	tx    *txn
	feeds map[string]int64 // feed ids by name, as far as known
}

func (l *txLookup) one(ctx context.Context, query string, args ...any) (string, error) {
	var c string
	err := l.tx.queryRow(ctx, query, args...).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return c, err
}

// The indexes on url and body_hash are partial: they leave out empty URLs
// and zero hashes. SQLite uses a partial index only when the query repeats
// the index's condition; "url = ?" alone cannot rule out an empty URL, and
// so scanned every item, backwards, for every new item.
const (
	qStoryByURL      = `SELECT cluster_id FROM items WHERE url = ? AND url != '' ORDER BY id DESC LIMIT 1`
	qStoryByBodyHash = `SELECT cluster_id FROM items WHERE body_hash = ? AND body_hash != 0 ORDER BY id DESC LIMIT 1`
)

func (l *txLookup) StoryByURL(ctx context.Context, u string) (string, error) {
	if u == "" {
		return "", nil
	}
	return l.one(ctx, qStoryByURL, u)
}

func (l *txLookup) StoryByBodyHash(ctx context.Context, h int64) (string, error) {
	if h == 0 {
		return "", nil
	}
	return l.one(ctx, qStoryByBodyHash, h)
}
