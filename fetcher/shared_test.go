package fetcher

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/store"
)

// sharedCorpus returns the directory of ../shared/corpus (or
// $WIREFEED_SHARED/corpus), skipping the test when it is absent, as it is
// on a user's fresh clone. The corpus is read in place, never copied.
func sharedCorpus(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("WIREFEED_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared")
	}
	corpus := filepath.Join(dir, "corpus")
	if st, err := os.Stat(corpus); err != nil || !st.IsDir() {
		t.Skipf("corpus not found at %s (set WIREFEED_SHARED to the shared directory to run this test)", corpus)
	}
	return corpus
}

// openStore opens a real store in a temporary directory, with the dedupe
// engine wired as cmd/wirefeed wires it, for the tests about what the
// store keeps of the fetcher's items (identity_test.go) and the
// benchmarks. The Runner's own tests use a wirefeedtest.Store.
func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "wirefeed.db"), store.Options{
		Matcher: dedupe.New(dedupe.Options{Logger: quietLogger}),
		Logger:  quietLogger,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a manual clock for Runner tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// anyHostToLoopback resolves every name to 127.0.0.1, so one test server
// can stand for many hosts.
func anyHostToLoopback(context.Context, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// rssDoc returns an RSS document with n items whose GUIDs start with
// prefix; each item has a body of its own so none is deduplicated.
func rssDoc(title, prefix string, n int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>%s</title><link>https://%s.example.com/</link>`, title, prefix)
	for i := range n {
		fmt.Fprintf(&b, `<item><title>%s story %d</title><link>https://%s.example.com/story/%d</link><guid>%s-%d</guid>`+
			`<pubDate>Wed, 14 Jun 2023 10:%02d:00 GMT</pubDate><description>Report %d from %s: delegates met on the %dth day of talks and agreed a statement on trade, security and climate.</description></item>`,
			prefix, i, prefix, i, prefix, i, i%60, i, prefix, i)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

// feedStates reads the store's feed states or fails the test.
func feedStates(t testing.TB, st Store) map[string]wirefeed.FeedState {
	t.Helper()
	m, err := st.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// resultOf returns the result for a feed name.
func resultOf(t testing.TB, rep Report, name string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.Feed == name {
			return r
		}
	}
	t.Fatalf("no result for feed %q", name)
	return Result{}
}
