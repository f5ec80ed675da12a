package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/store"
	"github.com/wirefeed/wirefeed/store/storetest"
)

// windowed is a Matcher that counts sentences over each feed's last n
// items (wirefeed.SentenceWindow) and gives each new item the sentences
// sentencesOf says. Before deciding, it asks the store for the counts of
// the item's sentences and of every hash the test uses, and checks them
// against the model: the counts over the feed's last n stored items that
// recorded sentences, those recorded earlier in the transaction included.
type windowed struct {
	t     *testing.T
	n     int
	model *sentenceModel
}

func (m *windowed) SentenceItems() int                   { return m.n }
func (m *windowed) Representative([]wirefeed.Member) int { return 0 }
func (m *windowed) Begin(_ context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	return &windowedTx{m: m, l: l}, nil
}

type windowedTx struct {
	m *windowed
	l wirefeed.Lookup
}

func (tx *windowedTx) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	got, err := tx.l.SentenceCounts(ctx, c.Feed, allHashes)
	if err != nil {
		return wirefeed.Decision{}, err
	}
	if want := tx.m.model.counts(c.Feed, tx.m.n); !mapsEqual(got, want) {
		tx.m.t.Errorf("before %s/%s: SentenceCounts = %v, want %v", c.Feed, c.Item.GUID, got, want)
	}
	hs := sentencesOf(c.Item.GUID)
	tx.m.model.add(c.Feed, c.Item.GUID, c.Seen, hs)
	return wirefeed.Decision{Rule: wirefeed.RuleNew, Words: 10, Sentences: hs}, nil
}
func (tx *windowedTx) Resign(context.Context, string, *wirefeed.Item) (wirefeed.Decision, error) {
	return wirefeed.Decision{Rule: wirefeed.RuleUpdate}, nil
}
func (tx *windowedTx) Prepare(context.Context) error { return nil }
func (tx *windowedTx) Commit()                       {}
func (tx *windowedTx) Abort()                        {}

// sentencesOf gives item guid "F-i" its sentences: some shared with other
// items of the feed, one of its own; every fifth item records none (a
// title-only item).
func sentencesOf(guid string) []int64 {
	var feed string
	var i int64
	fmt.Sscanf(guid, "%1s-%d", &feed, &i)
	if i%5 == 4 {
		return nil
	}
	return []int64{1 + i%3, 10 + i%4, 100 + i%7, 1000 + i}
}

var allHashes = func() []int64 {
	var hs []int64
	for i := range int64(60) {
		hs = append(hs, 1+i%3, 10+i%4, 100+i%7, 1000+i)
	}
	slices.Sort(hs)
	return slices.Compact(hs)
}()

// sentenceModel is what the store should count: per feed, its stored items
// that recorded sentences, oldest first.
type sentenceModel struct {
	feeds map[string][]modelItem
}

type modelItem struct {
	guid   string
	seen   time.Time
	hashes []int64
}

func (m *sentenceModel) add(feed, guid string, seen time.Time, hs []int64) {
	if len(hs) > 0 {
		m.feeds[feed] = append(m.feeds[feed], modelItem{guid, seen, hs})
	}
}

// last returns the feed's last n items that recorded sentences.
func (m *sentenceModel) last(feed string, n int) []modelItem {
	its := m.feeds[feed]
	return its[max(0, len(its)-n):]
}

func (m *sentenceModel) counts(feed string, n int) map[int64]int {
	out := map[int64]int{}
	for _, it := range m.last(feed, n) {
		for _, h := range it.hashes {
			out[h]++
		}
	}
	return out
}

// TestSentenceCountsCoverTheLastItems: a feed's sentence counts are those
// of its last N items that recorded sentences, inside a transaction (items
// stored earlier in it included, several feeds per transaction) and after
// it; item_sentences holds exactly those items' lists, so the counts are
// the sum over its rows, whatever happened since: new items pushing old
// ones out, updates, retention, a feed's removal, N made smaller. On every
// backend (PostgreSQL when configured, see storetest.Postgres).
func TestSentenceCountsCoverTheLastItems(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testSentenceWindow(t, b.DSN(t)) })
	}
}

func testSentenceWindow(t *testing.T, path string) {
	ctx := context.Background()
	model := &sentenceModel{feeds: map[string][]modelItem{}}
	m := &windowed{t: t, n: 5, model: model}
	st, err := store.Open(ctx, path, store.Options{Matcher: m, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	feeds := []wirefeed.Feed{{Name: "A", URL: "https://a.example/feed"}, {Name: "B", URL: "https://b.example/feed"},
		{Name: "C", URL: "https://c.example/feed"}}
	next := map[string]int{}
	// round records, for each feed, k new items and an update of its first
	// item, all feeds in one transaction.
	round := func(at time.Time, k ...int) {
		t.Helper()
		var outs []*wirefeed.Outcome
		for f, n := range k {
			feed := feeds[f]
			o := &wirefeed.Outcome{Feed: feed, Attempted: at, Status: 200}
			if next[feed.Name] > 0 {
				first := item(feed.Name+"-0", "", "First", "Updated at "+at.String(), at)
				o.Items = append(o.Items, first)
			}
			for range n {
				guid := fmt.Sprintf("%s-%d", feed.Name, next[feed.Name])
				next[feed.Name]++
				o.Items = append(o.Items, item(guid, "", "Item "+guid, "Text of "+guid, at))
			}
			outs = append(outs, o)
		}
		_, errs := st.RecordBatch(ctx, outs)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(label string, n int, rowsOf ...string) {
		t.Helper()
		err := st.ReadLookup(ctx, func(l wirefeed.Lookup) error {
			for _, f := range feeds {
				got, err := l.SentenceCounts(ctx, f.Name, allHashes)
				if err != nil {
					return err
				}
				if want := model.counts(f.Name, n); !mapsEqual(got, want) {
					t.Errorf("%s: feed %s: SentenceCounts = %v, want %v", label, f.Name, got, want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rowsOf {
			var got, want []string
			rows, err := store.DB(st).Query(`SELECT i.guid FROM item_sentences s JOIN items i ON i.id = s.item_id
				JOIN feeds f ON f.id = s.feed_id WHERE f.name = '` + f + `' ORDER BY s.item_id`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var g string
				if err := rows.Scan(&g); err != nil {
					t.Fatal(err)
				}
				got = append(got, g)
			}
			rows.Close()
			for _, it := range model.last(f, n) {
				want = append(want, it.guid)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: feed %s: lists of %v, want its last %d items that recorded sentences %v", label, f, got, n, want)
			}
		}
		var orphans int
		if err := store.DB(st).QueryRow(`SELECT count(*) FROM item_sentences s LEFT JOIN items i ON i.id = s.item_id
			WHERE i.id IS NULL OR i.feed_id != s.feed_id`).Scan(&orphans); err != nil {
			t.Fatal(err)
		}
		if orphans != 0 {
			t.Errorf("%s: %d lists of items that are not stored (or not their feed's)", label, orphans)
		}
	}

	day := 24 * time.Hour
	round(t0, 3, 1, 0)
	check("first round", 5, "A", "B", "C")
	round(t0.Add(day), 4, 2, 1) // A's window fills and turns over within the transaction
	check("second round", 5, "A", "B", "C")
	round(t0.Add(2*day), 9, 0, 2) // more new items than the window in one transaction
	check("third round", 5, "A", "B", "C")
	round(t0.Add(3*day), 1, 6, 1)
	check("fourth round", 5, "A", "B", "C")

	// Retention takes its items off the counts; C's window loses items
	// it still counted (a low-volume feed).
	if _, err := st.Prune(ctx, t0.Add(2*day)); err != nil {
		t.Fatal(err)
	}
	for f, its := range model.feeds {
		model.feeds[f] = slices.DeleteFunc(its, func(it modelItem) bool { return it.seen.Before(t0.Add(2 * day)) })
	}
	check("after retention", 5, "A", "B", "C")
	round(t0.Add(4*day), 2, 1, 1)
	check("after retention and a round", 5, "A", "B", "C")

	// A feed's counts go with the feed.
	if _, err := st.PruneFeeds(ctx, []string{"A", "C"}, false); err != nil {
		t.Fatal(err)
	}
	delete(model.feeds, "B")
	check("after B was removed", 5, "A", "B", "C")

	// A smaller N: counts cover the last 3 at once; a feed's lists beyond
	// them go when the feed next stores items.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	m.n = 3
	if st, err = store.Open(ctx, path, store.Options{Matcher: m, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	check("N made smaller", 3)
	round(t0.Add(5*day), 1)
	check("N made smaller, a round", 3, "A")
}
