package dedupe

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// recorder records items through a store with an Engine, one fetch at a
// time, as the fetcher does.
type recorder struct {
	t    *testing.T
	st   recordStore
	e    *Engine
	path string // of the SQLite store; "" for the in-memory one
}

// recordStore is what a recorder records into and reads back.
type recordStore interface {
	Record(ctx context.Context, o *wirefeed.Outcome) (wirefeed.RecordResult, error)
	Stories(ctx context.Context, q wirefeed.StoryQuery) ([]wirefeed.Story, error)
	SignatureSource
}

// newRecorder records into an in-memory store (wirefeedtest.Store), which
// stores decisions as the SQLite store does: the test exercises the
// deduplicator alone.
func newRecorder(t *testing.T, opts Options) *recorder {
	t.Helper()
	e := New(opts)
	return &recorder{t: t, st: wirefeedtest.NewStore(e), e: e}
}

// newStoreRecorder records into a real store, for the tests that restart
// from it, re-sign updated items or explain stored items.
func newStoreRecorder(t *testing.T, opts Options) *recorder {
	t.Helper()
	e := New(opts)
	path := filepath.Join(t.TempDir(), "wirefeed.db")
	st, err := store.Open(context.Background(), path, store.Options{Matcher: e})
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{t: t, st: st, e: e, path: path}
	t.Cleanup(func() { r.sqlite().Close() })
	return r
}

// sqlite returns the real store of a recorder made by newStoreRecorder.
func (r *recorder) sqlite() *store.Store {
	r.t.Helper()
	st, ok := r.st.(*store.Store)
	if !ok {
		r.t.Fatal("this test needs newStoreRecorder: it reads the SQLite store")
	}
	return st
}

// restart closes the store and opens it again with a new Engine rebuilt
// from it at time now, as `wirefeed serve` does at start.
func (r *recorder) restart(now time.Time) {
	r.t.Helper()
	if err := r.sqlite().Close(); err != nil {
		r.t.Fatal(err)
	}
	e := New(r.e.opt)
	st, err := store.Open(context.Background(), r.path, store.Options{Matcher: e})
	if err != nil {
		r.t.Fatal(err)
	}
	r.st, r.e = st, e
	old := nowFunc
	nowFunc = func() time.Time { return now }
	defer func() { nowFunc = old }()
	if err := e.Rebuild(context.Background(), st); err != nil {
		r.t.Fatal(err)
	}
}

// add records one fetch of feed at time at.
func (r *recorder) add(feed string, at time.Time, items ...wirefeed.Item) {
	r.t.Helper()
	for i := range items {
		if items[i].Published.IsZero() {
			items[i].Published, items[i].Updated = at, at
		}
	}
	if _, err := r.st.Record(context.Background(), &wirefeed.Outcome{Feed: feedOf(feed), Attempted: at, Status: 200, Items: items}); err != nil {
		r.t.Fatalf("record %s: %v", feed, err)
	}
}

// story returns the story of feed's item guid.
func (r *recorder) story(feed, guid string) string {
	r.t.Helper()
	c := storedClusters(r.t, r.st)[itemKey{feed, guid}]
	if c == "" {
		r.t.Fatalf("item %s/%s not stored", feed, guid)
	}
	return c
}

// learned returns how many sentences the store keeps as learned
// boilerplate.
func (r *recorder) learned() (int, error) {
	n := 0
	err := r.st.ScanBoilerplate(context.Background(), func(string, int64) error { n++; return nil })
	return n, err
}

// stories returns how many stories the merged feed has.
func (r *recorder) stories() int {
	r.t.Helper()
	ss, err := r.st.Stories(context.Background(), wirefeed.StoryQuery{Limit: 1000})
	if err != nil {
		r.t.Fatal(err)
	}
	return len(ss)
}

func text(paras ...string) string { return strings.Join(paras, "\n\n") }

func body(guid, title, txt string) wirefeed.Item {
	return wirefeed.Item{GUID: guid, URL: "https://example.com/" + guid, Title: title, Text: txt, Summary: firstRunes(txt, 400)}
}

var t0 = time.Date(2024, 6, 14, 10, 0, 0, 0, time.UTC)

// storyText returns a base story of the evaluation set as its agency filed
// it: title and paragraphs.
func storyText(t *testing.T, id string) (string, []string) {
	t.Helper()
	for _, f := range []string{"stories-1.txt", "stories-2.txt"} {
		for _, r := range readRecords(t, f) {
			if r.id == id {
				return r.get("title"), r.body
			}
		}
	}
	t.Fatalf("no story %s", id)
	return "", nil
}

func TestSummaryOnlyJoinsFullText(t *testing.T) {
	title, paras := storyText(t, "S08")
	full := body("full", title, text(paras...))
	summary := firstSentence(paras[0])
	cases := []struct {
		name string
		sum  wirefeed.Item
	}{
		{"first sentence, other headline", wirefeed.Item{GUID: "sum", Title: "Pandemic treaty deadline slips", Text: summary, Summary: summary}},
		{"summary field only", wirefeed.Item{GUID: "sum", Title: "WHO talks go on", Summary: summary}},
		{"truncated with ellipsis", wirefeed.Item{GUID: "sum", Title: "Pandemic talks extended", Text: strings.Join(strings.Fields(summary)[:15], " ") + "…"}},
		{"with dateline", wirefeed.Item{GUID: "sum", Title: "WHO pandemic talks", Text: "GENEVA, March 12 (Reuters) - " + summary}},
	}
	for _, tc := range cases {
		for _, summaryFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/summary first %v", tc.name, summaryFirst), func(t *testing.T) {
				r := newRecorder(t, Options{})
				first, second := "Reuters", "Brief News"
				a, b := full, tc.sum
				if summaryFirst {
					first, second, a, b = second, first, b, a
				}
				r.add(first, t0, a)
				r.add(second, t0.Add(20*time.Minute), b)
				if got, want := r.story("Brief News", "sum"), r.story("Reuters", "full"); got != want {
					t.Errorf("summary in story %s, full text in %s; want one story", got, want)
				}
				if n := r.stories(); n != 1 {
					t.Errorf("%d stories in the merged feed, want 1", n)
				}
			})
		}
	}
}

func TestSeeAlsoLineNeverLinksStories(t *testing.T) {
	xTitle, xParas := storyText(t, "S13")
	yTitle, yParas := storyText(t, "S19")
	ySummary := firstSentence(yParas[0])
	// X as a content farm prints it: "See also <Y's headline>" after its
	// second paragraph, in forms furniture rules know and do not know.
	farm := func(line string) []string {
		ps := append([]string{}, xParas[:2]...)
		ps = append(ps, line)
		return append(ps, xParas[2:]...)
	}
	lines := []string{
		"See also " + yTitle,
		"See also: " + yTitle,
		"Elsewhere today — " + yTitle, // unknown furniture
		yTitle,                        // the bare headline, linked
	}
	ys := map[string]wirefeed.Item{
		"title-only":                   {GUID: "y", Title: yTitle},
		"headline as body":             {GUID: "y", Title: yTitle, Text: yTitle},
		"headline as body, site title": {GUID: "y", Title: yTitle + " | Canberra Wire", Text: yTitle},
		"headline as body, own title":  {GUID: "y", Title: "Wine tariffs to be reviewed", Text: yTitle + "."},
		"headline + summary":           {GUID: "y", Title: yTitle, Text: text(yTitle, ySummary)},
		"summary":                      {GUID: "y", Title: yTitle, Text: ySummary},
		"full text":                    body("y", yTitle, text(yParas...)),
	}
	orders := [][3]string{{"x", "farm", "y"}, {"x", "y", "farm"}, {"y", "x", "farm"}, {"y", "farm", "x"}, {"farm", "x", "y"}, {"farm", "y", "x"}}
	for i, line := range lines {
		for name, y := range ys {
			for _, order := range orders {
				t.Run(fmt.Sprintf("line%d/%s/%s", i, name, strings.Join(order[:], "-")), func(t *testing.T) {
					r := newRecorder(t, Options{})
					items := map[string]struct {
						feed string
						it   wirefeed.Item
					}{
						"x":    {"AP", body("x", xTitle, text(xParas...))},
						"farm": {"Content Farm", body("farm", "Philippines protests over water cannon", text(farm(line)...))},
						"y":    {"Canberra Wire", y},
					}
					for k, name := range order {
						r.add(items[name].feed, t0.Add(time.Duration(k)*10*time.Minute), items[name].it)
					}
					xs, farmS, yS := r.story("AP", "x"), r.story("Content Farm", "farm"), r.story("Canberra Wire", "y")
					if yS == xs || yS == farmS {
						t.Errorf("story Y joined story X through a See also line")
					}
					if farmS != xs {
						t.Errorf("the farm's copy of X is not in X's story")
					}
				})
			}
		}
	}
}

func TestCommonFooterDoesNotCollapseFeed(t *testing.T) {
	const footer = "The Harbour Gazette is an independent newspaper published in Valletta since 1921. " +
		"Our foreign desk works with correspondents in more than thirty countries and is funded by our readers. " +
		"Letters to the editor may be edited for length and clarity before they appear in print or online."
	r := newRecorder(t, Options{})
	ids := []string{"S01", "S04", "S07", "S10", "S13", "S16", "S19", "S22", "S25", "S28", "S31", "S34"}
	at := t0
	for i, id := range ids {
		title, paras := storyText(t, id)
		// teasers shorter than the footer
		teaser := strings.Join(strings.Fields(paras[0])[:14], " ") + "…"
		r.add("Harbour Gazette", at, body(fmt.Sprint("g", i), title, text(teaser, footer)))
		at = at.Add(30 * time.Minute)
	}
	seen := map[string]string{}
	for i := range ids {
		s := r.story("Harbour Gazette", fmt.Sprint("g", i))
		if j, dup := seen[s]; dup {
			t.Errorf("items %s and g%d share a story", j, i)
		}
		seen[s] = fmt.Sprint("g", i)
	}
	if n := r.stories(); n != len(ids) {
		t.Errorf("%d stories, want %d", n, len(ids))
	}
	if learned, err := r.learned(); err != nil || learned != 3 {
		t.Errorf("learned boilerplate sentences: %d (%v), want 3 (the footer's)", learned, err)
	}
	// The feed's copy of a story still joins the agency's original, which
	// has no footer.
	title, paras := storyText(t, ids[len(ids)-1])
	r.add("Reuters", at, body("orig", title, text(paras...)))
	if r.story("Reuters", "orig") != r.story("Harbour Gazette", fmt.Sprint("g", len(ids)-1)) {
		t.Errorf("the agency original did not join the feed's summary of it")
	}
}

// TestDecisionsAfterRestartEqualDecisionsWithout records both evaluation
// sets with a restart at several points: the learned boilerplate and
// source suffixes, the signatures (titles stripped of learned tails) and
// the stories must come back from the store as they were, so that every
// later decision is the same.
func TestDecisionsAfterRestartEqualDecisionsWithout(t *testing.T) {
	if raceEnabled {
		t.Skip("decisions, not concurrency: seven recordings of the evaluation sets run without -race")
	}
	bs := batches(append(evalSet(t), intlSet(t)...))
	want := runStore(t, bs, Options{}, -1)
	for _, at := range []int{1, len(bs) / 5, len(bs) / 3, len(bs) / 2, 2 * len(bs) / 3, len(bs) - 1} {
		t.Run(fmt.Sprint("restart after batch ", at), func(t *testing.T) {
			got := runStore(t, bs, Options{}, at)
			if !maps.Equal(got, want) {
				n := 0
				for k, v := range want {
					if got[k] != v {
						n++
					}
				}
				t.Errorf("%d of %d items in another story after a restart", n, len(want))
			}
		})
	}
}

func TestRebuildLoadsOnlyTheWindow(t *testing.T) {
	r := newRecorder(t, Options{Window: 48 * time.Hour})
	for d := range 6 {
		title, paras := storyText(t, fmt.Sprintf("S%02d", d+1))
		r.add("Reuters", t0.Add(time.Duration(d)*24*time.Hour), body(fmt.Sprint("d", d), title, text(paras...)))
	}
	e := New(Options{Window: 48 * time.Hour})
	old := nowFunc
	nowFunc = func() time.Time { return t0.Add(5*24*time.Hour + time.Hour) }
	defer func() { nowFunc = old }()
	if err := e.Rebuild(context.Background(), r.st); err != nil {
		t.Fatal(err)
	}
	// days 3, 4 and 5: the window (2 days) plus the current day
	if got := e.Stats().Items; got != 3 {
		t.Errorf("rebuilt index holds %d items, want 3", got)
	}
	if got, live := e.Stats().Items, r.e.Stats().Items; live != got {
		t.Errorf("live index holds %d items, rebuilt %d", live, got)
	}
}

func TestDigestDoesNotChainStories(t *testing.T) {
	xTitle, xParas := storyText(t, "S24")
	yTitle, yParas := storyText(t, "S26")
	sx, sy := firstSentence(xParas[0]), firstSentence(yParas[0])
	r := newRecorder(t, Options{})
	r.add("Brief News", t0, wirefeed.Item{GUID: "sx", Title: xTitle, Text: sx})
	// a digest quoting the ledes of X and Y
	r.add("World Digest", t0.Add(time.Hour), body("digest", "World news in brief", text(sx, sy, "In other news, markets were calm.")))
	r.add("Brief News", t0.Add(2*time.Hour), wirefeed.Item{GUID: "sy", Title: yTitle, Text: sy})
	if r.story("Brief News", "sy") == r.story("Brief News", "sx") {
		t.Errorf("Y's summary joined X's story through a digest")
	}
}

func TestMergeKeepsTheOlderStory(t *testing.T) {
	title, paras := storyText(t, "S36")
	_, alts := storyText(t, "S36")
	_ = alts
	r := newRecorder(t, Options{})
	// 1. title-only item: a story of its own
	r.add("Headlines", t0, wirefeed.Item{GUID: "t", Title: title})
	older := r.story("Headlines", "t")
	// 2. the full text under a rewritten headline: nothing links it to (1)
	r.add("Reuters", t0.Add(10*time.Minute), body("full", "ICJ hears Guyana's case against Venezuela over Essequibo", text(paras...)))
	if r.story("Reuters", "full") == older {
		t.Fatalf("the rewritten headline joined the title-only story; the test needs them apart")
	}
	younger := r.story("Reuters", "full")
	// 3. a copy with the original headline and the body links both
	r.add("Daily Meridian", t0.Add(30*time.Minute), body("copy", title, text(paras[:3]...)))
	for _, k := range []itemKey{{"Headlines", "t"}, {"Reuters", "full"}, {"Daily Meridian", "copy"}} {
		if got := r.story(k.feed, k.guid); got != older {
			t.Errorf("%s/%s in story %s, want the older story %s", k.feed, k.guid, got, older)
		}
	}
	if n := r.stories(); n != 1 {
		t.Errorf("%d stories after the merge, want 1", n)
	}
	ss, err := r.st.Stories(context.Background(), wirefeed.StoryQuery{})
	if err != nil || len(ss) != 1 || ss[0].ID != older {
		t.Errorf("stories after the merge %+v, %v; want only the older %s (the younger %s folded into it)", ss, err, older, younger)
	}
}

func TestTitleOnlyRules(t *testing.T) {
	title, paras := storyText(t, "S17")
	cases := []struct {
		name  string
		feed  string
		item  wirefeed.Item
		after time.Duration
		join  bool
	}{
		{"same headline, other feed", "Headlines", wirefeed.Item{GUID: "t", Title: title}, time.Hour, true},
		{"headline with site name and slug", "Headlines", wirefeed.Item{GUID: "t", Title: "UPDATE 2-" + title + " - Headlines Daily"}, time.Hour, true},
		{"curly typography", "Headlines", wirefeed.Item{GUID: "t", Title: curly(`"` + title + `"`)}, time.Hour, true},
		{"too late", "Headlines", wirefeed.Item{GUID: "t", Title: title}, 30 * time.Hour, false},
		{"same feed", "AP", wirefeed.Item{GUID: "t", Title: title}, time.Hour, false},
		{"independent headline", "Headlines", wirefeed.Item{GUID: "t", Title: "Bolivia and Chile to name ambassadors, ending freeze dating to 1978"}, time.Hour, false},
		{"one word changed", "Headlines", wirefeed.Item{GUID: "t", Title: strings.Replace(title, "restore", "resume", 1)}, time.Hour, false},
		{"short headline", "Headlines", wirefeed.Item{GUID: "t", Title: "Chile, Bolivia ties"}, time.Hour, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(t, Options{})
			r.add("AP", t0, body("orig", title, text(paras...)))
			r.add(tc.feed, t0.Add(tc.after), tc.item)
			if joined := r.story(tc.feed, "t") == r.story("AP", "orig"); joined != tc.join {
				t.Errorf("joined = %v, want %v", joined, tc.join)
			}
		})
	}
}

func TestExactRepublicationsTeachNoBoilerplate(t *testing.T) {
	title, paras := storyText(t, "S30")
	r := newRecorder(t, Options{})
	// A feed whose GUIDs change on every fetch: the same item comes back
	// as a new one each time.
	for i := range 6 {
		it := body(fmt.Sprint("churn-", i), title, text(paras...))
		it.URL = "https://churn.example/finland-border"
		r.add("Churn", t0.Add(time.Duration(i)*15*time.Minute), it)
	}
	if learned, err := r.learned(); err != nil || learned != 0 {
		t.Errorf("%d sentences learned as boilerplate (%v), want 0", learned, err)
	}
	if n := r.stories(); n != 1 {
		t.Errorf("%d stories, want 1", n)
	}
	// Another outlet's copy still joins. (The store keeps the churning
	// item once, under the GUID it was last given: issue 10.)
	r.add("Reuters", t0.Add(2*time.Hour), body("orig", "Finland reopens a rail crossing", text(paras[:3]...)))
	if r.story("Reuters", "orig") != r.story("Churn", "churn-5") {
		t.Errorf("a copy from another feed did not join")
	}
}

func TestUpdatedItemIsSignedAgain(t *testing.T) {
	title, paras := storyText(t, "S44")
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprint("restart ", restart), func(t *testing.T) {
			r := newStoreRecorder(t, Options{})
			// First seen with its title only, then with its text.
			r.add("Westminster", t0, wirefeed.Item{GUID: "w", URL: "https://example.com/w", Title: title})
			r.add("Westminster", t0.Add(20*time.Minute), body("w", title, text(paras...)))
			if it, err := r.sqlite().FindItem(context.Background(), "w"); err != nil || it.Words == 0 {
				t.Fatalf("words after the update: %d, %v", it.Words, err)
			}
			if restart {
				r.restart(t0.Add(time.Hour))
			}
			if got := r.e.Stats().Items; got != 1 {
				t.Errorf("index holds %d live items, want 1", got)
			}
			// A copy under another headline can only match by body.
			r.add("Reuters", t0.Add(time.Hour), body("copy", "UK, EU begin negotiating closer defence ties", text(paras[:3]...)))
			if r.story("Reuters", "copy") != r.story("Westminster", "w") {
				t.Errorf("the copy did not find the updated item by its body")
			}
		})
	}
}
