package feedout

import (
	"context"
	"strings"
	"testing"

	"github.com/wirefeed/wirefeed"
)

// rebuildingStore is a store whose search index is being rebuilt.
type rebuildingStore struct {
	testStore
	done, total int
}

func (r rebuildingStore) Totals(ctx context.Context) (wirefeed.Totals, error) {
	t, err := r.testStore.Totals(ctx)
	t.SearchIndexed, t.SearchToIndex = r.done, r.total
	return t, err
}

// TestStatusShowsSearchRebuild: while the search index is rebuilt the
// status page says how far it is, and says nothing about it otherwise.
func TestStatusShowsSearchRebuild(t *testing.T) {
	for _, tt := range []struct {
		done, total int
		want        string
	}{
		{1000, 5000, `<dd id="search-rebuild">rebuilding: 1000 of 5000 items`},
		{0, 0, ""},
	} {
		base := openTestStore(t)
		base.testStore = rebuildingStore{base.testStore, tt.done, tt.total}
		_, h := newHandlerOn(t, base, HandlerOptions{})
		w := get(t, h, "GET", "/")
		page := w.Body.String()
		if w.Code != 200 {
			t.Fatalf("GET / = %d", w.Code)
		}
		if tt.want != "" && !strings.Contains(page, tt.want) {
			t.Errorf("status page lacks %q", tt.want)
		}
		if tt.want == "" && strings.Contains(page, "search-rebuild") {
			t.Error("status page shows a rebuild when none runs")
		}
	}
}
