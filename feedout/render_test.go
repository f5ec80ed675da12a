package feedout

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var t0 = time.Date(2023, 6, 14, 10, 2, 0, 0, time.UTC)

// goldenStories covers what the renderers must get right: a story carried
// by three outlets whose representative is not the first copy, a story
// with one outlet, hostile content (a script, an event handler, a
// javascript: link, characters XML forbids, "]]>"), and a story with
// neither link nor body.
func goldenStories() []wirefeed.Story {
	bbc := wirefeed.Member{ItemID: 11, FeedName: "BBC World", FeedURL: "https://feeds.bbci.co.uk/news/world/rss.xml", GUID: "https://www.bbc.co.uk/news/world-65900000",
		URL: "https://www.bbc.com/news/world-65900000", Title: "Blinken to visit Beijing", Summary: "The US secretary of state travels to China.",
		Published: t0.Add(-9 * time.Minute), FirstSeen: t0}
	ap := wirefeed.Member{ItemID: 12, FeedName: "AP World", FeedURL: "https://apnews.example/world.rss", GUID: "ap-7d1f",
		URL: "https://apnews.example/article/blinken-china-7d1f", Title: "Blinken heads to China in bid to ease tensions",
		Summary:   "Secretary of State Antony Blinken will travel to China this weekend.",
		HTML:      `<p>WASHINGTON (AP) — Secretary of State Antony Blinken will travel to China this weekend, the “highest-level” visit in years.</p><p>Officials said the trip would focus on keeping lines of communication open.</p>`,
		Text:      "WASHINGTON (AP) — Secretary of State Antony Blinken will travel to China this weekend.",
		Published: t0, FirstSeen: t0.Add(5 * time.Minute), Authors: []string{"Matthew Lee"}, Category: []string{"World", "Asia & Pacific"}}
	farm := wirefeed.Member{ItemID: 13, FeedName: "Daily Digest", FeedURL: "https://digest.example/feed", GUID: "digest-991",
		URL: "https://digest.example/2023/06/14/blinken", Title: "BREAKING: Blinken to China <again>",
		Published: t0.Add(40 * time.Minute), FirstSeen: t0.Add(45 * time.Minute)}
	solo := wirefeed.Member{ItemID: 21, FeedName: "UN News", FeedURL: "https://news.un.org/feed/rss", GUID: "un-1",
		URL: "https://news.un.org/en/story/2023/06/1137700", Title: "Security Council extends Mali mission & sanctions",
		Summary: "Members voted 13–0 with 2 abstentions.", HTML: "<p>Members voted 13–0.</p>", Published: t0.Add(-3 * time.Hour), FirstSeen: t0.Add(-2 * time.Hour)}
	hostile := wirefeed.Member{ItemID: 31, FeedName: "Odd Feed", FeedURL: "https://odd.example/rss", GUID: "odd\x01guid",
		URL: "https://odd.example/a?x=1&y=2", Title: "Nul\x00 byte and ]]> in title",
		Summary:   "Bell\x07 and ]]> and <b>tags</b>",
		HTML:      `<p onclick="steal()">Text ]]> more<script>alert(1)</script><iframe src="https://evil.example"></iframe><a href="javascript:alert(1)">link</a>` + "\uFFFE\x0B</p>",
		Published: t0.Add(-5 * time.Hour), FirstSeen: t0.Add(-5 * time.Hour), Category: []string{"Odd\x00ities"}}
	hostileCopy := wirefeed.Member{ItemID: 32, FeedName: "Mirror ]]> <Site>", FeedURL: "https://mirror.example/rss", GUID: "m-1",
		URL: "javascript:alert(2)", Title: "Copy with </a> in title", Published: t0.Add(-4 * time.Hour), FirstSeen: t0.Add(-4 * time.Hour)}
	bare := wirefeed.Member{ItemID: 41, FeedName: "Terse", FeedURL: "https://terse.example/rss", GUID: "t-1",
		Title: "", Summary: "A summary-only item with no title and no link, long enough that its title is cut from the summary text here.",
		Published: t0.Add(-6 * time.Hour), FirstSeen: t0.Add(-6 * time.Hour)}
	return []wirefeed.Story{
		{ID: "k5xv3yqztd2h4mfq", FirstSeen: t0, Published: bbc.Published, Updated: t0.Add(45 * time.Minute), Representative: ap, Members: []wirefeed.Member{bbc, ap, farm}},
		{ID: "b7aa2mfo3xwqk4rt", FirstSeen: solo.FirstSeen, Published: solo.Published, Updated: solo.FirstSeen, Representative: solo, Members: []wirefeed.Member{solo}},
		{ID: "hst1le2x3y4z5a6b", FirstSeen: hostile.FirstSeen, Published: hostile.Published, Updated: hostileCopy.FirstSeen, Representative: hostile, Members: []wirefeed.Member{hostile, hostileCopy}},
		{ID: "bare2bare3bare4b", FirstSeen: bare.FirstSeen, Published: bare.Published, Updated: bare.FirstSeen, Representative: bare, Members: []wirefeed.Member{bare}},
	}
}

var goldenMeta = Meta{Title: "wirefeed: world", Description: "Each story once.", BaseURL: "https://news.example/", Path: "feed",
	NextURL: "https://news.example/feed.atom?before=1686711720.bare2bare3bare4b"}

// TestRenderGolden compares each format with its golden file; run
// `go test ./feedout -run Golden -update` to rewrite them after a
// deliberate change, and read the diff.
func TestRenderGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, f, goldenMeta, goldenStories()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden."+string(f))
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("Render(%s) differs from %s; run with -update and read the diff.\ngot:\n%s", f, golden, buf.String())
			}
			var again bytes.Buffer
			if err := Render(&again, f, goldenMeta, goldenStories()); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Errorf("Render(%s) is not deterministic", f)
			}
		})
	}
}

// TestRenderWellFormed parses every format back and checks the contract:
// stable ids, one entry per story, member links, and no active content.
func TestRenderWellFormed(t *testing.T) {
	stories := goldenStories()
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, f, goldenMeta, stories); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			ids := parseFeed(t, f, buf.Bytes()).ids
			if len(ids) != len(stories) {
				t.Fatalf("%d entries, want %d", len(ids), len(stories))
			}
			for i, st := range stories {
				if want := "urn:wirefeed:story:" + st.ID; ids[i] != want {
					t.Errorf("entry %d id = %q, want %q", i, ids[i], want)
				}
			}
			for _, bad := range []string{"<script", "alert(1)", "onclick", "<iframe", "javascript:", "\x00", "\x07", "\x0B", "\uFFFE"} {
				if strings.Contains(out, bad) || strings.Contains(strings.ToLower(htmlUnescapeAll(out)), bad) {
					t.Errorf("output carries %q", bad)
				}
			}
			if !strings.Contains(out, "https://digest.example/2023/06/14/blinken") {
				t.Error("a member outlet's link is missing")
			}
		})
	}
}

// htmlUnescapeAll undoes XML and JSON escaping enough to see markup that
// would reach a reader after decoding.
func htmlUnescapeAll(s string) string {
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&#34;", `"`, `\u003c`, "<", `\u003e`, ">", `\"`, `"`)
	return r.Replace(r.Replace(s))
}

// parsedFeed is what the tests read back from a rendered feed.
type parsedFeed struct {
	ids, titles []string
	next        string // the rel="next" link or next_url
}

// parseFeed decodes a rendered feed with encoding/xml (strictly, so it must
// be well-formed) or encoding/json, checking on the way that RSS guids are
// not permalinks and Atom dates are RFC 3339.
func parseFeed(t *testing.T, f Format, body []byte) parsedFeed {
	t.Helper()
	type link struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	}
	var p parsedFeed
	nextOf := func(links []link) {
		for _, l := range links {
			if l.Rel == "next" {
				p.next = l.Href
			}
		}
	}
	switch f {
	case RSS:
		var doc struct {
			Items []struct {
				Title string `xml:"title"`
				GUID  struct {
					ID          string `xml:",chardata"`
					IsPermaLink string `xml:"isPermaLink,attr"`
				} `xml:"guid"`
			} `xml:"channel>item"`
			Links []link `xml:"http://www.w3.org/2005/Atom channel>link"`
		}
		if err := strictXML(body, &doc); err != nil {
			t.Fatalf("RSS is not well-formed: %v", err)
		}
		for _, it := range doc.Items {
			if it.GUID.IsPermaLink != "false" {
				t.Errorf("guid %q isPermaLink = %q, want false", it.GUID.ID, it.GUID.IsPermaLink)
			}
			p.ids, p.titles = append(p.ids, it.GUID.ID), append(p.titles, it.Title)
		}
		nextOf(doc.Links)
	case Atom:
		var doc struct {
			Entries []struct {
				ID      string `xml:"id"`
				Title   string `xml:"title"`
				Updated string `xml:"updated"`
			} `xml:"entry"`
			Links []link `xml:"link"`
		}
		if err := strictXML(body, &doc); err != nil {
			t.Fatalf("Atom is not well-formed: %v", err)
		}
		for _, e := range doc.Entries {
			if _, err := time.Parse(time.RFC3339, e.Updated); err != nil {
				t.Errorf("entry %s: updated %q is not RFC 3339", e.ID, e.Updated)
			}
			p.ids, p.titles = append(p.ids, e.ID), append(p.titles, e.Title)
		}
		nextOf(doc.Links)
	case JSON:
		var doc struct {
			NextURL string `json:"next_url"`
			Items   []struct {
				ID    string `json:"id"`
				Title string `json:"title"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("JSON Feed does not parse: %v", err)
		}
		for _, it := range doc.Items {
			p.ids, p.titles = append(p.ids, it.ID), append(p.titles, it.Title)
		}
		p.next = doc.NextURL
	}
	return p
}

// strictXML decodes the whole document, so any token error anywhere fails.
func strictXML(body []byte, v any) error {
	if err := xml.Unmarshal(body, v); err != nil {
		return err
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// TestJSONExtension checks the `_wirefeed` object field by field against
// DESIGN.md: cluster_id, first_seen and members with feed, feed_url, guid
// (as the source gave it), url, title and published.
func TestJSONExtension(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, JSON, goldenMeta, goldenStories()[:1]); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version string           `json:"version"`
		NextURL string           `json:"next_url"`
		Items   []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "https://jsonfeed.org/version/1.1" {
		t.Errorf("version = %q", doc.Version)
	}
	if doc.NextURL != goldenMeta.NextURL {
		t.Errorf("next_url = %q, want %q", doc.NextURL, goldenMeta.NextURL)
	}
	ext, ok := doc.Items[0]["_wirefeed"].(map[string]any)
	if !ok {
		t.Fatalf("item has no _wirefeed object: %v", doc.Items[0])
	}
	want := map[string]any{
		"cluster_id": "k5xv3yqztd2h4mfq",
		"first_seen": "2023-06-14T10:02:00Z",
		"members": []any{
			map[string]any{"feed": "BBC World", "feed_url": "https://feeds.bbci.co.uk/news/world/rss.xml", "guid": "https://www.bbc.co.uk/news/world-65900000",
				"url": "https://www.bbc.com/news/world-65900000", "title": "Blinken to visit Beijing", "published": "2023-06-14T09:53:00Z"},
			map[string]any{"feed": "AP World", "feed_url": "https://apnews.example/world.rss", "guid": "ap-7d1f",
				"url": "https://apnews.example/article/blinken-china-7d1f", "title": "Blinken heads to China in bid to ease tensions", "published": "2023-06-14T10:02:00Z"},
			map[string]any{"feed": "Daily Digest", "feed_url": "https://digest.example/feed", "guid": "digest-991",
				"url": "https://digest.example/2023/06/14/blinken", "title": "BREAKING: Blinken to China <again>", "published": "2023-06-14T10:42:00Z"},
		},
	}
	got, _ := json.Marshal(ext)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Errorf("_wirefeed = %s\nwant        %s", got, exp)
	}
	if doc.Items[0]["url"] != "https://apnews.example/article/blinken-china-7d1f" {
		t.Errorf("item url = %v, want the representative's", doc.Items[0]["url"])
	}
}

func TestXMLSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"tab\tnewline\ncr\r", "tab\tnewline\ncr\r"},
		{"nul\x00bell\x07vt\x0B", "nulbellvt"},
		{"\uFFFE\uFFFFok", "ok"},
		{"bad utf-8 \xff\xfe end", "bad utf-8 \uFFFD end"},
		{"emoji 🌍 kept", "emoji 🌍 kept"},
	}
	for _, tc := range tests {
		if got := xmlSafe(tc.in); got != tc.want {
			t.Errorf("xmlSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
