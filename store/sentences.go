package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed"
)

// Boilerplate statistics (migration 0015). For each feed, the number of its
// stored items that carry each sentence the deduplicator recorded
// (Decision.Sentences): dedupe_sentence_counts. A transaction keeps the
// counts of the items it stores in memory (txn.sentences), answers
// SentenceCounts with the stored counts plus those, and writes them once,
// per feed and sentence, before it commits. Each item keeps the hashes it
// added (item_sentences), so that retention can take them off again.

const (
	qSentenceCounts = `SELECT hash, items FROM dedupe_sentence_counts WHERE feed_id = ? AND hash IN (` + inList + `)`
	qFeedID         = `SELECT id FROM feeds WHERE name = ?`
	qAddSentence    = `INSERT INTO dedupe_sentence_counts (feed_id, hash, items) VALUES (?, ?, ?)
		ON CONFLICT (feed_id, hash) DO UPDATE SET items = dedupe_sentence_counts.items + excluded.items`
	qAddSentences = `INSERT INTO dedupe_sentence_counts (feed_id, hash, items) VALUES (?, ?, ?)` +
		`, (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)` +
		`, (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)
		ON CONFLICT (feed_id, hash) DO UPDATE SET items = dedupe_sentence_counts.items + excluded.items`
	qDropUncounted = `DELETE FROM dedupe_sentence_counts WHERE feed_id = ? AND items <= 0 AND hash IN (` + inList + `)`
	// On PostgreSQL a feed's hashes go as arrays, in one statement
	// whatever their number: a round trip to the server costs more than
	// the statement.
	qSentenceCountsPG = `SELECT hash, items FROM dedupe_sentence_counts WHERE feed_id = $1 AND hash = ANY($2::bigint[])`
	qAddSentencesPG   = `INSERT INTO dedupe_sentence_counts (feed_id, hash, items)
		SELECT $1, h, n FROM unnest($2::bigint[], $3::bigint[]) AS t (h, n)
		ON CONFLICT (feed_id, hash) DO UPDATE SET items = dedupe_sentence_counts.items + excluded.items`
	qDropUncountedPG = `DELETE FROM dedupe_sentence_counts WHERE feed_id = $1 AND items <= 0 AND hash = ANY($2::bigint[])`
	qItemSentences   = `INSERT INTO item_sentences (day, item_id, first_seen, feed_id, hashes) VALUES (?, ?, ?, ?, ?)`
	qPrunedSentence  = `SELECT feed_id, hashes FROM item_sentences WHERE day <= ? AND first_seen < ?`
)

// sentenceTally is what a transaction adds to the counts: per feed id, per
// hash, items.
type sentenceTally map[int64]map[int64]int

func (t sentenceTally) add(feedID int64, hs []int64, n int) {
	m := t[feedID]
	if m == nil {
		m = map[int64]int{}
		t[feedID] = m
	}
	for _, h := range hs {
		m[h] += n
	}
}

// recordSentences keeps what a new item's decision says about its feed's
// sentences: its hashes count for the feed (written with the transaction's
// other counts by flushSentences) and are listed with the item; sentences it
// made boilerplate are learned for good.
func recordSentences(ctx context.Context, tx *txn, feedID, itemID int64, dec wirefeed.Decision, seen time.Time) error {
	if len(dec.Sentences) > 0 {
		if tx.sentences == nil {
			tx.sentences = sentenceTally{}
		}
		tx.sentences.add(feedID, dec.Sentences, 1)
		blob := make([]byte, 0, 8*len(dec.Sentences))
		for _, h := range dec.Sentences {
			blob = binary.BigEndian.AppendUint64(blob, uint64(h))
		}
		if _, err := tx.exec(ctx, qItemSentences, seen.Unix()/secondsPerDay, itemID, seen.Unix(), feedID, blob); err != nil {
			return err
		}
	}
	for _, h := range dec.Learned {
		if _, err := tx.exec(ctx, `INSERT INTO dedupe_boilerplate (feed_id, hash, learned) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			feedID, h, seen.Unix()); err != nil {
			return err
		}
	}
	return nil
}

// flushSentences writes the transaction's counts: a statement per 16
// sentences, whatever the number of items that carry them.
func flushSentences(ctx context.Context, tx *txn) error {
	err := writeTally(ctx, tx, tx.sentences)
	tx.sentences = nil
	return err
}

// writeTally adds t to the stored counts (its counts may be negative) and
// drops the counts that fall to zero.
func writeTally(ctx context.Context, tx *txn, t sentenceTally) error {
	feeds := make([]int64, 0, len(t))
	for f := range t {
		feeds = append(feeds, f)
	}
	slices.Sort(feeds)
	for _, f := range feeds {
		hs := make([]int64, 0, len(t[f]))
		var drops []int64
		for h, n := range t[f] {
			hs = append(hs, h)
			if n < 0 {
				drops = append(drops, h)
			}
		}
		slices.Sort(hs) // in key order: the pages are written once each
		if tx.pg() {
			ns := make([]int64, len(hs))
			for i, h := range hs {
				ns[i] = int64(t[f][h])
			}
			if _, err := tx.exec(ctx, qAddSentencesPG, f, hs, ns); err != nil {
				return fmt.Errorf("sentence counts: %w", err)
			}
			if len(drops) > 0 {
				if _, err := tx.exec(ctx, qDropUncountedPG, f, drops); err != nil {
					return fmt.Errorf("sentence counts: %w", err)
				}
			}
			continue
		}
		for len(hs) >= inBatch {
			args := make([]any, 0, 3*inBatch)
			for _, h := range hs[:inBatch] {
				args = append(args, f, h, t[f][h])
			}
			if _, err := tx.exec(ctx, qAddSentences, args...); err != nil {
				return fmt.Errorf("sentence counts: %w", err)
			}
			hs = hs[inBatch:]
		}
		for _, h := range hs {
			if _, err := tx.exec(ctx, qAddSentence, f, h, t[f][h]); err != nil {
				return fmt.Errorf("sentence counts: %w", err)
			}
		}
		slices.Sort(drops)
		err := batches(drops, 0, func(args []any) error {
			_, err := tx.exec(ctx, qDropUncounted, append([]any{f}, args...)...)
			return err
		})
		if err != nil {
			return fmt.Errorf("sentence counts: %w", err)
		}
	}
	return nil
}

// untallySentences takes the items first seen before cutoff, which
// retention is about to delete, off their feeds' sentence counts.
func untallySentences(ctx context.Context, tx *txn, cutoff time.Time) error {
	rows, err := tx.query(ctx, qPrunedSentence, cutoff.Unix()/secondsPerDay, cutoff.Unix())
	if err != nil {
		return err
	}
	t := sentenceTally{}
	for rows.Next() {
		var feedID int64
		var raw any
		if err := rows.Scan(&feedID, &raw); err != nil {
			rows.Close()
			return err
		}
		hs, err := decodeHashes(raw)
		if err != nil {
			rows.Close()
			return fmt.Errorf("sentences of feed %d: %w", feedID, err)
		}
		t.add(feedID, hs, -1)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return writeTally(ctx, tx, t)
}

// decodeHashes reads an item_sentences list: packed by recordSentences, or
// comma-separated decimal text for items stored before migration 0015.
func decodeHashes(raw any) ([]int64, error) {
	switch v := raw.(type) {
	case []byte:
		if len(v)%8 != 0 {
			return nil, fmt.Errorf("a list of %d bytes", len(v))
		}
		out := make([]int64, len(v)/8)
		for i := range out {
			out[i] = int64(binary.BigEndian.Uint64(v[8*i:]))
		}
		return out, nil
	case string:
		var out []int64
		for f := range strings.SplitSeq(v, ",") {
			h, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return nil, err
			}
			out = append(out, h)
		}
		return out, nil
	case int64: // a single hash stored as text reads back as a number
		return []int64{v}, nil
	}
	return nil, fmt.Errorf("a list of type %T", raw)
}

// SentenceCounts implements wirefeed.Lookup: the stored counts, plus the
// items stored earlier in this transaction.
func (l *txLookup) SentenceCounts(ctx context.Context, feed string, hashes []int64) (map[int64]int, error) {
	out := map[int64]int{}
	feedID, err := l.feedID(ctx, feed)
	if err != nil || feedID == 0 {
		return out, err
	}
	if l.tx.pg() {
		err = l.sentenceCountsPG(ctx, feedID, hashes, out)
	} else {
		err = l.sentenceCounts(ctx, feedID, hashes, out)
	}
	if err != nil {
		return nil, err
	}
	if pending := l.tx.sentences[feedID]; pending != nil {
		for _, h := range hashes {
			if n := pending[h]; n != 0 {
				out[h] += n
			}
		}
	}
	return out, nil
}

// sentenceCountsPG reads the stored counts of hashes into out, on
// PostgreSQL: one statement.
func (l *txLookup) sentenceCountsPG(ctx context.Context, feedID int64, hashes []int64, out map[int64]int) error {
	return l.scanCounts(ctx, out, qSentenceCountsPG, feedID, hashes)
}

// sentenceCounts reads the stored counts of hashes into out, on SQLite: a
// statement per inBatch hashes.
func (l *txLookup) sentenceCounts(ctx context.Context, feedID int64, hashes []int64, out map[int64]int) error {
	return batches(hashes, 0, func(args []any) error {
		return l.scanCounts(ctx, out, qSentenceCounts, append([]any{feedID}, args...)...)
	})
}

// scanCounts runs query, whose rows are (hash, count), and puts each into
// out.
func (l *txLookup) scanCounts(ctx context.Context, out map[int64]int, query string, args ...any) error {
	rows, err := l.tx.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h int64
		var n int
		if err := rows.Scan(&h, &n); err != nil {
			return err
		}
		out[h] = n
	}
	return rows.Err()
}

// feedID returns the id of the feed with this name (0 when there is none),
// remembered for the transaction.
func (l *txLookup) feedID(ctx context.Context, name string) (int64, error) {
	if id, ok := l.feeds[name]; ok {
		return id, nil
	}
	var id int64
	err := l.tx.queryRow(ctx, qFeedID, name).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil // not stored yet: not remembered, the transaction may add it
	case err != nil:
		return 0, err
	}
	l.knowFeed(name, id)
	return id, nil
}

// knowFeed remembers a feed's id for the transaction.
func (l *txLookup) knowFeed(name string, id int64) {
	if l.feeds == nil {
		l.feeds = map[string]int64{}
	}
	l.feeds[name] = id
}
