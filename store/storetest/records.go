package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
	"github.com/wirefeed/wirefeed/store"
)

// testRecordAndUpdate: new items start stories or join them by URL; a known
// item (same feed and GUID) is updated in place and keeps its story; the
// counts of RecordResult say so.
func testRecordAndUpdate(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	ctx := context.Background()
	a := item("a1", "Summit opens", "Leaders met in Geneva.", t0)
	res, err := s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Agency"), Attempted: t0, Status: 200, ETag: `"1"`,
		Items: []wirefeed.Item{a, item("a2", "Talks resume", "Negotiators resumed talks.", t0.Add(time.Minute))}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewItems != 2 || res.NewStories != 2 || res.UpdatedItems != 0 {
		t.Errorf("first record: %+v, want 2 new items in 2 new stories", res)
	}
	copyOf := item("p1", "Summit opens (copy)", "Leaders met in Geneva, the paper says.", t0.Add(2*time.Minute))
	copyOf.URL = a.URL
	res, err = s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Paper"), Attempted: t0.Add(3 * time.Minute), Status: 200, Items: []wirefeed.Item{copyOf}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewItems != 1 || res.NewStories != 0 || res.Merged[wirefeed.RuleURL] != 1 {
		t.Errorf("copy: %+v, want one item merged by url", res)
	}
	before := stories(t, s, wirefeed.StoryQuery{})
	a.Title, a.Text, a.Updated = "Summit opens in Geneva", "Leaders met in Geneva on Monday.", t0.Add(time.Hour)
	res, err = s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Agency"), Attempted: t0.Add(time.Hour), Status: 200, Items: []wirefeed.Item{a}})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewItems != 0 || res.UpdatedItems != 1 {
		t.Errorf("update: %+v, want one updated item", res)
	}
	after := stories(t, s, wirefeed.StoryQuery{})
	if len(after) != 2 || len(before) != 2 {
		t.Fatalf("stories before/after the update: %d/%d, want 2/2", len(before), len(after))
	}
	for i := range after {
		if after[i].ID != before[i].ID {
			t.Errorf("story %d changed id on update: %s -> %s", i, before[i].ID, after[i].ID)
		}
	}
	var summit wirefeed.Story
	for _, st := range after {
		if len(st.Members) == 2 {
			summit = st
		}
	}
	if len(summit.Members) != 2 || summit.Members[0].Title != "Summit opens in Geneva" || summit.Members[0].Text != "Leaders met in Geneva on Monday." ||
		summit.Members[1].FeedName != "Paper" || summit.Members[1].Rule != wirefeed.RuleURL {
		t.Errorf("summit story after the update: %+v", summit.Members)
	}
	if st := states(t, s); st["Agency"].Items != 2 || st["Paper"].Items != 1 {
		t.Errorf("items per feed: Agency %d, Paper %d; want 2 and 1", st["Agency"].Items, st["Paper"].Items)
	}
	tot, err := s.Totals(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (wirefeed.Totals{Stories: 2, MergedStories: 1, Items: 3}); tot != want {
		t.Errorf("Totals = %+v, want %+v", tot, want)
	}
	if _, err := Open(t, b.DSN(t), store.Options{}).Record(ctx, &wirefeed.Outcome{Feed: feedOf("x")}); !errors.Is(err, store.ErrNoMatcher) {
		t.Errorf("Record without a matcher: %v, want ErrNoMatcher", err)
	}
}

// failMatcher is wirefeedtest.URLMatcher, failing on one GUID.
type failMatcher struct {
	wirefeedtest.URLMatcher
	guid string
}

func (m failMatcher) Begin(ctx context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	tx, err := m.URLMatcher.Begin(ctx, l)
	return failSession{tx, m.guid}, err
}

type failSession struct {
	wirefeed.MatchTx
	guid string
}

func (s failSession) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	if c.Item.GUID == s.guid {
		return wirefeed.Decision{}, errors.New("no decision for " + s.guid)
	}
	return s.MatchTx.Match(ctx, c)
}

// testRecordBatchIsolates: feeds recorded together are all stored, and one
// that cannot be stored fails alone, storing nothing of its own.
func testRecordBatchIsolates(t *testing.T, b Backend) {
	for _, failing := range []string{"", "b2"} {
		t.Run("failing="+failing, func(t *testing.T) {
			s := Open(t, b.DSN(t), store.Options{Matcher: failMatcher{guid: failing}})
			var outs []*wirefeed.Outcome
			for _, name := range []string{"a", "b", "c"} {
				outs = append(outs, &wirefeed.Outcome{Feed: feedOf(name), Attempted: t0, Status: 200, ETag: `"1"`,
					Items: []wirefeed.Item{item(name+"1", "One "+name, "one "+name, t0), item(name+"2", "Two "+name, "two "+name, t0)}})
			}
			res, errs := s.RecordBatch(context.Background(), outs)
			st := states(t, s)
			for i, name := range []string{"a", "b", "c"} {
				wantFail := failing != "" && name == "b"
				if (errs[i] != nil) != wantFail {
					t.Errorf("feed %s: error %v, want failure %v", name, errs[i], wantFail)
				}
				want := 2
				if wantFail {
					want = 0
				}
				if res[i].NewItems != want || st[name].Items != want {
					t.Errorf("feed %s: %d new items, %d stored; want %d", name, res[i].NewItems, st[name].Items, want)
				}
			}
		})
	}
}

// testFeedHealth: validators, errors and backoff, a long error cut, 410
// Gone, a permanent move, and a config URL change that starts afresh.
func testFeedHealth(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	ctx := context.Background()
	feed := wirefeed.Feed{Name: "World Desk", URL: "https://old.example.com/feed"}
	if _, err := s.SyncFeeds(ctx, []wirefeed.Feed{feed}); err != nil {
		t.Fatal(err)
	}
	it := wirefeed.Item{GUID: "g1", URL: "https://old.example.com/a", Title: "A", Text: "a", Published: t0, Updated: t0}
	steps := []struct {
		name  string
		o     wirefeed.Outcome
		check func(st wirefeed.FeedState) bool
	}{
		{"success with validators and a ttl", wirefeed.Outcome{Feed: feed, Attempted: t0, Status: 200, ETag: `"e1"`, LastMod: "Wed, 14 Jun 2023 11:00:00 GMT",
			BodyHash: "h1", Meta: wirefeed.FeedMeta{Title: "The World Desk"}, Items: []wirefeed.Item{it}, Warnings: []string{"cut short", "shared GUIDs"},
			NextDue: t0.Add(30 * time.Minute), NextDueReason: wirefeed.NextDueCache, MinInterval: 30 * time.Minute},
			func(st wirefeed.FeedState) bool {
				return st.ETag == `"e1"` && st.LastModified != "" && st.BodyHash == "h1" && st.Title == "The World Desk" && st.Items == 1 &&
					st.LastSuccess.Equal(t0) && st.LastAttempt.Equal(t0) && st.LastStatus == 200 && st.ConsecutiveErrors == 0 &&
					st.NextDueReason == wirefeed.NextDueCache && st.NextDue.Equal(t0.Add(30*time.Minute)) && st.MinInterval == 30*time.Minute &&
					st.LastWarning == "cut short\nshared GUIDs"
			}},
		{"first failure", wirefeed.Outcome{Feed: feed, Attempted: t0.Add(time.Hour), Status: 500, Err: errors.New(`feed "World Desk": HTTP 500`),
			NextDue: t0.Add(time.Hour + 5*time.Minute), NextDueReason: wirefeed.NextDueBackoff},
			func(st wirefeed.FeedState) bool {
				return st.ConsecutiveErrors == 1 && st.LastError == `feed "World Desk": HTTP 500` && st.LastStatus == 500 && st.LastSuccess.Equal(t0) &&
					st.LastAttempt.Equal(t0.Add(time.Hour)) && st.NextDueReason == wirefeed.NextDueBackoff && st.ETag == `"e1"` && st.MinInterval == 30*time.Minute
			}},
		{"second failure with a very long error", wirefeed.Outcome{Feed: feed, Attempted: t0.Add(2 * time.Hour), Err: errors.New(strings.Repeat("é", 2000)),
			NextDue: t0.Add(2*time.Hour + 10*time.Minute), NextDueReason: wirefeed.NextDueBackoff},
			func(st wirefeed.FeedState) bool {
				return st.ConsecutiveErrors == 2 && st.LastStatus == 0 && len(st.LastError) <= 1000+len("…") && strings.HasSuffix(st.LastError, "…")
			}},
		{"410 Gone", wirefeed.Outcome{Feed: feed, Attempted: t0.Add(3 * time.Hour), Status: 410, Err: errors.New("HTTP 410"), Gone: true},
			func(st wirefeed.FeedState) bool { return st.Gone && st.ConsecutiveErrors == 3 }},
		{"success after a permanent move", wirefeed.Outcome{Feed: feed, Attempted: t0.Add(4 * time.Hour), Status: 200, MovedTo: "https://new.example.com/feed",
			NotModified: true, ETag: `"e2"`, SuspectNotModified: 2},
			func(st wirefeed.FeedState) bool {
				return st.URL == "https://new.example.com/feed" && st.ConfigURL == feed.URL && !st.Gone && st.ConsecutiveErrors == 0 && st.LastError == "" &&
					st.ETag == `"e2"` && st.NextDue.IsZero() && st.NextDueReason == "" && st.Title == "The World Desk" &&
					st.LastWarning == "cut short\nshared GUIDs" && st.SuspectNotModified == 2
			}},
	}
	for _, step := range steps {
		o := step.o
		if _, err := s.Record(ctx, &o); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if st := states(t, s)["World Desk"]; !step.check(st) {
			t.Errorf("%s: state %+v", step.name, st)
		}
	}
	changed := wirefeed.Feed{Name: "World Desk", URL: "https://elsewhere.example.com/rss"}
	if _, err := s.SyncFeeds(ctx, []wirefeed.Feed{changed}); err != nil {
		t.Fatal(err)
	}
	if st := states(t, s)["World Desk"]; st.URL != changed.URL || st.ConfigURL != changed.URL || st.ETag != "" || st.BodyHash != "" ||
		!st.NextDue.IsZero() || st.ConsecutiveErrors != 0 || st.MinInterval != 0 {
		t.Errorf("after a config URL change: %+v, want a fresh start at the new URL", st)
	}
}

// testHostPauses: the latest end of a host's pause wins; expired pauses are
// not returned.
func testHostPauses(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	ctx := context.Background()
	pause := func(name, host string, at, until time.Time) {
		t.Helper()
		o := wirefeed.Outcome{Feed: wirefeed.Feed{Name: name, URL: "https://" + host + "/" + name}, Attempted: at, Status: 429,
			Err: errors.New("HTTP 429"), NextDue: until, NextDueReason: wirefeed.NextDueRetryAfter, PauseHost: host, PauseUntil: until,
			PauseReason: "HTTP 429 for feed " + name}
		if _, err := s.Record(ctx, &o); err != nil {
			t.Fatal(err)
		}
	}
	pause("a", "busy.example", t0, t0.Add(time.Hour))
	pause("b", "busy.example", t0, t0.Add(30*time.Minute))
	pause("c", "other.example:8443", t0, t0.Add(10*time.Minute))
	for _, tc := range []struct {
		at   time.Time
		want map[string]time.Time
	}{
		{t0, map[string]time.Time{"busy.example": t0.Add(time.Hour), "other.example:8443": t0.Add(10 * time.Minute)}},
		{t0.Add(20 * time.Minute), map[string]time.Time{"busy.example": t0.Add(time.Hour)}},
		{t0.Add(2 * time.Hour), map[string]time.Time{}},
	} {
		got, err := s.HostPauses(ctx, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("HostPauses(%v) = %v, want %v", tc.at, got, tc.want)
		}
		for host, until := range tc.want {
			if p := got[host]; !p.Until.Equal(until) || p.Host != host || !strings.HasPrefix(p.Reason, "HTTP 429 for feed ") {
				t.Errorf("HostPauses(%v)[%s] = %+v, want until %v", tc.at, host, p, until)
			}
		}
	}
}

// testReissuedGUIDs: a feed that gives a new GUID to an item it carried (same
// link, or same body) updates that item rather than adding one.
func testReissuedGUIDs(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: dedupe.New(dedupe.Options{})})
	ctx := context.Background()
	body := "The foreign ministers of the two countries met in Vienna on Tuesday to discuss a new framework for trade, " +
		"energy and security cooperation, and agreed to meet again before the end of the year, officials said."
	first := item("guid-1", "Ministers meet in Vienna", body, t0)
	if _, err := s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Agency"), Attempted: t0, Status: 200, Items: []wirefeed.Item{first}}); err != nil {
		t.Fatal(err)
	}
	again := first
	again.GUID = "guid-1-reissued"
	res, err := s.Record(ctx, &wirefeed.Outcome{Feed: feedOf("Agency"), Attempted: t0.Add(time.Hour), Status: 200, Items: []wirefeed.Item{again}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reissued != 1 || res.NewItems != 0 {
		t.Errorf("reissued GUID: %+v, want it counted as reissued, no new item", res)
	}
	got := stories(t, s, wirefeed.StoryQuery{})
	if len(got) != 1 || len(got[0].Members) != 1 || got[0].Members[0].GUID != "guid-1-reissued" {
		t.Errorf("stories after a reissued GUID: %+v", got)
	}
}

// testOddText: text a feed may carry that a database could refuse (a NUL
// character, from a JSON feed's \u0000; bytes that are not UTF-8) is
// stored, found again by its key, and updated in place.
func testOddText(t *testing.T, b Backend) {
	s := Open(t, b.DSN(t), store.Options{Matcher: wirefeedtest.URLMatcher{}})
	it := item("odd\x00guid", "Title with a NUL \x00 and \xff bytes", "Text \x00 with \xfe\xff odd bytes", t0)
	it.Authors = []string{"Ann \xff"}
	record(t, s, "Odd", it)
	it.Updated = it.Updated.Add(time.Hour)
	it.Text = "Text, corrected."
	record(t, s, "Odd", it)
	got := stories(t, s, wirefeed.StoryQuery{})
	if len(got) != 1 || len(got[0].Members) != 1 {
		t.Fatalf("stories: %+v, want one story of one item", got)
	}
	if title := got[0].Representative.Title; !strings.HasPrefix(title, "Title with a NUL ") || !strings.HasSuffix(title, " bytes") {
		t.Errorf("title read back as %q", title)
	}
}
