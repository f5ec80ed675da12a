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

// Boilerplate statistics (migrations 0015 and 0016). For each feed, the
// sentence hashes (Decision.Sentences) of its last N items that recorded
// any, N = wirefeed.SentenceItems(matcher): item_sentences, keyed by
// (feed_id, item_id), so that a feed's lists are one short range however
// long history is. The counts SentenceCounts answers are derived from them.
// A transaction reads a feed's lists once, the first time it needs them,
// keeps the window in memory (txn.sentences: the lists and their counts,
// updated as it stores items), and writes the change once before it
// commits: the lists of its new items, and one range delete of those that
// fell out of the window. Deleting an item deletes its list (the trigger
// item_sentences_delete), so retention and a feed's removal take it off
// the counts by themselves.

const (
	qFeedID        = `SELECT id FROM feeds WHERE name = ?`
	qFeedSentences = `SELECT item_id, hashes FROM item_sentences WHERE feed_id = ? ORDER BY item_id`
	qItemSentences = `INSERT INTO item_sentences (feed_id, item_id, hashes) VALUES (?, ?, ?)`
	qDropSentences = `DELETE FROM item_sentences WHERE feed_id = ? AND item_id <= ?`
)

// sentenceList is one item's sentence hashes.
type sentenceList struct {
	item   int64
	hashes []int64
}

// feedSentences is a feed's sentence window inside a transaction.
type feedSentences struct {
	// window holds the feed's last lists, oldest first: the first stored
	// of them are rows of item_sentences, the others were added by the
	// transaction.
	window []sentenceList
	stored int
	// dropTo is the highest item id whose stored list fell out of the
	// window (0: none); the rows up to it go at flush.
	dropTo int64
	counts map[int64]int // hash: lists in window that carry it
}

// push adds a list at the newest end of the window and lets the oldest
// lists go beyond n.
func (f *feedSentences) push(l sentenceList, n int) {
	f.window = append(f.window, l)
	for _, h := range l.hashes {
		f.counts[h]++
	}
	for len(f.window) > n {
		old := f.window[0]
		f.window = f.window[1:]
		for _, h := range old.hashes {
			if f.counts[h]--; f.counts[h] <= 0 {
				delete(f.counts, h)
			}
		}
		if f.stored > 0 {
			f.stored--
			f.dropTo = old.item
		}
	}
}

// feedSentences returns the transaction's window of a feed, read from the
// store the first time.
func (tx *txn) feedSentences(ctx context.Context, feedID int64) (*feedSentences, error) {
	if f := tx.sentences[feedID]; f != nil {
		return f, nil
	}
	rows, err := tx.query(ctx, qFeedSentences, feedID)
	if err != nil {
		return nil, fmt.Errorf("sentences of feed %d: %w", feedID, err)
	}
	defer rows.Close()
	f := &feedSentences{counts: map[int64]int{}}
	n := tx.sentenceItems()
	for rows.Next() {
		var l sentenceList
		var raw any
		if err := rows.Scan(&l.item, &raw); err != nil {
			return nil, fmt.Errorf("sentences of feed %d: %w", feedID, err)
		}
		if l.hashes, err = decodeHashes(raw); err != nil {
			return nil, fmt.Errorf("sentences of feed %d, item %d: %w", feedID, l.item, err)
		}
		f.stored++
		f.push(l, n) // more than n stored only when N was made smaller
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sentences of feed %d: %w", feedID, err)
	}
	if tx.sentences == nil {
		tx.sentences = map[int64]*feedSentences{}
	}
	tx.sentences[feedID] = f
	return f, nil
}

// sentenceItems is N: how many of a feed's lists the window keeps.
func (tx *txn) sentenceItems() int {
	if tx.window > 0 {
		return tx.window
	}
	return wirefeed.DefaultSentenceItems
}

// recordSentences keeps what a new item's decision says about its feed's
// sentences: its hashes join the feed's window (written by
// flushSentences); sentences it made boilerplate are learned for good.
func recordSentences(ctx context.Context, tx *txn, feedID, itemID int64, dec wirefeed.Decision, seen time.Time) error {
	if len(dec.Sentences) > 0 {
		f, err := tx.feedSentences(ctx, feedID)
		if err != nil {
			return err
		}
		f.push(sentenceList{item: itemID, hashes: slices.Clone(dec.Sentences)}, tx.sentenceItems())
	}
	for _, h := range dec.Learned {
		if _, err := tx.exec(ctx, `INSERT INTO dedupe_boilerplate (feed_id, hash, learned) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			feedID, h, seen.Unix()); err != nil {
			return err
		}
	}
	return nil
}

// flushSentences writes the transaction's windows: per feed, one range
// delete of the stored lists that fell out, and the lists of its new items
// that are still in.
func flushSentences(ctx context.Context, tx *txn) error {
	feeds := make([]int64, 0, len(tx.sentences))
	for id := range tx.sentences {
		feeds = append(feeds, id)
	}
	slices.Sort(feeds)
	for _, id := range feeds {
		f := tx.sentences[id]
		if f.dropTo > 0 {
			if _, err := tx.exec(ctx, qDropSentences, id, f.dropTo); err != nil {
				return fmt.Errorf("sentences of feed %d: %w", id, err)
			}
		}
		for _, l := range f.window[f.stored:] {
			blob := make([]byte, 0, 8*len(l.hashes))
			for _, h := range l.hashes {
				blob = binary.BigEndian.AppendUint64(blob, uint64(h))
			}
			if _, err := tx.exec(ctx, qItemSentences, id, l.item, blob); err != nil {
				return fmt.Errorf("sentences of feed %d, item %d: %w", id, l.item, err)
			}
		}
	}
	tx.sentences = nil
	return nil
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

// SentenceCounts implements wirefeed.Lookup: the counts over the feed's
// window, which includes the items stored earlier in this transaction.
func (l *txLookup) SentenceCounts(ctx context.Context, feed string, hashes []int64) (map[int64]int, error) {
	out := map[int64]int{}
	feedID, err := l.feedID(ctx, feed)
	if err != nil || feedID == 0 {
		return out, err
	}
	f, err := l.tx.feedSentences(ctx, feedID)
	if err != nil {
		return nil, err
	}
	for _, h := range hashes {
		if n := f.counts[h]; n > 0 {
			out[h] = n
		}
	}
	return out, nil
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
