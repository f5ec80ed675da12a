package fetcher

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

// seenAt is the first-seen time the normalisation tests pass to Parse.
var seenAt = time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)

func parseFixture(t *testing.T, name, feedURL string) *Document {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(b, "", feedURL, seenAt, Limits{})
	if err != nil {
		t.Fatalf("Parse(%s) error: %v", name, err)
	}
	return doc
}

func itemByGUID(t *testing.T, doc *Document, guid string) wirefeed.Item {
	t.Helper()
	for _, it := range doc.Items {
		if it.GUID == guid {
			return it
		}
	}
	var guids []string
	for _, it := range doc.Items {
		guids = append(guids, it.GUID)
	}
	t.Fatalf("no item with GUID %q; have %q", guid, guids)
	return wirefeed.Item{}
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseRSSNormalisation(t *testing.T) {
	doc := parseFixture(t, "rss_normalise.xml", "https://feeds.example.com/world.xml")

	if want := (wirefeed.FeedMeta{Title: "World & Diplomacy", Link: "https://news.example.com/world/", Language: "en-gb", Updated: utc("2023-06-14T10:00:00Z")}); doc.Meta != want {
		t.Errorf("Meta = %+v, want %+v", doc.Meta, want)
	}
	if doc.TTL != 30*time.Minute {
		t.Errorf("TTL = %v, want 30m (from <ttl>30</ttl>)", doc.TTL)
	}
	// Seven entries: one repeats a GUID and one carries nothing usable.
	if len(doc.Items) != 5 {
		t.Fatalf("got %d items, want 5", len(doc.Items))
	}

	t.Run("full item", func(t *testing.T) {
		it := itemByGUID(t, doc, "story-1")
		checks := []struct{ field, got, want string }{
			{"Title", it.Title, `Blinken & Wang meet in Beijing — "candid" talks`},
			{"URL", it.URL, "https://news.example.com/world/2023/06/blinken-wang?id=7"},
			{"Summary", it.Summary, "Short summary of the talks."},
			{"Text", it.Text, "BEIJING (AP) - The talks were candid.\n\nSee more and this."},
			{"ContentHTML", it.ContentHTML, `<p>BEIJING (AP) - The talks were <b>candid</b>.</p><p>See <a href="https://news.example.com/world/more">more</a> and this.</p>`},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
			}
		}
		if want := utc("2023-06-14T08:02:00Z"); !it.Published.Equal(want) || it.Published.Location() != time.UTC {
			t.Errorf("Published = %v, want %v in UTC", it.Published, want)
		}
		if !it.Updated.Equal(it.Published) {
			t.Errorf("Updated = %v, want Published (%v) when the source gives no update", it.Updated, it.Published)
		}
		if it.DateMissing {
			t.Error("DateMissing = true for a dated item")
		}
		if !slices.Equal(it.Authors, []string{"Jane Doe"}) {
			t.Errorf("Authors = %q, want [Jane Doe]", it.Authors)
		}
		if !slices.Equal(it.Categories, []string{"Asia", "US-China"}) {
			t.Errorf("Categories = %q, want [Asia US-China] (duplicates dropped)", it.Categories)
		}
	})
	t.Run("missing date is first seen", func(t *testing.T) {
		it := itemByGUID(t, doc, "https://news.example.com/world/undated")
		if !it.Published.Equal(seenAt) || !it.Updated.Equal(seenAt) || !it.DateMissing {
			t.Errorf("Published, Updated, DateMissing = %v, %v, %v; want %v, %v, true", it.Published, it.Updated, it.DateMissing, seenAt, seenAt)
		}
		if it.URL != "https://news.example.com/world/undated" {
			t.Errorf("URL = %q, want the AMP variant mapped to the article", it.URL)
		}
	})
	t.Run("far future date clamped", func(t *testing.T) {
		it := itemByGUID(t, doc, "https://news.example.com/world/future")
		if !it.Published.Equal(seenAt) {
			t.Errorf("Published = %v, want the first-seen time %v for a date in 2100", it.Published, seenAt)
		}
		if !slices.Equal(it.Authors, []string{"World Desk"}) {
			t.Errorf("Authors = %q, want [World Desk] from \"desk@example.com (World Desk)\"", it.Authors)
		}
	})
	t.Run("no guid and no link gets a stable derived key", func(t *testing.T) {
		var it wirefeed.Item
		for _, x := range doc.Items {
			if x.Title == "Story with no guid and no link" {
				it = x
			}
		}
		if !strings.HasPrefix(it.GUID, "wirefeed:sha256:") {
			t.Fatalf("GUID = %q, want a derived wirefeed:sha256: key", it.GUID)
		}
		again := parseFixture(t, "rss_normalise.xml", "https://feeds.example.com/world.xml")
		if itemByGUID(t, again, it.GUID).Title != it.Title {
			t.Error("the derived GUID changed between two parses of the same document")
		}
	})
	t.Run("repeated guid keeps the first", func(t *testing.T) {
		if it := itemByGUID(t, doc, "dup"); it.Title != "Repeated entry, first copy" {
			t.Errorf("Title = %q, want the first copy", it.Title)
		}
	})
}

func TestParseAtomXMLBase(t *testing.T) {
	doc := parseFixture(t, "atom_xmlbase.xml", "https://feeds.example.org/agency.atom")
	if doc.Meta.Title != "Agency World Service" || doc.Meta.Link != "https://agency.example.org/en/news/" {
		t.Errorf("Meta = %+v, want plain title and link resolved against xml:base", doc.Meta)
	}
	first := itemByGUID(t, doc, "tag:agency.example.org,2023:1")
	if first.URL != "https://agency.example.org/en/news/2023/ceasefire" {
		t.Errorf("URL = %q, want it resolved against the feed's xml:base", first.URL)
	}
	for _, want := range []string{`href="https://agency.example.org/en/news/2023/convoys.html"`, `src="https://agency.example.org/en/news/2023/img/map.png"`} {
		if !strings.Contains(first.ContentHTML, want) {
			t.Errorf("ContentHTML = %q, want %s (content's own xml:base)", first.ContentHTML, want)
		}
	}
	if first.Title != "Ceasefire talks & aid convoys" {
		t.Errorf("Title = %q", first.Title)
	}
	if want := utc("2023-06-14T11:30:00Z"); !first.Published.Equal(want) {
		t.Errorf("Published = %v, want %v (updated, as UTC, when published is absent)", first.Published, want)
	}
	if !slices.Equal(first.Authors, []string{"Ana Ruiz", "desk@agency.example.org"}) {
		t.Errorf("Authors = %q, want the name, else the e-mail", first.Authors)
	}
	if !slices.Equal(first.Categories, []string{"Middle East"}) {
		t.Errorf("Categories = %q", first.Categories)
	}

	second := itemByGUID(t, doc, "tag:agency.example.org,2023:2")
	if second.URL != "https://mirror.example.net/second" {
		t.Errorf("URL = %q, want it resolved against the entry's xml:base", second.URL)
	}
	if second.Title != "Second entry" {
		t.Errorf("Title = %q, want the XHTML title as plain text", second.Title)
	}
	if p, u := utc("2023-06-13T20:00:00Z"), utc("2023-06-14T06:00:00Z"); !second.Published.Equal(p) || !second.Updated.Equal(u) {
		t.Errorf("Published, Updated = %v, %v; want %v, %v", second.Published, second.Updated, p, u)
	}
}

func TestParseJSONFeed(t *testing.T) {
	doc := parseFixture(t, "jsonfeed.json", "https://json.example.com/feed.json")
	if doc.Meta.Title != "JSON World" || doc.Meta.Language != "fr" {
		t.Errorf("Meta = %+v", doc.Meta)
	}
	it := itemByGUID(t, doc, "j1")
	if it.URL != "https://json.example.com/a" {
		t.Errorf("URL = %q, want fbclid dropped", it.URL)
	}
	if it.Title != "Sommet & déclaration" {
		t.Errorf("Title = %q", it.Title)
	}
	if strings.Contains(it.ContentHTML, "script") {
		t.Errorf("ContentHTML = %q still has a script", it.ContentHTML)
	}
	if p, u := utc("2023-06-14T08:00:00Z"), utc("2023-06-14T09:00:00Z"); !it.Published.Equal(p) || !it.Updated.Equal(u) {
		t.Errorf("Published, Updated = %v, %v; want %v, %v", it.Published, it.Updated, p, u)
	}
	if !slices.Equal(it.Authors, []string{"Marie Curie"}) || !slices.Equal(it.Categories, []string{"Europe", "Diplomatie"}) {
		t.Errorf("Authors, Categories = %q, %q", it.Authors, it.Categories)
	}
	if plain := itemByGUID(t, doc, "j2"); plain.Text != "Texte brut\n\nsur deux paragraphes." {
		t.Errorf("Text of a content_text item = %q", plain.Text)
	}
}

// gofeed v1.4.2 dereferences nil on `"items":[null]` and `"authors":[null]`
// (upstream #355); Parse must turn that into an error for the feed.
func TestParseRecoversFromParserPanic(t *testing.T) {
	for _, name := range []string{"json_items_null.json", "json_authors_null.json"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(b, "application/feed+json", "https://example.com/feed.json", seenAt, Limits{})
			if !errors.Is(err, ErrParserPanic) {
				t.Fatalf("Parse = %v, %v; want an error wrapping ErrParserPanic", doc, err)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
		contains   string
	}{
		{"empty", "", ErrNotAFeed, "empty document"},
		{"white space", " \n\t ", ErrNotAFeed, "empty document"},
		{"HTML page", "<!DOCTYPE html><html><head><title>Home</title></head><body>hi</body></html>", ErrNotAFeed, "HTML page"},
		{"plain text", "Service temporarily unavailable", ErrNotAFeed, "no RSS, Atom or JSON Feed"},
		{"invalid XML", "<rss version=\"2.0\"><channel><title>x</title><item><title>a</item></channel>", nil, "parsing feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body), "", "https://example.com/feed", seenAt, Limits{})
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Parse error = %v, want it to wrap %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("Parse error = %q, want it to mention %q", err, tt.contains)
			}
		})
	}
}

// gofeed looks for the root element in the first 4 KB only.
func TestParseRootAfterLongProlog(t *testing.T) {
	body := `<?xml version="1.0"?>` + "\n<!-- " + strings.Repeat("padding ", 1000) + "-->\n" +
		`<!DOCTYPE rss [ <!ENTITY x "y"> ]>` + "\n" +
		`<rss version="2.0"><channel><title>Late root</title><item><title>a</title><link>https://e.example/a</link></item></channel></rss>`
	doc, err := Parse([]byte(body), "", "https://e.example/feed", seenAt, Limits{})
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	if doc.Meta.Title != "Late root" || len(doc.Items) != 1 {
		t.Errorf("got title %q and %d items, want \"Late root\" and 1", doc.Meta.Title, len(doc.Items))
	}
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>Many</title>`)
	for i := range 50 {
		b.WriteString("<item><title>" + strings.Repeat("t", 50) + "</title><guid>g" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "</guid><description>" + strings.Repeat("<p>word</p>", 100) + "</description></item>")
	}
	b.WriteString(`</channel></rss>`)
	doc, err := Parse([]byte(b.String()), "", "https://e.example/feed", seenAt, Limits{MaxItems: 10, MaxTitleRunes: 20, MaxHTMLBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Items) != 10 {
		t.Errorf("got %d items, want MaxItems = 10", len(doc.Items))
	}
	for _, it := range doc.Items {
		if n := len([]rune(it.Title)); n != 20 {
			t.Errorf("title has %d runes, want 20", n)
		}
		if len(it.ContentHTML) > 100 || !strings.HasSuffix(it.ContentHTML, "</p>") {
			t.Errorf("ContentHTML = %q (%d bytes), want at most 100 bytes cut at an element boundary", it.ContentHTML, len(it.ContentHTML))
		}
	}
}
