package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/wirefeed/wirefeed"
)

// Item identity within a feed. An item is known by its key (the GUID as
// the source gave it, or GUID and link when GUIDs collide in a document;
// see wirefeed.Item.Key). Some feeds issue new GUIDs for the same articles
// on every fetch; read by GUID alone, each fetch would add every article
// again as a new member of its own story. So an item whose key is new is
// first compared with the items the feed already has: one with the same
// canonical link, or the same body (the deduplicator's body hash), is the
// same item with a reissued GUID, and is updated and re-keyed.
//
// Links and bodies are only evidence where they are the item's own: a link
// equal to the feed's home page, or carried by several entries of the same
// document, says nothing; and a stored item whose key is still in the
// document is another live item, never the one reissued.
//
// This is deliberately local to Record (issues 11 and 13 rework the store):
// the schema change is one column, items.source_guid (migration 0008).

// docIdentity is what one document says about the identity of its items.
type docIdentity struct {
	keys     map[string]bool // every entry's key
	urlCount map[string]int  // entries per canonical link
	home     string          // the feed's own link
}

func newDocIdentity(o *wirefeed.Outcome) *docIdentity {
	d := &docIdentity{keys: make(map[string]bool, len(o.Items)), urlCount: map[string]int{}, home: o.Meta.Link}
	for i := range o.Items {
		d.keys[o.Items[i].IdentityKey()] = true
		if u := o.Items[i].URL; u != "" {
			d.urlCount[u]++
		}
	}
	return d
}

// maxReissueCandidates bounds the stored items looked at per new item.
const maxReissueCandidates = 8

// byURL returns the row id of the stored item of feed feedID that it
// reissues under a new GUID, judged by its canonical link, or 0.
func (d *docIdentity) byURL(ctx context.Context, tx *txn, feedID int64, it *wirefeed.Item) (int64, error) {
	if it.URL == "" || it.URL == d.home || d.urlCount[it.URL] != 1 {
		return 0, nil // not the item's own link
	}
	return unlistedItem(ctx, tx, d, `SELECT id, guid FROM items WHERE url = ? AND url != '' AND feed_id = ? ORDER BY id DESC LIMIT ?`, it.URL, feedID)
}

// byBody returns the row id of the stored item of feed feedID with body
// hash h (Decision.BodyHash) that the document no longer lists, or 0. A
// zero hash (no body long enough to be an identity) matches nothing.
func (d *docIdentity) byBody(ctx context.Context, tx *txn, feedID int64, h int64) (int64, error) {
	if h == 0 {
		return 0, nil
	}
	return unlistedItem(ctx, tx, d, `SELECT id, guid FROM items WHERE body_hash = ? AND body_hash != 0 AND feed_id = ? ORDER BY id DESC LIMIT ?`, h, feedID)
}

// unlistedItem runs query (which selects id and key of a feed's items) and
// returns the first item whose key the document does not list, or 0.
func unlistedItem(ctx context.Context, tx *txn, d *docIdentity, query string, match any, feedID int64) (int64, error) {
	rows, err := tx.query(ctx, query, match, feedID, maxReissueCandidates)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return 0, err
		}
		if !d.keys[key] {
			return id, nil
		}
	}
	return 0, rows.Err()
}

// rekeyItem gives a stored item the key and GUID of the entry that
// reissues it.
func rekeyItem(ctx context.Context, tx *txn, id int64, it *wirefeed.Item) error {
	_, err := tx.exec(ctx, `UPDATE items SET guid = ?, source_guid = ? WHERE id = ?`, it.IdentityKey(), sourceGUID(it), id)
	if err != nil {
		return fmt.Errorf("re-keying item %q: %w", it.GUID, err)
	}
	return nil
}

// sourceGUID is what items.source_guid holds for it: its GUID when its key
// is something else, else "".
func sourceGUID(it *wirefeed.Item) string {
	if it.IdentityKey() != it.GUID {
		return it.GUID
	}
	return ""
}

// warningText joins a fetch's warnings for feeds.last_warning, bounded.
func warningText(ws []string) string {
	s := strings.Join(ws, "\n")
	if len(s) > maxErrorLen {
		s = strings.ToValidUTF8(s[:maxErrorLen], "") + "…"
	}
	return s
}
