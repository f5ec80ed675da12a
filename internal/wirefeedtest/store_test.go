package wirefeedtest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// The fake and the real store are read through what their consumers ask.
var (
	_ fakeSubject = (*wirefeedtest.Store)(nil)
	_ fakeSubject = (*store.Store)(nil)
)

// fakeSubject is what the contract tests compare.
type fakeSubject interface {
	Record(ctx context.Context, o *wirefeed.Outcome) (wirefeed.RecordResult, error)
	SyncFeeds(ctx context.Context, feeds []wirefeed.Feed) (map[string]string, error)
	FeedStates(ctx context.Context) (map[string]wirefeed.FeedState, error)
	HostPauses(ctx context.Context, now time.Time) (map[string]wirefeed.HostPause, error)
	Stories(ctx context.Context, q wirefeed.StoryQuery) ([]wirefeed.Story, error)
	Totals(ctx context.Context) (wirefeed.Totals, error)
	Generation(ctx context.Context) (int64, error)
	ScanSignatures(ctx context.Context, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error)
	ScanBoilerplate(ctx context.Context, fn func(feed string, hash int64) error) error
	Changes(ctx context.Context, since int64, fn func(wirefeed.IndexChange) error) (int64, error)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openReal(t *testing.T, m wirefeed.Matcher) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "wirefeed.db"), store.Options{Matcher: m, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// pair runs every step on the real store and the fake and fails the test
// where they differ.
type pair struct {
	t          *testing.T
	real, fake fakeSubject
	gens       [2]int64
	// merged and storiesMerged add up the real store's record results.
	merged        map[wirefeed.MatchRule]int
	storiesMerged int
}

func newPair(t *testing.T, real, fake fakeSubject) *pair {
	p := &pair{t: t, real: real, fake: fake, merged: map[wirefeed.MatchRule]int{}}
	p.gens[0], _ = real.Generation(context.Background())
	p.gens[1], _ = fake.Generation(context.Background())
	return p
}

func (p *pair) record(step string, o wirefeed.Outcome) {
	p.t.Helper()
	ctx := context.Background()
	o1, o2 := o, o
	o1.Items, o2.Items = slices.Clone(o.Items), slices.Clone(o.Items)
	r1, err1 := p.real.Record(ctx, &o1)
	r2, err2 := p.fake.Record(ctx, &o2)
	if (err1 == nil) != (err2 == nil) {
		p.t.Fatalf("%s: Record errors: store %v, fake %v", step, err1, err2)
	}
	if !reflect.DeepEqual(r1, r2) {
		p.t.Errorf("%s: RecordResult: store %+v, fake %+v", step, r1, r2)
	}
	for rule, n := range r1.Merged {
		p.merged[rule] += n
	}
	p.storiesMerged += r1.StoriesMerged
	p.compare(step, o.Attempted)
}

func (p *pair) sync(step string, feeds []wirefeed.Feed) {
	p.t.Helper()
	ctx := context.Background()
	r1, err1 := p.real.SyncFeeds(ctx, feeds)
	r2, err2 := p.fake.SyncFeeds(ctx, feeds)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(r1, r2) {
		p.t.Errorf("%s: SyncFeeds: store %v, %v; fake %v, %v", step, r1, err1, r2, err2)
	}
	p.compare(step, time.Time{})
}

// compare checks everything a consumer can read, and that the generation
// moved in both or in neither.
func (p *pair) compare(step string, now time.Time) {
	p.t.Helper()
	ctx := context.Background()
	same := func(what string, a, b any, errA, errB error) {
		p.t.Helper()
		if errA != nil || errB != nil {
			p.t.Fatalf("%s: %s: store error %v, fake error %v", step, what, errA, errB)
		}
		if !reflect.DeepEqual(a, b) {
			p.t.Errorf("%s: %s differ:\nstore %+v\nfake  %+v", step, what, a, b)
		}
	}
	s1, e1 := p.real.FeedStates(ctx)
	s2, e2 := p.fake.FeedStates(ctx)
	same("FeedStates", s1, s2, e1, e2)
	h1, e1 := p.real.HostPauses(ctx, now)
	h2, e2 := p.fake.HostPauses(ctx, now)
	same("HostPauses", h1, h2, e1, e2)
	t1, e1 := p.real.Totals(ctx)
	t2, e2 := p.fake.Totals(ctx)
	same("Totals", t1, t2, e1, e2)
	all, err := p.real.Stories(ctx, wirefeed.StoryQuery{Limit: 1000})
	if err != nil {
		p.t.Fatal(err)
	}
	queries := []wirefeed.StoryQuery{{Limit: 1000}, {Limit: 2}, {Sources: []string{"agency"}}, {Since: now.Add(-90 * time.Minute)},
		{Keep: func(s *wirefeed.Story) bool { return len(s.Members) > 1 }, Limit: 1}}
	if len(all) > 1 {
		queries = append(queries, wirefeed.StoryQuery{Before: &wirefeed.StoryCursor{FirstSeen: all[1].FirstSeen, ID: all[1].ID}})
	}
	for _, q := range queries {
		a, e1 := p.real.Stories(ctx, q)
		b, e2 := p.fake.Stories(ctx, q)
		same(fmt.Sprintf("Stories(limit %d, sources %v, since %v, before %v, keep %v)", q.Limit, q.Sources, q.Since, q.Before, q.Keep != nil), a, b, e1, e2)
	}
	g1, _ := p.real.Generation(ctx)
	g2, _ := p.fake.Generation(ctx)
	if (g1 != p.gens[0]) != (g2 != p.gens[1]) {
		p.t.Errorf("%s: generation moved in one store only: store %d -> %d, fake %d -> %d", step, p.gens[0], g1, p.gens[1], g2)
	}
	p.gens = [2]int64{g1, g2}
}

var t0 = time.Date(2024, 6, 14, 10, 0, 0, 0, time.UTC)

func item(guid, url, title, text string, pub time.Time) wirefeed.Item {
	return wirefeed.Item{GUID: guid, URL: url, Title: title, Text: text, Summary: text, ContentHTML: "<p>" + text + "</p>",
		Published: pub, Updated: pub}
}

// TestStoreFollowsTheStore records the same outcomes in the real store
// and in the fake, both with URLMatcher, and compares everything a reader
// of either can see after each: record results, feed states, host pauses,
// stories under several queries, totals, and whether the generation moved.
func TestStoreFollowsTheStore(t *testing.T) {
	p := newPair(t, openReal(t, wirefeedtest.URLMatcher{}), wirefeedtest.NewStore(nil))
	agency := wirefeed.Feed{Name: "Agency", URL: "https://agency.example/rss"}
	paper := wirefeed.Feed{Name: "The Paper", URL: "https://paper.example/feed"}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

	p.sync("sync", []wirefeed.Feed{agency, paper})
	p.record("first fetch", wirefeed.Outcome{Feed: agency, Attempted: at(1), Status: 200, ETag: `"a1"`, LastMod: "Fri, 14 Jun 2024 10:00:00 GMT",
		BodyHash: "h1", Meta: wirefeed.FeedMeta{Title: "Agency World"}, MinInterval: 30 * time.Minute, NextDue: at(31), NextDueReason: wirefeed.NextDueCache,
		Items: []wirefeed.Item{
			item("a1", "https://news.example/geneva", "Summit in Geneva", "Leaders met in Geneva.", at(0)),
			item("a2", "https://news.example/doha", "Talks in Doha", "Negotiators met again.", at(-30)),
			{GUID: "a3", URL: "https://news.example/hanoi", Title: "Deal in Hanoi", Published: at(1), Updated: at(1), DateMissing: true,
				Authors: []string{"A. Writer"}, Categories: []string{"Asia"}},
		}})
	p.record("same link elsewhere", wirefeed.Outcome{Feed: paper, Attempted: at(5), Status: 200, Warnings: []string{"GUIDs shared by different items"},
		Items: []wirefeed.Item{
			item("https://paper.example/1", "https://news.example/geneva", "Geneva summit opens", "The summit opened.", at(3)),
			item("https://paper.example/2", "https://paper.example/2", "Royal wedding", "Gowns and hats.", at(4)),
		}})
	p.record("not modified", wirefeed.Outcome{Feed: agency, Attempted: at(31), Status: 304, NotModified: true, ETag: `"a1"`, SuspectNotModified: 1})
	updated := item("a2", "https://news.example/doha", "Talks resume in Doha", "Negotiators met again on Wednesday.", at(-30))
	undated := wirefeed.Item{GUID: "a3", URL: "https://news.example/hanoi", Title: "Deal signed in Hanoi", Published: at(40), Updated: at(40), DateMissing: true}
	p.record("updates", wirefeed.Outcome{Feed: agency, Attempted: at(40), Status: 200, ETag: `"a2"`,
		Items: []wirefeed.Item{updated, undated, item("a1", "https://news.example/geneva", "Summit in Geneva", "Leaders met in Geneva.", at(0))}})
	p.record("failure", wirefeed.Outcome{Feed: paper, Attempted: at(50), Status: 429, Err: errors.New("HTTP 429 Too Many Requests: " + strings.Repeat("x", 1200)),
		NextDue: at(80), NextDueReason: wirefeed.NextDueRetryAfter, PauseHost: "paper.example", PauseUntil: at(80), PauseReason: "HTTP 429 for feed The Paper"})
	p.record("failure again, shorter pause", wirefeed.Outcome{Feed: paper, Attempted: at(55), Status: 503, Err: errors.New("HTTP 503"),
		NextDue: at(70), NextDueReason: wirefeed.NextDueBackoff, PauseHost: "paper.example", PauseUntil: at(70)})
	p.record("gone", wirefeed.Outcome{Feed: wirefeed.Feed{Name: "Old Desk", URL: "https://old.example/rss"}, Attempted: at(60), Status: 410,
		Err: errors.New("HTTP 410 Gone"), Gone: true, NextDue: at(120), NextDueReason: wirefeed.NextDueBackoff})
	p.record("recovered, moved", wirefeed.Outcome{Feed: paper, Attempted: at(90), Status: 200, MovedTo: "https://paper.example/rss",
		Items: []wirefeed.Item{item("https://paper.example/3", "https://news.example/doha", "Doha talks", "More talks.", at(85))}})
	p.sync("config URL changed, feed renamed", []wirefeed.Feed{{Name: "Agency", URL: "https://agency.example/v2/rss"},
		{Name: "Paper", URL: paper.URL}, {Name: "Old Desk", URL: "https://old.example/rss"}})
	p.record("renamed feed fetched", wirefeed.Outcome{Feed: wirefeed.Feed{Name: "Paper", URL: paper.URL}, Attempted: at(100), Status: 200,
		Items: []wirefeed.Item{item("https://paper.example/4", "https://paper.example/4", "Elections called", "The vote is in July.", at(99))}})
}

// TestStoreRunsTheDeduplicator records a generated corpus, with title-only
// copies and stories that a later copy shows to be one, in the real store
// and in the fake, each with an Engine of its own, and compares what the
// engines decided; then it restarts both engines from their stores and
// records more.
func TestStoreRunsTheDeduplicator(t *testing.T) {
	engine := func() *dedupe.Engine { return dedupe.New(dedupe.Options{Logger: quiet}) }
	realEngine, fakeEngine := engine(), engine()
	p := newPair(t, openReal(t, realEngine), wirefeedtest.NewStore(fakeEngine))
	var starts [2]int64
	for i, src := range []fakeSubject{p.real, p.fake} {
		var err error
		if starts[i], err = src.ScanSignatures(context.Background(), t0, func(int64, time.Time, []byte) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}

	corpus := fixtures.GenerateCorpus(fixtures.CorpusOptions{Feeds: 8, Items: 12, MinWords: 80, MaxWords: 200, Republished: 0.3, Base: t0})
	var docs []*fetcher.Document
	for _, f := range corpus.Feeds {
		doc, err := fetcher.Parse(f.Body, f.ContentType, "https://"+f.Name+".example/", t0, fetcher.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		docs = append(docs, doc)
	}
	headlines := wirefeed.Feed{Name: "Headlines", URL: "https://headlines.example/rss"}
	for i, doc := range docs {
		at := t0.Add(time.Duration(i) * 10 * time.Minute)
		// A title-only copy of the feed's first item, before it, and a
		// headline of its own that nothing else carries.
		first := doc.Items[0]
		p.record(fmt.Sprintf("headlines %d", i), wirefeed.Outcome{Feed: headlines, Attempted: at, Status: 200, Items: []wirefeed.Item{
			{GUID: fmt.Sprintf("h%d", i), Title: first.Title, Published: first.Published, Updated: first.Published},
			{GUID: fmt.Sprintf("own%d", i), Title: fmt.Sprintf("Markets close mixed on day %d of the week", i), Published: at, Updated: at},
		}})
		p.record(corpus.Feeds[i].Name, wirefeed.Outcome{Feed: wirefeed.Feed{Name: corpus.Feeds[i].Name, URL: "https://feed.example/" + fmt.Sprint(i)},
			Attempted: at.Add(time.Minute), Status: 200, Items: doc.Items})
	}
	// A wire story filed under another headline, then a copy with the
	// headline of a title-only item and the story's body: it shows the two
	// to be one story.
	wire := docs[0].Items[1]
	wire.GUID, wire.URL, wire.Title = "wire", "https://wire.example/1", "Officials confirm the agreement reached late on Tuesday"
	p.record("wire", wirefeed.Outcome{Feed: wirefeed.Feed{Name: "Wire", URL: "https://wire.example/rss"}, Attempted: t0.Add(2 * time.Hour), Status: 200,
		Items: []wirefeed.Item{wire}})
	const headline = "Ministers back the agreement after a night of talks"
	p.record("title first", wirefeed.Outcome{Feed: headlines, Attempted: t0.Add(3 * time.Hour), Status: 200, Items: []wirefeed.Item{
		{GUID: "lone", Title: headline, Published: t0.Add(3 * time.Hour), Updated: t0.Add(3 * time.Hour)}}})
	link := wire
	link.GUID, link.URL, link.Title, link.Published = "link", "https://copy.example/1", headline, t0.Add(4*time.Hour)
	paras := strings.Split(wire.Text, "\n\n")
	link.Text = strings.Join(paras[:max(1, len(paras)-1)], "\n\n") // cut: a near copy, not the same body
	p.record("copy", wirefeed.Outcome{Feed: wirefeed.Feed{Name: "Copy Desk", URL: "https://copy.example/rss"}, Attempted: t0.Add(4 * time.Hour),
		Status: 200, Items: []wirefeed.Item{link}})

	// What the engines rebuild their index from at start is the same.
	type sig struct {
		id   int64
		seen time.Time
		sig  string
	}
	scan := func(src fakeSubject) (sigs []sig, learned []string) {
		ctx := context.Background()
		if _, err := src.ScanSignatures(ctx, t0.Add(-24*time.Hour), func(id int64, seen time.Time, b []byte) error {
			sigs = append(sigs, sig{id, seen, string(b)})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := src.ScanBoilerplate(ctx, func(feed string, h int64) error {
			learned = append(learned, fmt.Sprint(feed, h))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return sigs, learned
	}
	sigs1, learned1 := scan(p.real)
	sigs2, learned2 := scan(p.fake)
	if len(sigs1) == 0 || !reflect.DeepEqual(sigs1, sigs2) {
		t.Errorf("ScanSignatures: %d from the store, %d from the fake, or they differ", len(sigs1), len(sigs2))
	}
	if !reflect.DeepEqual(learned1, learned2) {
		t.Errorf("ScanBoilerplate: store %v, fake %v", learned1, learned2)
	}

	// Both report the same changes to a deduplicator catching up: items
	// signed and re-signed, sentences learned.
	changes := func(src fakeSubject, since int64) (out []string) {
		if _, err := src.Changes(context.Background(), since, func(c wirefeed.IndexChange) error {
			out = append(out, fmt.Sprintf("%d %d %s %x %q %q %d", c.Kind, c.ItemID, c.Seen.Format(time.RFC3339), c.Signature, c.Feed, c.OldFeed, c.Hash))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ch1, ch2 := changes(p.real, starts[0]), changes(p.fake, starts[1])
	if len(ch1) == 0 || !reflect.DeepEqual(ch1, ch2) {
		t.Errorf("Changes: %d from the store, %d from the fake, or they differ:\nstore %q\nfake  %q", len(ch1), len(ch2), ch1, ch2)
	}

	// Asked outside Record, the fake's Lookup answers as the store's.
	realStore, fake := p.real.(*store.Store), p.fake.(*wirefeedtest.Store)
	stories, err := realStore.Stories(context.Background(), wirefeed.StoryQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	learnedByFeed := map[string][]int64{}
	if err := realStore.ScanBoilerplate(context.Background(), func(feed string, h int64) error {
		learnedByFeed[feed] = append(learnedByFeed[feed], h)
		return nil
	}); err != nil || len(learnedByFeed) == 0 {
		t.Fatalf("learned boilerplate %v, %v; want some (every outlet has a footer)", learnedByFeed, err)
	}
	ask := func(l wirefeed.Lookup) (answers []any) {
		ctx := context.Background()
		note := func(v any, err error) { answers = append(answers, v, err) }
		var ids []int64
		for _, st := range stories {
			note(l.StoryRoot(ctx, st.ID))
			for _, m := range st.Members {
				ids = append(ids, m.ItemID)
				note(l.StoryByURL(ctx, m.URL))
				note(l.ItemID(ctx, m.FeedName, m.GUID))
			}
		}
		its, err := l.Items(ctx, append(ids, 1<<40))
		slices.SortFunc(its, func(a, b wirefeed.StoredItem) int { return int(a.ID - b.ID) }) // in any order
		note(its, err)
		note(l.StoryByBodyHash(ctx, 1))
		for _, feed := range slices.Sorted(maps.Keys(learnedByFeed)) {
			note(l.SentenceCounts(ctx, feed, append(learnedByFeed[feed], 1, 2, 3)))
		}
		return answers
	}
	var fromStore []any
	if err := realStore.ReadLookup(context.Background(), func(l wirefeed.Lookup) error { fromStore = ask(l); return nil }); err != nil {
		t.Fatal(err)
	}
	fromFake := ask(fake.Lookup())
	for i := range fromStore {
		if !reflect.DeepEqual(fromStore[i], fromFake[i]) {
			t.Errorf("Lookup answer %d differs:\nstore %+v\nfake  %+v", i, fromStore[i], fromFake[i])
		}
	}

	// The scenario exercised every rule that needs the Lookup.
	for _, rule := range []wirefeed.MatchRule{wirefeed.RuleNearDuplicate, wirefeed.RuleTitle} {
		if p.merged[rule] == 0 {
			t.Errorf("no item joined a story by rule %q; the scenario does not test it", rule)
		}
	}
	if p.storiesMerged == 0 {
		t.Error("no stories were merged; the scenario does not test merges")
	}
}
