package store

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

func TestBodyRoundTrip(t *testing.T) {
	long := strings.Repeat("Delegates met for a third day of talks on trade. ", 400)
	tests := []struct{ summary, text, html string }{
		{"", "", ""},
		{"A summary", "", ""},
		{"", "Text only", ""},
		{"Talks resume", "Talks resume in Geneva.\n\nA second paragraph.", "<p>Talks resume in <a href=\"https://x.example/g\">Geneva</a>.</p><p>A second paragraph.</p>"},
		{long[:400], long, "<p>" + long + "</p>"},
		{"ünïcödé 中文 العربية", "ünïcödé 中文 العربية", "<p>ünïcödé 中文 العربية</p>"},
	}
	for _, tt := range tests {
		b := encodeBody(tt.summary, tt.text, tt.html)
		if tt.summary == "" && tt.text == "" && tt.html == "" {
			if b != nil {
				t.Errorf("encodeBody of nothing = %d bytes, want nil", len(b))
			}
			continue
		}
		s, x, h, err := decodeBody(b)
		if err != nil || s != tt.summary || x != tt.text || h != tt.html {
			t.Errorf("decodeBody(encodeBody(%.20q, %.20q, %.20q)) = %.20q, %.20q, %.20q, %v", tt.summary, tt.text, tt.html, s, x, h, err)
		}
		if raw := len(tt.summary) + len(tt.text) + len(tt.html); raw > 5000 && len(b) > raw/4 {
			t.Errorf("%d bytes of repetitive text stored in %d", raw, len(b))
		}
	}
	// A fourth field, the deduplicator's compared form, when there is one.
	for _, c := range []string{"", "\x01key\nA sentence.\nAnother one."} {
		f, err := decodeBodyFields(encodeBodyCompared("S", "T", "<p>T</p>", c))
		if err != nil || f != [4]string{"<p>T</p>", "T", "S", c} {
			t.Errorf("decodeBodyFields(encodeBodyCompared(..., %q)) = %q, %v", c, f, err)
		}
	}
	for _, bad := range [][]byte{{9, 1, 2}, {bodyDeflate, 0xff, 0xff}, {bodyDeflate}} {
		if _, _, _, err := decodeBody(bad); err == nil {
			t.Errorf("decodeBody(%v) succeeded, want an error", bad)
		}
	}
}

// TestUpgradeTo0010KeepsItems opens a database as migration 0008 left it,
// with an item stored the old way (texts in their columns, signature in the
// row), and checks that after the upgrade the item reads the same, its
// signature is found at start, the feed counts it, and retention removes
// it with its signature.
func TestUpgradeTo0010KeepsItems(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(ctx, path, Options{Logger: slog.New(slog.DiscardHandler)}, 8)
	if err != nil {
		t.Fatal(err)
	}
	seen := time.Now().Add(-time.Hour).Unix()
	for _, q := range []string{
		`INSERT INTO feeds (id, name, config_url, url) VALUES (1, 'Old Feed', 'https://old.example/feed', 'https://old.example/feed')`,
		`INSERT INTO clusters (id, first_seen, published, updated, rep_item_id) VALUES ('c1', ?1, ?1, ?1, 7)`,
		`INSERT INTO items (id, feed_id, guid, url, title, summary, text, content_html, published, updated, first_seen, body_hash, signature, cluster_id, near_words)
		 VALUES (7, 1, 'g7', 'https://old.example/7', 'Old title', 'Old summary', 'Old text.', '<p>Old text.</p>', ?1, ?1, ?1, 42, x'0102', 'c1', 3)`,
	} {
		if _, err := old.db.ExecContext(ctx, q, seen); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	st, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	its, err := storedItems(ctx, st, []int64{7})
	if err != nil || len(its) != 1 || its[0].Text != "Old text." || its[0].Summary != "Old summary" {
		t.Fatalf("storedItems after the upgrade = %+v, %v", its, err)
	}
	stories, err := st.Stories(ctx, wirefeed.StoryQuery{})
	if err != nil || len(stories) != 1 || stories[0].Representative.HTML != "<p>Old text.</p>" {
		t.Fatalf("Stories after the upgrade = %+v, %v", stories, err)
	}
	var sigs [][]byte
	_, err = st.ScanSignatures(ctx, time.Now().Add(-48*time.Hour), func(id int64, _ time.Time, sig []byte) error {
		sigs = append(sigs, sig)
		return nil
	})
	if err != nil || len(sigs) != 1 || string(sigs[0]) != "\x01\x02" {
		t.Fatalf("ScanSignatures after the upgrade = %q, %v", sigs, err)
	}
	states, err := st.FeedStates(ctx)
	if err != nil || states["Old Feed"].Items != 1 {
		t.Fatalf("FeedStates after the upgrade: %d items, %v; want 1", states["Old Feed"].Items, err)
	}
	if n, err := st.Prune(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want the old item deleted", n, err)
	}
	var left int
	if err := st.db.QueryRow(`SELECT (SELECT count(*) FROM item_signatures) + (SELECT item_count FROM feeds)`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("after retention %d signature rows and items counted, %v; want none", left, err)
	}
}

// TestUpgradeTo0015CountsSentences opens a database as migration 0014 left
// it, with sentence rows per item, and checks that the counts and each
// item's list are carried over, and that retention takes an upgraded item
// off the counts.
func TestUpgradeTo0015CountsSentences(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(ctx, path, Options{Logger: slog.New(slog.DiscardHandler)}, 14)
	if err != nil {
		t.Fatal(err)
	}
	seen := time.Now().Add(-48 * time.Hour).Unix()
	for _, q := range []string{
		`INSERT INTO feeds (id, name, config_url, url) VALUES (1, 'Old Feed', 'https://old.example/feed', 'https://old.example/feed')`,
		`INSERT INTO clusters (id, first_seen, published, updated, rep_item_id) VALUES ('c1', ?1, ?1, ?1, 7)`,
		`INSERT INTO items (id, feed_id, guid, title, body, published, updated, first_seen, cluster_id) VALUES (7, 1, 'g7', 'Seven', NULL, ?1, ?1, ?1, 'c1')`,
		`INSERT INTO items (id, feed_id, guid, title, body, published, updated, first_seen, cluster_id) VALUES (8, 1, 'g8', 'Eight', NULL, ?1, ?1, ?1 + 86400, 'c1')`,
		`INSERT INTO items (id, feed_id, guid, title, body, published, updated, first_seen, cluster_id) VALUES (9, 1, 'g9', 'Nine', NULL, ?1, ?1, ?1, 'c1')`,
		`INSERT INTO dedupe_sentences (feed_id, hash, item_id) VALUES (1, 11, 7), (1, -22, 7), (1, 11, 8), (1, 33, 8), (1, 44, 9)`,
	} {
		if _, err := old.db.ExecContext(ctx, q, seen); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	st, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts := func() map[int64]int {
		t.Helper()
		var got map[int64]int
		err := st.ReadLookup(ctx, func(l wirefeed.Lookup) error {
			var err error
			got, err = l.SentenceCounts(ctx, "Old Feed", []int64{11, -22, 33, 44})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := counts(); got[11] != 2 || got[-22] != 1 || got[33] != 1 || got[44] != 1 || len(got) != 4 {
		t.Errorf("counts after the upgrade = %v, want 11:2 -22:1 33:1 44:1", got)
	}
	// Items 7 and 9 (one sentence, kept as a number) go; 8 stays.
	if _, err := st.Prune(ctx, time.Unix(seen+3600, 0)); err != nil {
		t.Fatal(err)
	}
	if got := counts(); got[11] != 1 || got[33] != 1 || len(got) != 2 {
		t.Errorf("counts after retention = %v, want 11:1 33:1", got)
	}
}
