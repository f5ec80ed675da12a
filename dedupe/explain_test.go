package dedupe

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

// explain explains two stored items, given as feed/guid.
func (r *recorder) explain(a, b itemKey) Explanation {
	r.t.Helper()
	ctx := context.Background()
	find := func(k itemKey) wirefeed.StoredItem {
		it, err := r.sqlite().FindItem(ctx, "https://example.com/"+k.guid)
		if err != nil {
			r.t.Fatal(err)
		}
		return it
	}
	var x Explanation
	err := r.sqlite().ReadLookup(ctx, func(l wirefeed.Lookup) error {
		var err error
		x, err = r.e.Explain(ctx, l, find(a), find(b))
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return x
}

func TestExplainMatchesDecisions(t *testing.T) {
	title, paras := storyText(t, "S24")
	yTitle, yParas := storyText(t, "S26")
	sx, sy := firstSentence(paras[0]), firstSentence(yParas[0])
	r := newStoreRecorder(t, Options{})
	withURL := func(it wirefeed.Item) wirefeed.Item {
		it.URL = "https://example.com/" + it.GUID
		return it
	}
	r.add("AP", t0, body("full", title, text(paras...)))
	r.add("Headlines", t0.Add(time.Hour), withURL(wirefeed.Item{GUID: "t", Title: title + " - Headlines"}))
	r.add("Headlines", t0.Add(40*time.Hour), withURL(wirefeed.Item{GUID: "late", Title: title}))
	r.add("Brief", t0.Add(time.Hour), withURL(wirefeed.Item{GUID: "sx", Title: "x", Text: sx}))
	r.add("Digest", t0.Add(2*time.Hour), body("digest", "World news in brief", text(sx, sy, "Markets were calm.")))
	r.add("Brief", t0.Add(3*time.Hour), withURL(wirefeed.Item{GUID: "sy", Title: yTitle, Text: sy}))

	cases := []struct {
		a, b  itemKey
		same  bool
		why   string
		store bool // in one story now
	}{
		{itemKey{"Headlines", "t"}, itemKey{"AP", "full"}, true, "title rule", true},
		{itemKey{"Headlines", "late"}, itemKey{"AP", "full"}, false, "apart", false},
		{itemKey{"Brief", "sx"}, itemKey{"AP", "full"}, true, "containment", true},
		{itemKey{"Brief", "sy"}, itemKey{"Digest", "digest"}, false, "do not open alike", false},
	}
	for _, tc := range cases {
		t.Run(tc.a.guid+"~"+tc.b.guid, func(t *testing.T) {
			x := r.explain(tc.a, tc.b)
			if x.Same != tc.same || !strings.Contains(x.Why, tc.why) || x.SameStory != tc.store {
				t.Errorf("Same %v, SameStory %v, Why %q; want %v, %v, %q", x.Same, x.SameStory, x.Why, tc.same, tc.store, tc.why)
			}
			var b bytes.Buffer
			if err := x.Write(&b); err != nil || !strings.Contains(b.String(), "decision") {
				t.Errorf("Write: %v\n%s", err, b.String())
			}
		})
	}
}

// TestExplainShowsComparedText checks that an explanation shows the text
// each item was compared by, after the page around the article was taken
// out, what was left out and why, and each rule with its outcome.
func TestExplainShowsComparedText(t *testing.T) {
	s := intlStory(t, "en", "en-S1")
	page := fullPage(t, s, "Kenya, Ethiopia to reopen Moyale border post")
	r := newStoreRecorder(t, Options{})
	r.add("Reuters", t0, body("wire", s.get("title"), text(wire(s.body, s.get("dateline"), s.get("credit"))...)))
	r.add("CNA", t0.Add(time.Hour), body("page", s.get("title"), page))
	x := r.explain(itemKey{"CNA", "page"}, itemKey{"Reuters", "wire"})
	if !x.Same || !x.SameStory {
		t.Fatalf("Same %v, SameStory %v: %s", x.Same, x.SameStory, x.Why)
	}
	if !slices.Equal(x.A.Compared, s.body) {
		t.Errorf("compared text of the page:\n%s", strings.Join(x.A.Compared, "\n"))
	}
	var b bytes.Buffer
	if err := x.Write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"compared text of A (after extraction):\n  | " + s.body[0],
		`"Set CNA as your preferred source on Google": site furniture`,
		`"` + s.get("standfirst") + `": outside the article`,
		"lede", "rest", "no contradiction", "holds",
		"the SAME story",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// A pool: two sources' copies of a story in one feed.
	p := newStoreRecorder(t, Options{})
	for i, src := range []string{"Reuters", "CNA", "Reuters", "CNA", "Reuters", "CNA"} {
		p.add("Pool", t0.Add(time.Duration(i)*time.Minute), poolItem(fmt.Sprint("bg", i), fmt.Sprintf("Background headline number %d about something else", i), src))
	}
	p.add("Pool", t0.Add(time.Hour), poolItem("a", s.get("title"), "Reuters"))
	p.add("Pool", t0.Add(2*time.Hour), poolItem("b", s.get("title"), "CNA"))
	find := func(guid string) wirefeed.StoredItem {
		it, err := p.sqlite().FindItem(context.Background(), guid)
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	var px Explanation
	err := p.sqlite().ReadLookup(context.Background(), func(l wirefeed.Lookup) error {
		var err error
		px, err = p.e.Explain(context.Background(), l, find("b"), find("a"))
		return err
	})
	if err != nil || !px.Same || !strings.Contains(px.Why, "naming different sources") || px.A.Source != "cna" {
		t.Errorf("pool: Same %v, Why %q, source %q (%v)", px.Same, px.Why, px.A.Source, err)
	}
}
