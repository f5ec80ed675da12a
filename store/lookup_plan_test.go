package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestLookupQueriesUseIndexes checks the query plan of every query the
// deduplicator runs per new item: each must search an index, never scan
// the items table, or recording slows down with every item stored.
func TestLookupQueriesUseIndexes(t *testing.T) {
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cases := []struct {
		name, query string
		args        []any
	}{
		{"StoryByURL", qStoryByURL, []any{"https://a.example/x"}},
		{"StoryByBodyHash", qStoryByBodyHash, []any{42}},
		{"ItemID", qItemID, []any{"A", "guid"}},
		{"StoryRoot", qStoryRoot, []any{"abc"}},
		{"Items", qStoredItems, make([]any, inBatch)},
		{"SentenceCounts", qFeedSentences, []any{1}},
		{"DropSentences", qDropSentences, []any{1, 99}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := st.db.Query("EXPLAIN QUERY PLAN "+tc.query, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN") && !strings.Contains(step, "USING") {
					t.Errorf("plan scans a table: %q (whole plan %q)", step, plan)
				}
			}
		})
	}
}

func TestInListHasInBatchParameters(t *testing.T) {
	if got := strings.Count(inList, "?"); got != inBatch {
		t.Fatalf("inList has %d parameters, want inBatch = %d", got, inBatch)
	}
}
