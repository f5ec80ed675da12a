package feedout

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

// slowSearches is a real store whose searches take as long as the test
// says: they block until released (or their context ends).
type slowSearches struct {
	*countingStore
	started chan struct{}
	release chan struct{}
}

func (s *slowSearches) Stories(ctx context.Context, q wirefeed.StoryQuery) ([]wirefeed.Story, error) {
	if len(q.Terms) > 0 {
		s.started <- struct{}{}
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.countingStore.Stories(ctx, q)
}

// TestSearchesCannotStarveTheFeed: while searches hold every search slot,
// further searches are turned away at once (503, Retry-After), and the
// merged feed is answered, cached or not; a search that runs out of its
// time budget is answered 503 too.
func TestSearchesCannotStarveTheFeed(t *testing.T) {
	defer func(d time.Duration) { searchBudget = d }(searchBudget)
	searchBudget = time.Hour
	base := openTestStore(t)
	add(t, base, fixtureItems...)
	src := &slowSearches{countingStore: base, started: make(chan struct{}, 100), release: make(chan struct{})}
	h := NewHandler(src, HandlerOptions{Feeds: testFeeds})
	if w := get(t, h, "GET", "/feed.atom"); w.Code != http.StatusOK {
		t.Fatalf("/feed.atom: %d", w.Code)
	}

	var wg sync.WaitGroup
	codes := make(chan int, maxSearches)
	for i := range maxSearches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- get(t, h, "GET", fmt.Sprintf("/feed.atom?q=slow%d", i)).Code
		}()
	}
	for range maxSearches {
		<-src.started
	}
	// Every search slot is held.
	for i := range 20 {
		w := get(t, h, "GET", fmt.Sprintf("/feed.json?q=more%d", i))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("search %d while the slots are held: %d (Retry-After %q), want 503 at once", i, w.Code, w.Header().Get("Retry-After"))
		}
	}
	if w := get(t, h, "GET", "/feed.atom"); w.Code != http.StatusOK {
		t.Errorf("cached /feed.atom while searches run: %d", w.Code)
	}
	if w := get(t, h, "GET", "/feed.json?limit=3"); w.Code != http.StatusOK {
		t.Errorf("uncached /feed.json while searches run: %d", w.Code)
	}
	close(src.release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("a search that was let through: %d", c)
		}
	}

	searchBudget = 50 * time.Millisecond
	src.release = make(chan struct{}) // never released
	if w := get(t, h, "GET", "/feed.atom?q=forever"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("a search over its budget: %d, want 503", w.Code)
	}
}
