package storetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// testStoriesQueries: order, limit, since, sources (any case), keep,
// before, and search: words in any case and script, accents ignored,
// Chinese by characters, prefixes, phrases in order, literal punctuation.
func testStoriesQueries(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	record(t, s, "Agency",
		item("a1", "Summit in Geneva", "Leaders met in Geneva to discuss 50% tariffs.", t0.Add(1*time.Minute)),
		item("a2", "Ceasefire talks", "Negotiators resumed ceasefire talks on Tuesday.", t0.Add(2*time.Minute)),
		item("a3", "Election results", "The commission published the final results.", t0.Add(3*time.Minute)),
		item("a4", "Trade deal signed", "Ministers signed the trade_deal text in Hanoi.", t0.Add(4*time.Minute)),
	)
	record(t, s, "World",
		item("w1", "Визит в Москву", "Делегация прибыла в Москва-Сити во вторник.", t0.Add(7*time.Minute)),
		item("w2", "Cúpula em São Paulo", "Ministros reuniram-se em São Paulo.", t0.Add(8*time.Minute)),
		item("w3", "南海局势紧张", "中国与菲律宾外长讨论南海紧张局势。", t0.Add(9*time.Minute)),
		item("w4", "Ταξίδι στην Αθήνα", "Ο υπουργός έφτασε στην Αθήνα την Τρίτη.", t0.Add(10*time.Minute)),
	)
	paper := item("p1", "Talks on ceasefire resume", "Negotiators resumed ceasefire talks (Paper copy).", t0.Add(5*time.Minute))
	paper.URL = "https://news.example/a2"
	record(t, s, "The Paper", paper, item("p2", "Floods in the delta", "Monsoon floods displaced thousands.", t0.Add(6*time.Minute)))

	agencyAndPaper := []string{"Agency", "The Paper"}
	tests := []struct {
		name string
		q    wirefeed.StoryQuery
		want []string
	}{
		{"newest first", wirefeed.StoryQuery{Sources: agencyAndPaper}, []string{"Floods in the delta", "Trade deal signed", "Election results", "Ceasefire talks", "Summit in Geneva"}},
		{"limit", wirefeed.StoryQuery{Limit: 2}, []string{"Ταξίδι στην Αθήνα", "南海局势紧张"}},
		{"cyrillic, any case", wirefeed.StoryQuery{Terms: []string{"москва"}}, []string{"Визит в Москву"}},
		{"cyrillic upper case", wirefeed.StoryQuery{Terms: []string{"МОСКВА-СИТИ"}}, []string{"Визит в Москву"}},
		{"greek without accents", wirefeed.StoryQuery{Terms: []string{"αθηνα"}}, []string{"Ταξίδι στην Αθήνα"}},
		{"accents ignored", wirefeed.StoryQuery{Terms: []string{"sao paulo"}}, []string{"Cúpula em São Paulo"}},
		{"accents in the query", wirefeed.StoryQuery{Terms: []string{"CÚPULA"}}, []string{"Cúpula em São Paulo"}},
		{"chinese by characters", wirefeed.StoryQuery{Terms: []string{"南海"}}, []string{"南海局势紧张"}},
		{"chinese inside a run", wirefeed.StoryQuery{Terms: []string{"菲律宾"}}, []string{"南海局势紧张"}},
		{"chinese characters apart do not match", wirefeed.StoryQuery{Terms: []string{"南张"}}, nil},
		{"since", wirefeed.StoryQuery{Since: t0.Add(6 * time.Minute), Sources: agencyAndPaper}, []string{"Floods in the delta", "Ceasefire talks"}},
		{"term in text, any case", wirefeed.StoryQuery{Terms: []string{"GENEVA"}}, []string{"Summit in Geneva"}},
		{"term in another member", wirefeed.StoryQuery{Terms: []string{"paper copy"}}, []string{"Ceasefire talks"}},
		{"every term must occur", wirefeed.StoryQuery{Terms: []string{"ceasefire", "geneva"}}, nil},
		{"percent is literal", wirefeed.StoryQuery{Terms: []string{"50%"}}, []string{"Summit in Geneva"}},
		{"percent is not a wildcard", wirefeed.StoryQuery{Terms: []string{"s%t"}}, nil},
		{"underscore is literal", wirefeed.StoryQuery{Terms: []string{"trade_deal"}}, []string{"Trade deal signed"}},
		{"punctuation separates words", wirefeed.StoryQuery{Terms: []string{"ceasefire_talks"}}, []string{"Ceasefire talks"}},
		{"whole words only", wirefeed.StoryQuery{Terms: []string{"genev"}}, nil},
		{"prefix", wirefeed.StoryQuery{Terms: []string{"genev*"}}, []string{"Summit in Geneva"}},
		{"prefix of a phrase", wirefeed.StoryQuery{Terms: []string{"ceasefire tal*"}}, []string{"Ceasefire talks"}},
		{"phrase in order", wirefeed.StoryQuery{Terms: []string{"talks ceasefire"}}, nil},
		{"no phrase across title and text", wirefeed.StoryQuery{Terms: []string{"geneva leaders"}}, nil},
		{"quotes are not syntax", wirefeed.StoryQuery{Terms: []string{`"geneva" OR "hanoi"`}}, nil},
		{"no words matches nothing", wirefeed.StoryQuery{Terms: []string{"%%"}}, nil},
		{"source, any case", wirefeed.StoryQuery{Sources: []string{"the paper"}}, []string{"Floods in the delta", "Ceasefire talks"}},
		{"sources", wirefeed.StoryQuery{Sources: []string{"Nobody", "Agency"}, Limit: 2}, []string{"Trade deal signed", "Election results"}},
		{"source and term", wirefeed.StoryQuery{Sources: []string{"The Paper"}, Terms: []string{"monsoon"}}, []string{"Floods in the delta"}},
		{"keep", wirefeed.StoryQuery{Sources: agencyAndPaper, Keep: func(s *wirefeed.Story) bool {
			return strings.Contains(s.Representative.Title, "e") && len(s.Members) == 1
		}}, []string{"Floods in the delta", "Trade deal signed", "Election results", "Summit in Geneva"}},
		{"before", wirefeed.StoryQuery{Sources: agencyAndPaper, Before: &wirefeed.StoryCursor{FirstSeen: t0.Add(4 * time.Minute), ID: "~"}},
			[]string{"Election results", "Ceasefire talks", "Summit in Geneva"}},
	}
	for _, tc := range tests {
		if got := titles(stories(t, s, tc.q)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Stories = %q, want %q", tc.name, got, tc.want)
		}
	}
	got := stories(t, s, wirefeed.StoryQuery{Terms: []string{"ceasefire"}})
	if len(got) != 1 || len(got[0].Members) != 2 || got[0].Members[0].FeedName != "Agency" || got[0].Members[1].FeedName != "The Paper" ||
		!got[0].Published.Equal(t0.Add(2*time.Minute)) || got[0].Members[1].FeedURL != "https://thepaper.example/feed" {
		t.Errorf("the ceasefire story: %+v, want Agency then The Paper, published at the earliest date", got)
	}
}

// testStoriesPaging walks every page with Before, with and without a Keep
// filter that rejects most stories, stories first seen at the same second
// included: the pages together are exactly the one-query list.
func testStoriesPaging(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	var items []wirefeed.Item
	for i := range 120 {
		items = append(items, item(fmt.Sprintf("g%03d", i), fmt.Sprintf("Story %03d", i), "text", t0.Add(time.Duration(i/3)*time.Minute)))
	}
	if _, err := s.Record(context.Background(), &wirefeed.Outcome{Feed: feedOf("Agency"), Attempted: t0, Status: 200, Items: items}); err != nil {
		t.Fatal(err)
	}
	keep := func(st *wirefeed.Story) bool { return strings.HasSuffix(st.Representative.Title, "7") }
	for _, tc := range []struct {
		name string
		keep func(*wirefeed.Story) bool
		want int
	}{{"unfiltered", nil, 120}, {"filtered", keep, 12}} {
		all := stories(t, s, wirefeed.StoryQuery{Limit: 1000, Keep: tc.keep})
		if len(all) != tc.want {
			t.Fatalf("%s: one query: %d stories, want %d", tc.name, len(all), tc.want)
		}
		var paged []wirefeed.Story
		var before *wirefeed.StoryCursor
		for pages := 0; ; pages++ {
			if pages > 200 {
				t.Fatal("paging does not end")
			}
			page := stories(t, s, wirefeed.StoryQuery{Limit: 7, Before: before, Keep: tc.keep})
			paged = append(paged, page...)
			if len(page) < 7 {
				break
			}
			last := page[len(page)-1]
			before = &wirefeed.StoryCursor{FirstSeen: last.FirstSeen, ID: last.ID}
		}
		if !slices.Equal(titles(paged), titles(all)) {
			t.Errorf("%s: pages = %q\nwant %q", tc.name, titles(paged), titles(all))
		}
	}
}

// testSearchFollowsItems: the search index changes with the items: an
// updated text is found by its new words only, a pruned item no more.
func testSearchFollowsItems(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	find := func(term string) []string { return titles(stories(t, s, wirefeed.StoryQuery{Terms: []string{term}})) }
	it := item("g1", "Talks in Вена", "Diplomats met in Vienna.", t0)
	record(t, s, "Agency", it)
	if got := find("вена"); !slices.Equal(got, []string{"Talks in Вена"}) {
		t.Fatalf("before the update: %q", got)
	}
	it.Text, it.Summary, it.Updated = "Diplomats met in Geneva instead.", "", it.Updated.Add(time.Hour)
	record(t, s, "Agency", it)
	if got := find("vienna"); got != nil {
		t.Errorf("the old text is still found after the update: %q", got)
	}
	if got := find("geneva"); !slices.Equal(got, []string{"Talks in Вена"}) {
		t.Errorf("the new text is not found after the update: %q", got)
	}
	if _, err := s.Prune(context.Background(), t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := find("geneva"); got != nil {
		t.Errorf("a pruned item is still found: %q", got)
	}
}

// wireStory is a story's wire text and an edited copy as another outlet
// prints it: a dateline, a sentence of its own, a furniture line, another
// headline.
func wireStory(i int) (title, text, edited string) {
	subjects := []string{"foreign ministers", "trade negotiators", "defence officials", "central bankers", "climate envoys", "health ministers"}
	places := []string{"Vienna", "Nairobi", "Jakarta", "Lima", "Oslo", "Doha", "Hanoi", "Accra"}
	subj, place := subjects[i%len(subjects)], places[(i/len(subjects)+i)%len(places)]
	title = fmt.Sprintf("%s meet in %s (%d)", strings.ToUpper(subj[:1])+subj[1:], place, i)
	paras := []string{
		fmt.Sprintf("The %s of more than %d countries met in %s on Tuesday for talks that organisers described as the most important of the year, with item %d of the agenda expected to dominate.", subj, 10+i, place, i),
		fmt.Sprintf("Delegates said a draft statement circulated overnight called for closer cooperation on supply chains, a review of existing commitments within %d months, and a new working group to report back before the next meeting.", 3+i%9),
		fmt.Sprintf("Several delegations pressed for stronger language, while others warned that the text risked promising more than governments could deliver, according to people familiar with the discussions in %s.", place),
		fmt.Sprintf("A final communique is expected on Thursday, and officials said the chair would hold a news conference after the closing session, the %dth such gathering since the forum was founded.", 20+i),
	}
	text = strings.Join(paras, "\n")
	ed := append([]string(nil), paras...)
	ed[0] = strings.ToUpper(place) + " (Reuters) - " + ed[0]
	ed[2] += " One delegate called the atmosphere constructive."
	ed = append(ed, "Advertisement", "Read more: our coverage of the talks.")
	return title, text, strings.Join(ed, "\n")
}

// testNearDuplicates: an edited copy in another feed (another headline, URL,
// dateline, furniture) joins the original's story through the
// deduplicator's near-duplicate rule; distinct stories stay apart.
func testNearDuplicates(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: dedupe.New(dedupe.Options{})})
	const n = 6
	var orig, copies []wirefeed.Item
	for i := range n {
		title, text, edited := wireStory(i)
		orig = append(orig, item(fmt.Sprintf("a%d", i), title, text, t0.Add(time.Duration(i)*time.Minute)))
		copies = append(copies, item(fmt.Sprintf("b%d", i), "Copy: "+title, edited, t0.Add(time.Hour+time.Duration(i)*time.Minute)))
	}
	ctx := context.Background()
	if _, err := s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Agency"), Attempted: t0.Add(time.Hour), Status: 200, Items: orig}); err != nil {
		t.Fatal(err)
	}
	res, err := s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Farm"), Attempted: t0.Add(2 * time.Hour), Status: 200, Items: copies})
	if err != nil {
		t.Fatal(err)
	}
	if res.Merged[wirefeed.RuleNearDuplicate]+res.Merged[wirefeed.RuleBody] != n || res.Merged[wirefeed.RuleNearDuplicate] == 0 {
		t.Errorf("copies merged: %v, want all %d by their bodies, near-duplicates among them", res.Merged, n)
	}
	got := stories(t, s, wirefeed.StoryQuery{})
	if len(got) != n {
		t.Fatalf("%d stories, want %d", len(got), n)
	}
	for _, st := range got {
		if len(st.Members) != 2 || strings.TrimPrefix(st.Members[0].GUID, "a") != strings.TrimPrefix(st.Members[1].GUID, "b") {
			t.Errorf("story %s: members %v, want one story's original and its copy", st.ID, guids(st))
		}
	}
}

func guids(st wirefeed.Story) []string {
	var out []string
	for _, m := range st.Members {
		out = append(out, m.GUID)
	}
	return out
}

// testPruneKeepsIDs: retention deletes old items and stories left without
// members; a story that keeps a member keeps its id.
func testPruneKeepsIDs(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	ctx := context.Background()
	old, recent := t0, t0.Add(48*time.Hour)
	story := item("a1", "Story", "text", old)
	if _, err := s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("A"), Attempted: old, Status: 200,
		Items: []wirefeed.Item{story, item("a2", "Gone", "only old", old)}}); err != nil {
		t.Fatal(err)
	}
	again := item("b1", "Story again", "text", recent)
	again.URL = story.URL
	if _, err := s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("B"), Attempted: recent, Status: 200, Items: []wirefeed.Item{again}}); err != nil {
		t.Fatal(err)
	}
	before := stories(t, s, wirefeed.StoryQuery{})
	n, err := s.Prune(ctx, t0.Add(24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2 items", n, err)
	}
	after := stories(t, s, wirefeed.StoryQuery{})
	if len(before) != 2 || len(after) != 1 {
		t.Fatalf("stories before/after: %d/%d, want 2/1", len(before), len(after))
	}
	for _, st := range before {
		if st.Representative.GUID == "a1" && st.ID != after[0].ID {
			t.Errorf("the surviving story changed id: %s -> %s", st.ID, after[0].ID)
		}
	}
	if after[0].Representative.GUID != "b1" || len(after[0].Members) != 1 {
		t.Errorf("surviving story: representative %s, %d members", after[0].Representative.GUID, len(after[0].Members))
	}
	if st := states(t, s); st["A"].Items != 0 || st["B"].Items != 1 {
		t.Errorf("items per feed after pruning: A %d, B %d; want 0 and 1", st["A"].Items, st["B"].Items)
	}
}

// testSyncAndPruneFeeds: a renamed feed keeps its items; feeds no longer
// configured are deleted with their items, and a story they shared keeps
// its id.
func testSyncAndPruneFeeds(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	ctx := context.Background()
	shared := item("k1", "Shared story", "Both carried it.", t0)
	record(t, s, "Kept", shared, item("k2", "Kept only", "Only the kept feed.", t0.Add(time.Minute)))
	copyOf := item("g1", "Shared story again", "Both carried it, a copy.", t0.Add(2*time.Minute))
	copyOf.URL = shared.URL
	record(t, s, "Gone", copyOf, item("g2", "Gone only", "Only the gone feed said quokka.", t0.Add(3*time.Minute)))
	before := stories(t, s, wirefeed.StoryQuery{Terms: []string{"shared"}})
	if len(before) != 1 || len(before[0].Members) != 2 {
		t.Fatalf("shared story before: %+v", before)
	}
	renamed, err := s.SyncFeeds(ctx, []wirefeed.Feed{{Name: "Kept Renamed", URL: feedOf("Kept").URL}, feedOf("Gone")})
	if err != nil {
		t.Fatal(err)
	}
	if renamed["Kept"] != "Kept Renamed" {
		t.Errorf("SyncFeeds renamed %v, want Kept -> Kept Renamed", renamed)
	}
	if st := states(t, s); st["Kept Renamed"].Items != 2 {
		t.Errorf("renamed feed: %+v, want its 2 items", st["Kept Renamed"])
	}
	dry, err := s.PruneFeeds(ctx, []string{"Kept Renamed"}, true)
	if err != nil || len(dry) != 1 || dry[0].Name != "Gone" || dry[0].Items != 2 {
		t.Fatalf("dry run = %+v, %v; want Gone with 2 items", dry, err)
	}
	pruned, err := s.PruneFeeds(ctx, []string{"Kept Renamed"}, false)
	if err != nil || len(pruned) != 1 || pruned[0].Name != "Gone" {
		t.Fatalf("PruneFeeds = %+v, %v", pruned, err)
	}
	if got := titles(stories(t, s, wirefeed.StoryQuery{})); !slices.Equal(got, []string{"Kept only", "Shared story"}) {
		t.Errorf("stories after pruning = %q", got)
	}
	for _, st := range stories(t, s, wirefeed.StoryQuery{}) {
		if st.Representative.Title == "Shared story" && (st.ID != before[0].ID || len(st.Members) != 1 || st.Members[0].FeedName != "Kept Renamed") {
			t.Errorf("shared story after pruning: id %s (was %s), members %+v", st.ID, before[0].ID, st.Members)
		}
	}
	if got := titles(stories(t, s, wirefeed.StoryQuery{Terms: []string{"quokka"}})); got != nil {
		t.Errorf("a pruned feed's item is still found: %q", got)
	}
}

// testGeneration: the generation grows with every change a reader of the
// merged feed could see, and not with fetches that change none.
func testGeneration(t *testing.T, b Backend) {
	dsn := b.DSN(t)
	s := Open(t, dsn, store.Options{Matcher: wirefeedtest.URLMatcher{}})
	ctx := context.Background()
	gen := func() int64 {
		t.Helper()
		g, err := s.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	g0 := gen()
	record(t, s, "Agency", item("a1", "One", "one", t0))
	g1 := gen()
	if g1 <= g0 {
		t.Errorf("generation %d after a new item, was %d", g1, g0)
	}
	if _, err := s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Agency"), Attempted: t0.Add(time.Hour), Status: 304, NotModified: true}); err != nil {
		t.Fatal(err)
	}
	if g := gen(); g != g1 {
		t.Errorf("generation %d after a 304, want %d unchanged", g, g1)
	}
	// The generation is the database's: another store on it (another
	// process, another instance) reads the same, and sees it move.
	other := Open(t, dsn, store.Options{Matcher: wirefeedtest.URLMatcher{}})
	if g, err := other.Generation(ctx); err != nil || g != g1 {
		t.Errorf("another store reads generation %d (%v), want %d", g, err, g1)
	}
	record(t, s, "Agency", item("a2", "Two", "two", t0.Add(2*time.Hour)))
	if g, err := other.Generation(ctx); err != nil || g <= g1 {
		t.Errorf("another store reads generation %d (%v) after a new item, want more than %d", g, err, g1)
	}
}
