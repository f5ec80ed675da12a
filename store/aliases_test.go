package store

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// TestUpgradeTo0013DropsAliases opens a database as migration 0011 left
// it, with a story that another was merged into (its alias row), and
// checks that the upgrade drops the aliases and keeps the stories, which
// merge and expire as before.
func TestUpgradeTo0013DropsAliases(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	quiet := slog.New(slog.DiscardHandler)
	old, err := open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}, Logger: quiet}, 11)
	if err != nil {
		t.Fatal(err)
	}
	// Record writes the search index of migration 0017; give the old
	// database that table (0017 replaces it again at the upgrade).
	if _, err := old.db.ExecContext(ctx, `DROP TABLE items_search;
		CREATE VIRTUAL TABLE items_search USING fts5(words, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii')`); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	f := wirefeed.Feed{Name: "A", URL: "https://a.example/feed"}
	if _, err := old.Record(ctx, &wirefeed.Outcome{Feed: f, Attempted: at, Status: 200, Items: []wirefeed.Item{
		{GUID: "a1", URL: "https://a.example/1", Title: "One", Published: at, Updated: at},
		{GUID: "a2", URL: "https://a.example/2", Title: "Two", Published: at, Updated: at},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.ExecContext(ctx, `INSERT INTO cluster_aliases (alias, target, merged) VALUES ('gone', (SELECT min(id) FROM clusters), ?)`, at.Unix()); err != nil {
		t.Fatal(err)
	}
	old.Close()

	st, err := Open(ctx, path, Options{Matcher: wirefeedtest.URLMatcher{}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var tables, version int
	if err := st.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name LIKE 'cluster_aliases%'`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("%d cluster_aliases tables and indexes after the upgrade (%v), want none", tables, err)
	}
	if err := st.db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&version); err != nil || version < 13 {
		t.Errorf("schema version %d (%v), want 13 or later", version, err)
	}
	stories, err := st.Stories(ctx, wirefeed.StoryQuery{})
	if err != nil || len(stories) != 2 {
		t.Fatalf("Stories after the upgrade = %d, %v; want 2", len(stories), err)
	}
	if n, err := st.Prune(ctx, time.Now()); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want both items deleted", n, err)
	}
	if stories, err := st.Stories(ctx, wirefeed.StoryQuery{}); err != nil || len(stories) != 0 {
		t.Errorf("Stories after retention = %d, %v; want none", len(stories), err)
	}
}
