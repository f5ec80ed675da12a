package store

import (
	"context"
	"strings"
	"testing"
)

// The dedupe lookups run once per new item inside the writer's
// transaction; a table scan there makes every cycle slower as the
// database grows. Their plans must use the partial indexes.
func TestLookupsUseIndexes(t *testing.T) {
	s := openStoriesStore(t)
	tx, err := s.db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	tests := []struct {
		name, query, index string
		arg                any
	}{
		{"ClusterByURL", clusterByURLQuery, "items_url", "https://e.example/a"},
		{"ClusterByBodyHash", clusterByBodyHashQuery, "items_body_hash", int64(42)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := tx.Query("EXPLAIN QUERY PLAN "+tt.query, tt.arg)
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
			if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX "+tt.index) {
				t.Errorf("plan %q, want a search using %s", p, tt.index)
			}
		})
	}
}
