package store

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
)

// Nothing the store does per fetch, per cycle or at start may read all of
// history: a million stored items must cost what ten thousand do. This
// test runs what the daemon runs (start-up, cycles that add, update,
// reissue, merge and expire items, the merged feed's queries) and then
// asks SQLite for the plan of every statement the store prepared on the
// way, first without statistics (a new database) and then with the
// statistics ANALYZE gathers on a database of a million items. A plan may
// search tables and indexes, never scan a table that grows with history,
// except the few statements listed in mayScan, which are not run per fetch,
// per cycle or at start.

// historyTables grow with every item stored.
// (item_sentences holds each feed's last N items only, but a scan of it
// would still read every feed's.)
var historyTables = []string{"items", "clusters", "item_signatures", "item_sentences", "items_search", "change_log"}

// mayScan lists statements that read whole tables by design, and why.
var mayScan = map[string]string{
	qTotals: "the status page's and metrics' totals: counted when they are asked for and the generation has moved " +
		"since the last count (Totals), not per request, per fetch or per cycle",
	qFindItemGUID: "wirefeed explain looking an item up by GUID: a one-off command",
	qRebuildCount: "counting the items the search index's rebuild will index, for its progress: once per version, " +
		"in the background, outside the writer lock",
	qChangeTrimTo: "walks the change log from its oldest entry and stops at the first one kept: it reads what retention trims, " +
		"and the log holds a day of changes",
}

func TestNoStatementScansHistory(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"), Options{Matcher: dedupe.New(dedupe.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runDaemonWorkload(t, st)

	st.stmts.mu.Lock()
	queries := make([]string, 0, len(st.stmts.m))
	for q := range st.stmts.m {
		queries = append(queries, q)
	}
	st.stmts.mu.Unlock()
	// The merged feed's page queries vary with the request; each kind.
	cursor := &wirefeed.StoryCursor{FirstSeen: time.Now(), ID: "x"}
	for _, q := range []wirefeed.StoryQuery{{}, {Since: time.Now()}, {Terms: []string{"a", "b"}}, {Sources: []string{"A", "B"}},
		{Since: time.Now(), Terms: []string{"a"}, Sources: []string{"A"}}} {
		for _, c := range []*wirefeed.StoryCursor{nil, cursor} {
			sql, _ := storyPageSQL(false, q, c, 51)
			queries = append(queries, sql)
		}
	}
	// A feed's sentence lists beyond its last N go once it has more than
	// N items; the workload stores fewer.
	queries = append(queries, qDropSentences)
	// The search index's rebuild (rebuild.go): a new database has no
	// items to index, so its chunks do not run in the workload.
	queries = append(queries, qRebuildCount, qRebuildChunk, qRebuildCursor, qRebuildSetMeta, qRebuildAddMeta, qRebuildEnd, qRebuildMaxID,
		qRebuildState, qEmptyIndex)
	// What triggers do when the store deletes or changes rows.
	queries = append(queries, triggerStatements(t, st)...)
	slices.Sort(queries)
	queries = slices.Compact(queries)
	if len(queries) < 30 {
		t.Fatalf("only %d statements prepared: the workload no longer runs what the daemon runs", len(queries))
	}
	check := func(label string) {
		for _, q := range queries {
			plan := explain(t, st, q)
			if testing.Verbose() {
				t.Logf("%s: %.90s\n\t%q", label, compact(q), plan)
			}
			aliases := tableAliases(q)
			for _, step := range plan {
				if !strings.HasPrefix(step, "SCAN ") {
					continue
				}
				table := strings.Fields(step)[1]
				if a, ok := aliases[table]; ok {
					table = a
				}
				if i := strings.Index(step, " VIRTUAL TABLE INDEX "); i >= 0 && !strings.HasSuffix(step, ":") {
					continue // a full-text match or a rowid lookup
				}
				if isStoryPage(q) && strings.HasPrefix(step, "SCAN c USING INDEX clusters_first_seen") {
					// Stories newest first, read until the page is
					// full: LIMIT bounds the walk.
					continue
				}
				if slices.Contains(historyTables, table) && mayScan[q] == "" {
					t.Errorf("%s: %q\nscans %s: %q", label, compact(q), table, plan)
				}
			}
		}
	}
	// Open gathered statistics of this small database, which rightly
	// make scans of tiny tables look cheap; drop them to see the plans
	// SQLite makes without any.
	if _, err := st.db.ExecContext(ctx, `DELETE FROM sqlite_stat1`); err != nil {
		t.Fatal(err)
	}
	st.db.SetMaxIdleConns(0)
	st.db.SetMaxIdleConns(2)
	check("without statistics")
	fakeMillionStats(t, st)
	check("with the statistics of a million items")
}

// runDaemonWorkload does what the daemon does to its database: start-up,
// fetch cycles (new items, copies by URL and body, near-duplicates,
// updated texts, reissued GUIDs, merges), retention, checkpoints and the
// merged feed's reads.
func runDaemonWorkload(t *testing.T, st *Store) {
	t.Helper()
	ctx := context.Background()
	engine := st.matcher.(*dedupe.Engine)
	if err := engine.Rebuild(ctx, st); err != nil {
		t.Fatal(err)
	}
	feeds := []wirefeed.Feed{{Name: "A", URL: "https://a.example/feed"}, {Name: "B", URL: "https://b.example/feed"}}
	if _, err := st.SyncFeeds(ctx, feeds); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	body := func(i int) string {
		return fmt.Sprintf("Story %d. Delegates from twelve countries met in Geneva on Tuesday for a %dth round of talks on trade, security and climate. "+
			"They agreed a joint statement after nine hours of negotiation, officials said. The next round is planned for the autumn in Nairobi.", i, i)
	}
	item := func(guid, url string, i int, at time.Time) wirefeed.Item {
		return wirefeed.Item{GUID: guid, URL: url, Title: fmt.Sprintf("Talks round %d end with a statement on trade", i),
			Text: body(i), ContentHTML: "<p>" + body(i) + "</p>", Summary: body(i)[:60], Published: at, Updated: at}
	}
	cycle := func(at time.Time, outs ...*wirefeed.Outcome) {
		if _, err := st.FeedStates(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.HostPauses(ctx, at); err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			o.Attempted = at
			if _, err := st.Record(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.Prune(ctx, at.Add(-30*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
	}
	old := now.Add(-40 * 24 * time.Hour)
	cycle(old, &wirefeed.Outcome{Feed: feeds[0], Status: 200, ETag: `"1"`, Items: []wirefeed.Item{item("a0", "https://a.example/0", 0, old)}})
	t1 := now.Add(-2 * time.Hour)
	a := []wirefeed.Item{item("a1", "https://a.example/1", 1, t1), item("a2", "https://a.example/2", 2, t1), item("a3", "", 3, t1)}
	cycle(t1, &wirefeed.Outcome{Feed: feeds[0], Status: 200, ETag: `"2"`, Items: a},
		&wirefeed.Outcome{Feed: feeds[1], Err: fmt.Errorf("boom"), Status: 500, NextDue: t1.Add(time.Hour)})
	t2 := now.Add(-time.Hour)
	b := []wirefeed.Item{
		item("b1", "https://a.example/1", 1, t2), // same URL
		item("b2", "https://b.example/2", 2, t2), // same body
		item("b3", "https://b.example/3", 3, t2), // near-duplicate, edited below
		item("b4", "https://b.example/4", 4, t2),
	}
	b[2].Text += " A sentence the outlet added."
	cycle(t2, &wirefeed.Outcome{Feed: feeds[1], Status: 200, ETag: `"3"`, Items: b, PauseHost: "b.example", PauseUntil: t2.Add(time.Hour), PauseReason: "429"})
	a[0].Text = body(1) + " Updated."
	a[1].GUID = "a2-reissued"
	cycle(now, &wirefeed.Outcome{Feed: feeds[0], Status: 200, ETag: `"4"`, Items: a, MovedTo: "https://a.example/moved"},
		&wirefeed.Outcome{Feed: feeds[1], Status: 304, NotModified: true, ETag: `"3"`})
	if err := engine.Rebuild(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Prune(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	// The merged feed and the tools.
	cycle(now, &wirefeed.Outcome{Feed: feeds[0], Status: 200, ETag: `"5"`, Items: []wirefeed.Item{item("a9", "https://a.example/9", 9, now)}})
	for _, q := range []wirefeed.StoryQuery{{}, {Limit: 1}, {Terms: []string{"geneva"}}, {Sources: []string{"a"}}, {Since: now.Add(-time.Hour)}} {
		stories, err := st.Stories(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(stories) > 0 {
			q.Before = &wirefeed.StoryCursor{FirstSeen: stories[0].FirstSeen, ID: stories[0].ID}
			if _, err := st.Stories(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := st.Totals(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Generation(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"1", "https://a.example/9", "a9"} {
		if _, err := st.FindItem(ctx, ref); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ReadLookup(ctx, func(l wirefeed.Lookup) error {
		_, err := l.Items(ctx, []int64{1, 2})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// explain returns SQLite's plan for q, with every parameter NULL. The
// driver does not say how many parameters a statement has, so explain
// binds one more NULL until SQLite has all it needs.
func explain(t *testing.T, st *Store, q string) []string {
	t.Helper()
	ctx := context.Background()
	for n := 0; n <= 200; n++ {
		rows, err := st.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, make([]any, n)...)
		if err != nil && strings.Contains(err.Error(), "missing") {
			continue
		}
		if err != nil {
			t.Fatalf("explain %q: %v", compact(q), err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		return plan
	}
	t.Fatalf("explain %q: more than 200 parameters", compact(q))
	return nil
}

// fakeMillionStats gives the planner the statistics ANALYZE gathers on a
// database of a million items in 700,000 stories from 200 feeds.
func fakeMillionStats(t *testing.T, st *Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.db.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	stats := map[string]string{
		"items":                       "1000000",
		"sqlite_autoindex_items_1":    "1000000 5000 1",
		"items_url":                   "950000 1",
		"items_body_hash":             "600000 1",
		"items_cluster":               "1000000 2",
		"items_first_seen_cluster":    "1000000 3 1",
		"clusters_first_seen":         "700000 2 1",
		"sqlite_autoindex_clusters_1": "700000 1",
		"item_signatures":             "1000000 33000 1",
		// 200 feeds' last 64 items.
		"item_sentences":                    "12800",
		"sqlite_autoindex_item_sentences_1": "12800 64 1",
		"feeds":                             "200",
		"sqlite_autoindex_feeds_1":          "200 1",
	}
	if _, err := st.db.ExecContext(ctx, `DELETE FROM sqlite_stat1`); err != nil {
		t.Fatal(err)
	}
	rows, err := st.db.QueryContext(ctx, `SELECT tbl_name, name FROM sqlite_schema WHERE type IN ('table', 'index') AND sql IS NOT NULL OR name LIKE 'sqlite_autoindex%'`)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct{ tbl, idx string }
	var entries []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.tbl, &e.idx); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	rows.Close()
	for _, e := range entries {
		stat, ok := stats[e.idx]
		if !ok {
			continue
		}
		idx := any(e.idx)
		if e.idx == e.tbl {
			idx = nil
		}
		if _, err := st.db.ExecContext(ctx, `INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)`, e.tbl, idx, stat); err != nil {
			t.Fatal(err)
		}
	}
	// New connections read the statistics; close the pooled ones.
	st.db.SetMaxIdleConns(0)
	st.db.SetMaxIdleConns(2)
}

// tableAliases maps the aliases a query gives its tables to the tables.
func tableAliases(q string) map[string]string {
	out := map[string]string{}
	for _, m := range aliasRE.FindAllStringSubmatch(q, -1) {
		if m[2] != "" && !sqlWords[strings.ToUpper(m[2])] {
			out[m[2]] = m[1]
		}
	}
	return out
}

var (
	aliasRE  = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?`)
	sqlWords = map[string]bool{"WHERE": true, "JOIN": true, "ON": true, "ORDER": true, "GROUP": true, "LIMIT": true, "LEFT": true,
		"INNER": true, "USING": true, "INDEXED": true, "NOT": true, "WITH": true, "AS": true}
)

// isStoryPage reports whether q is a page of the merged feed (see
// storyPageSQL).
func isStoryPage(q string) bool {
	return strings.HasPrefix(q, "SELECT c.id, c.first_seen, c.published, c.updated")
}

func compact(q string) string { return strings.Join(strings.Fields(q), " ") }

// triggerStatements returns the statements of the database's triggers,
// with the trigger's row (old.x, new.x) as parameters.
func triggerStatements(t *testing.T, st *Store) []string {
	t.Helper()
	rows, err := st.db.Query(`SELECT sql FROM sqlite_schema WHERE type = 'trigger'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			t.Fatal(err)
		}
		begin, end := strings.Index(strings.ToUpper(def), " BEGIN"), strings.LastIndex(strings.ToUpper(def), "END")
		if begin < 0 || end < begin {
			t.Fatalf("trigger without a body: %q", def)
		}
		for stmt := range strings.SplitSeq(def[begin+len(" BEGIN"):end], ";") {
			if stmt = strings.TrimSpace(rowRefRE.ReplaceAllString(stmt, "?")); stmt != "" {
				out = append(out, stmt)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(out, func(q string) bool { return strings.Contains(q, "item_sentences") }) {
		t.Fatalf("no trigger deletes sentence lists: %q", out)
	}
	return out
}

var rowRefRE = regexp.MustCompile(`(?i)\b(?:old|new)\.\w+`)
