// Package perf measures wirefeed at scale. It builds databases that hold a
// long history (a million stored items, a hundred thousand of them inside
// the deduplicator's window) in a minute or two, through the store's own
// Record so the rows are exactly what wirefeed writes, and reads the
// process's CPU time and peak memory. The benchmarks of issue 13 live in
// this package's tests; cmd historydb builds databases for scripts.
package perf

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/store"
	_ "modernc.org/sqlite" // the "sqlite" driver, for openFile
)

// HistoryOptions shapes a generated history.
type HistoryOptions struct {
	// Items is how many items the database holds; default 1,000,000.
	Items int
	// Window is how many of them were first seen in the last 40 hours,
	// inside any deduplication window of two days or more; the others were
	// first seen 4 to 29 days ago, inside the default retention of 30
	// days and outside the default window. Default Items/10.
	Window int
	// Feeds are named as fixtures.GenerateCorpus names its outlets
	// ("Outlet 000"...), so a corpus fetched later lands in the same
	// feeds; default 200.
	Feeds int
	// Recorded is how many items are stored through Store.Record, the
	// window's and the oldest; the other old items are copies of the
	// recorded old ones made in SQL (rows, stories, signatures, and the
	// sentence lists of each feed's newest items, now copies; no search
	// index rows, which cannot be copied from a contentless index), so
	// that a million items take minutes to build rather than an hour.
	// Default (0): all of them are recorded.
	Recorded int
	// Now is the time the history ends; default time.Now().
	Now    time.Time
	Logger *slog.Logger // progress; default discards
}

func (o HistoryOptions) withDefaults() HistoryOptions {
	if o.Items <= 0 {
		o.Items = 1_000_000
	}
	if o.Window <= 0 {
		o.Window = o.Items / 10
	}
	o.Window = min(o.Window, o.Items)
	if o.Feeds <= 0 {
		o.Feeds = 200
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Recorded <= o.Window || o.Recorded > o.Items {
		o.Recorded = o.Items
	}
	return o
}

// FeedName is the name of history feed i, the same as the corpus's
// outlet i.
func FeedName(i int) string { return fmt.Sprintf("Outlet %03d", i) }

// HistoryFeeds returns the feeds of a history built with o, at URLs under
// base (their paths are the corpus's).
func HistoryFeeds(o HistoryOptions, base string) []wirefeed.Feed {
	o = o.withDefaults()
	feeds := make([]wirefeed.Feed, o.Feeds)
	for i := range feeds {
		feeds[i] = wirefeed.Feed{Name: FeedName(i), URL: fmt.Sprintf("%s/c/outlet-%03d.xml", strings.TrimSuffix(base, "/"), i)}
	}
	return feeds
}

// historyBatch is how many items one Record call stores: one feed's
// document of that many items, recorded in one transaction.
const historyBatch = 500

// BuildHistory creates a database at path holding the history o
// describes. Every item is stored through Store.Record, as a fetch would
// store it, with the deduplicator's decision made beforehand: each item is
// a story of its own (new copy, never a duplicate), signed by the real
// deduplicator when it is inside the window (the index loads those at
// start) and given a signature of the same size otherwise. Bodies are 300
// to 800 words of generated prose in publisher HTML with its plain text.
func BuildHistory(ctx context.Context, path string, o HistoryOptions) error {
	o = o.withDefaults()
	start := time.Now()
	m := &historyMatcher{engine: dedupe.New(dedupe.Options{Logger: o.Logger})}
	st, err := store.Open(ctx, path, store.Options{Matcher: m, Logger: o.Logger})
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	closed := false
	defer func() {
		if !closed {
			st.Close()
		}
	}()
	feeds := HistoryFeeds(o, "http://127.0.0.1:9")
	if _, err := st.SyncFeeds(ctx, feeds); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	g := newArticleGen(o.Now)
	old := o.Recorded - o.Window // old items recorded; the rest are copied below
	for first, batch := 0, 0; first < o.Recorded; batch++ {
		// Batches never straddle the window's edge.
		n := min(historyBatch, o.Recorded-first)
		if first < old {
			n = min(n, old-first)
		}
		var seen time.Time
		if first < old {
			// 29 days ago to 4 days ago, oldest first.
			seen = o.Now.Add(-29*24*time.Hour + time.Duration(float64(25*24*time.Hour)*float64(first)/float64(max(old, 1))))
		} else {
			seen = o.Now.Add(-40*time.Hour + time.Duration(float64(40*time.Hour-10*time.Minute)*float64(first-old)/float64(o.Window)))
		}
		seen = seen.UTC().Truncate(time.Second)
		f := feeds[batch%len(feeds)]
		out := &wirefeed.Outcome{Feed: f, Attempted: seen, Status: 200, ETag: `"h"`}
		m.inWindow = first >= old
		for i := first; i < first+n; i++ {
			out.Items = append(out.Items, g.item(i, f.Name, seen))
		}
		if _, err := st.Record(ctx, out); err != nil {
			return fmt.Errorf("history: recording items %d-%d: %w", first, first+n-1, err)
		}
		if batch%200 == 199 {
			o.Logger.Info("history", slog.Int("items", first+n), slog.Duration("took", time.Since(start)))
		}
		first += n
	}
	closed = true
	if err := st.Close(); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if err := copyOld(ctx, path, old, o.Items-o.Recorded, m.engine.SentenceItems()); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	o.Logger.Info("history built", slog.String("path", path), slog.Int("items", o.Items), slog.Int("window", o.Window),
		slog.Duration("took", time.Since(start)))
	return nil
}

// copyOld adds n copies of the first recorded old items (ids 1 to old) in
// SQL: each copy a story of its own, with its item's body, dates and
// signature, and a GUID, URL and body hash of its own. The copies take the
// highest ids, so each feed's newest items are copies: they get the
// feed's sentence lists (copySentences), as the store keeps them for the
// last window items of each feed. It writes the store's tables directly,
// in the database at path once the store has closed it, and so follows its
// schema.
func copyOld(ctx context.Context, path string, old, n, window int) error {
	db, err := openFile(path)
	if err != nil {
		return err
	}
	defer db.Close()
	for round := 1; n > 0; round++ {
		k := min(n, old)
		var maxID int64
		if err := db.QueryRowContext(ctx, `SELECT max(id) FROM items`).Scan(&maxID); err != nil {
			return err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		suffix := fmt.Sprintf("#c%d", round)
		for _, q := range []string{
			`INSERT INTO clusters (id, first_seen, published, updated, rep_item_id)
			 SELECT c.id || ?1, c.first_seen, c.published, c.updated, i.id + ?2 FROM items i JOIN clusters c ON c.id = i.cluster_id WHERE i.id <= ?3`,
			`INSERT INTO items (id, feed_id, guid, source_guid, url, title, body, summary, text, content_html, published, updated, first_seen,
			                    authors, categories, body_hash, cluster_id, near_words, match_reason)
			 SELECT id + ?2, feed_id, guid || ?1, source_guid, url || ?1, title, body, summary, text, content_html, published, updated, first_seen,
			        authors, categories, body_hash + ?4, cluster_id || ?1, near_words, match_reason FROM items WHERE id <= ?3`,
			`INSERT INTO item_signatures (day, item_id, first_seen, signature)
			 SELECT day, item_id + ?2, first_seen, signature FROM item_signatures WHERE item_id <= ?3`,
		} {
			if _, err := tx.ExecContext(ctx, q, suffix, maxID, k, round*7919); err != nil {
				tx.Rollback()
				return fmt.Errorf("copying old items: %w", err)
			}
		}
		if n == k { // the last round: its copies are the feeds' newest items
			if err := copySentences(ctx, tx, window, int64(round)); err != nil {
				tx.Rollback()
				return fmt.Errorf("copying old items' sentences: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		n -= k
	}
	// A database with a month of items keeps a day of change log (the
	// store trims it): drop what building this one logged.
	if _, err := db.ExecContext(ctx, `DELETE FROM change_log;
		UPDATE meta SET value = (SELECT seq FROM sqlite_sequence WHERE name = 'change_log') WHERE key = 'change_log_floor'`); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// openFile opens the database file at path directly, for writing or
// reading the store's tables where the Store has no method to: only while
// no Store has it open.
func openFile(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
}

// copySentences moves each feed's sentence lists (the store keeps those of
// its last window items that recorded any) to its newest window items,
// now copies, with hashes moved by the round, so that, as in a real
// history, the copies' sentences are not their originals'.
func copySentences(ctx context.Context, tx *sql.Tx, window int, round int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT feed_id, hashes FROM item_sentences ORDER BY feed_id, item_id`)
	if err != nil {
		return err
	}
	lists := map[int64][][]byte{}
	var feeds []int64
	for rows.Next() {
		var feed int64
		var raw []byte
		if err := rows.Scan(&feed, &raw); err != nil {
			rows.Close()
			return err
		}
		blob := make([]byte, len(raw))
		for i := 0; i+8 <= len(raw); i += 8 {
			binary.BigEndian.PutUint64(blob[i:], uint64(int64(binary.BigEndian.Uint64(raw[i:]))+round*7919))
		}
		if lists[feed] == nil {
			feeds = append(feeds, feed)
		}
		lists[feed] = append(lists[feed], blob)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM item_sentences`); err != nil {
		return err
	}
	for _, feed := range feeds {
		ids, err := newestItems(ctx, tx, feed, min(window, len(lists[feed])))
		if err != nil {
			return err
		}
		// ids newest first, lists oldest first: the newest list goes to
		// the newest item.
		ls := lists[feed][len(lists[feed])-len(ids):]
		for i, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO item_sentences (feed_id, item_id, hashes) VALUES (?, ?, ?)`,
				feed, id, ls[len(ls)-1-i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// newestItems returns the ids of feed's n newest items, newest first.
func newestItems(ctx context.Context, tx *sql.Tx, feed int64, n int) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM items WHERE feed_id = ? ORDER BY id DESC LIMIT ?`, feed, n)
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

// CachedHistory returns the path of a database built with o in dir, building
// it first unless a build with the same options, on the same day and with
// the same schema is there. Callers that write to it work on a copy
// (CopyFile).
func CachedHistory(ctx context.Context, dir string, o HistoryOptions) (string, error) {
	o = o.withDefaults()
	schema, err := schemaKey(ctx, dir)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("history-%d-%d-%d-%d-%s-%s.db", o.Items, o.Window, o.Recorded, o.Feeds, o.Now.UTC().Format("20060102"), schema)
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp := path + ".building"
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	if err := BuildHistory(ctx, tmp, o); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	return path, nil
}

// schemaKey names the store's current schema: a hash of the schema an
// empty database gets.
func schemaKey(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "schema-")
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	defer os.RemoveAll(tmp)
	path := filepath.Join(tmp, "schema.db")
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	if err := st.Close(); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	db, err := openFile(path)
	if err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	defer db.Close()
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master ORDER BY name)`).Scan(&schema); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	sum := sha256.Sum256([]byte(schema.String))
	return hex.EncodeToString(sum[:6]), nil
}

// CopyFile copies a database file (closed, checkpointed) to dst.
func CopyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// historyMatcher makes each item a story of its own, signed by the real
// deduplicator (in the session of the recording transaction) when it is
// inside the window, and given one of the first old items' signatures
// otherwise.
type historyMatcher struct {
	engine   *dedupe.Engine
	inWindow bool     // the items recorded now are inside the window
	pool     [][]byte // signatures reused for items outside the window
	bodies   int64
}

func (m *historyMatcher) Begin(ctx context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	tx, err := m.engine.Begin(ctx, l)
	if err != nil {
		return nil, err
	}
	return &historySession{MatchTx: tx, m: m}, nil
}

func (m *historyMatcher) Representative([]wirefeed.Member) int { return 0 }

// SentenceItems is the engine's (wirefeed.SentenceWindow).
func (m *historyMatcher) SentenceItems() int { return m.engine.SentenceItems() }

// historySession decides as historyMatcher says; it signs items with the
// engine's session it wraps.
type historySession struct {
	wirefeed.MatchTx
	m *historyMatcher
}

func (s *historySession) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	m := s.m
	m.bodies++
	if m.inWindow || len(m.pool) < 1000 {
		d, err := s.MatchTx.Resign(ctx, c.Feed, c.Item)
		if err != nil {
			return d, err
		}
		d.Rule = wirefeed.RuleNew
		d.Sentences = sentenceHashes(c.Item.Text)
		if !m.inWindow {
			m.pool = append(m.pool, d.Signature)
		}
		return d, nil
	}
	d := wirefeed.Decision{Rule: wirefeed.RuleNew, Signature: m.pool[m.bodies%int64(len(m.pool))],
		BodyHash: int64(xxhash.Sum64String(c.Item.GUID) | 1), Words: 300 + int(m.bodies%500)}
	d.Sentences = sentenceHashes(c.Item.Text)
	return d, nil
}

// sentenceHashes stands for the deduplicator's sentence hashes (what
// boilerplate learning records): one hash per sentence.
func sentenceHashes(text string) []int64 {
	var out []int64
	for s := range strings.SplitSeq(text, ". ") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, int64(xxhash.Sum64String(s)))
		}
	}
	return out
}

// articleGen makes the articles of a history quickly: bodies are drawn
// from a pool of generated paragraphs (generating every word of a million
// articles would take minutes), titles are generated.
type articleGen struct {
	paras []string
	now   time.Time
}

func newArticleGen(now time.Time) *articleGen {
	rng := rand.New(rand.NewPCG(13, 13))
	g := &articleGen{now: now}
	for range 4096 {
		g.paras = append(g.paras, fixtures.Paragraph(rng))
	}
	return g
}

// item returns history item i of feed, first seen at seen.
func (g *articleGen) item(i int, feed string, seen time.Time) wirefeed.Item {
	rng := rand.New(rand.NewPCG(uint64(i), 0x4157))
	words := 300 + rng.IntN(501)
	var text, body strings.Builder
	for n := 0; n < words; {
		p := g.paras[rng.IntN(len(g.paras))]
		n += strings.Count(p, " ") + 1
		if text.Len() > 0 {
			text.WriteString("\n\n")
		}
		text.WriteString(p)
		body.WriteString("<p>")
		body.WriteString(html.EscapeString(p))
		body.WriteString("</p>\n")
	}
	slug := strings.ToLower(strings.ReplaceAll(feed, " ", "-"))
	title := fixtures.Words(rng, 8+rng.IntN(5))
	return wirefeed.Item{
		GUID:        fmt.Sprintf("%s-history-%d", slug, i),
		URL:         fmt.Sprintf("https://%s.example/archive/%d", slug, i),
		Title:       strings.ToUpper(title[:1]) + title[1:],
		Summary:     summaryOf(text.String()),
		Text:        text.String(),
		ContentHTML: body.String(),
		Published:   seen.Add(-time.Hour),
		Updated:     seen.Add(-time.Hour),
		Authors:     []string{"Staff reporter"},
		Categories:  []string{"World"},
	}
}

// summaryOf is the first 400 characters of text on one line, as the
// fetcher makes a summary when the feed gives none.
func summaryOf(text string) string {
	s := strings.Join(strings.Fields(text), " ")
	if len(s) > 400 {
		s = s[:400]
	}
	return s
}
