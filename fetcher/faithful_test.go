package fetcher

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests of issue 10's parsing findings: each runs on a document
// written here (always) and, where the issue names one, on the corpus file
// (skipped without ../shared).

func parseString(t *testing.T, doc, contentType string) *Document {
	t.Helper()
	d, err := Parse([]byte(doc), contentType, "https://news.example/feed", seenAt, Limits{})
	if err != nil {
		t.Fatalf("Parse error: %v", err)
	}
	return d
}

func corpusFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedCorpus(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rssItems writes an RSS document with n complete items.
func rssItems(n int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title><link>https://news.example/</link>`)
	for i := range n {
		fmt.Fprintf(&b, "\n<item><title>Story %d</title><link>https://news.example/%d</link><guid>g%d</guid><description>Text of story %d.</description></item>", i, i, i, i)
	}
	b.WriteString("\n</channel></rss>\n")
	return b.String()
}

// Item 1: a document cut short keeps every complete item before the cut
// and says so; an item the cut runs through is skipped, not stored half.
func TestParseTruncatedDocument(t *testing.T) {
	full := rssItems(5)
	cutInFifth := strings.Index(full, "<item><title>Story 4") + 30
	tests := []struct {
		name      string
		doc       string
		wantItems int
		wantLost  bool
	}{
		{"cut inside the fifth item", full[:cutInFifth], 4, true},
		{"cut after the fourth item", full[:strings.Index(full, "\n<item><title>Story 4")], 4, false},
		{"final </rss without >", strings.TrimSuffix(strings.TrimSpace(full), ">"), 5, false},
		{"cut inside a tag", full[:strings.Index(full, "<guid>g3")+3], 3, true},
		{"garbage inside an item", strings.Replace(full, "<title>Story 2</title>", "<title>Story 2</title><!-- unterminated", 1), 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseString(t, tt.doc, "")
			if len(doc.Items) != tt.wantItems || doc.Salvaged != tt.wantItems {
				t.Fatalf("items = %d (salvaged %d), want %d", len(doc.Items), doc.Salvaged, tt.wantItems)
			}
			for i, it := range doc.Items {
				if want := fmt.Sprintf("Story %d", i); it.Title != want || it.Text != fmt.Sprintf("Text of story %d.", i) {
					t.Errorf("item %d = %q / %q, want %q complete", i, it.Title, it.Text, want)
				}
			}
			if doc.Meta.Title != "Wire" {
				t.Errorf("feed title = %q", doc.Meta.Title)
			}
			if len(doc.Warnings) == 0 || !strings.HasPrefix(doc.Warnings[0], warnTruncated) {
				t.Errorf("warnings = %q, want a %s warning", doc.Warnings, warnTruncated)
			}
			lost := len(doc.Skipped) == 1 && strings.HasPrefix(doc.Skipped[0].Reason, "incomplete")
			if lost != tt.wantLost {
				t.Errorf("skipped = %+v, want an incomplete entry: %v", doc.Skipped, tt.wantLost)
			}
		})
	}
	t.Run("complete document has no warning", func(t *testing.T) {
		doc := parseString(t, full, "")
		if len(doc.Items) != 5 || doc.Salvaged != 0 || len(doc.Warnings) != 0 {
			t.Errorf("items %d, salvaged %d, warnings %q", len(doc.Items), doc.Salvaged, doc.Warnings)
		}
	})
	t.Run("broken first item still fails", func(t *testing.T) {
		_, err := Parse([]byte(full[:strings.Index(full, "<guid>g0")]), "", "", seenAt, Limits{})
		if err == nil {
			t.Error("Parse of a document whose only items are broken succeeded")
		}
	})
	t.Run("deeply nested junk is not repaired", func(t *testing.T) {
		deep := `<rss><channel><title>x</title>` + strings.Repeat("<a>", 10*maxRepairDepth)
		if _, err := Parse([]byte(deep), "", "", seenAt, Limits{}); err == nil {
			t.Error("Parse of unclosed nesting deeper than the repair bound succeeded")
		}
	})
}

func TestParseTruncatedCorpus(t *testing.T) {
	t.Run("entities/8217.xml", func(t *testing.T) {
		doc, err := Parse(corpusFile(t, "feedparser/tests/entities/8217.xml"), "", "", seenAt, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if doc.Meta.Title != "testing \u2019 entity" {
			t.Errorf("title = %q", doc.Meta.Title)
		}
	})
	t.Run("120 KB prefix of large_rss.xml", func(t *testing.T) {
		b := corpusFile(t, "miniflux-v2/internal/reader/parser/testdata/large_rss.xml")
		doc, err := Parse(b[:120<<10], "", "", seenAt, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if doc.Salvaged != 15 || len(doc.Items) != 15 { // feedparser recovers 15 too
			t.Errorf("salvaged %d items (%d kept), want 15", doc.Salvaged, len(doc.Items))
		}
	})
}

// Item 2: only HTML-typed text is markup.
func TestParsePlainTextTitles(t *testing.T) {
	atom := func(typ, title string) string {
		if typ != "" {
			typ = ` type="` + typ + `"`
		}
		return `<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><entry><id>e1</id><title` + typ + `>` + title + `</title></entry></feed>`
	}
	rss := func(title string) string {
		return `<rss version="2.0"><channel><title>F</title><item><guid>e1</guid><title>` + title + `</title></item></channel></rss>`
	}
	tests := []struct{ name, doc, want string }{
		{"Atom text with escaped less-than", atom("text", "5 &lt; 7 and x&lt;y"), "5 < 7 and x<y"},
		{"Atom untyped is text", atom("", "History of the &lt;blink&gt; tag"), "History of the <blink> tag"},
		{"Atom html is markup", atom("html", "&lt;b&gt;Bold&lt;/b&gt; move"), "Bold move"},
		{"Atom html keeps an escaped bracket", atom("html", "History of the &amp;lt;blink&amp;gt; tag"), "History of the <blink> tag"},
		{"Atom xhtml", atom("xhtml", `<div xmlns="http://www.w3.org/1999/xhtml">A <b>bold</b> step</div>`), "A bold step"},
		{"RSS plain brackets stay", rss("History of the &lt;blink&gt; tag"), "History of the <blink> tag"},
		{"RSS comparison stays", rss("5 &lt; 7 and x&lt;y"), "5 < 7 and x<y"},
		{"RSS escaped HTML is markup", rss("&lt;b&gt;Talks&lt;/b&gt; resume"), "Talks resume"},
		{"RSS entity-escaped text", rss("AT&amp;amp;T &amp;amp; Verizon"), "AT&T & Verizon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseString(t, tt.doc, "")
			if len(doc.Items) != 1 || doc.Items[0].Title != tt.want {
				t.Fatalf("title = %+v, want %q", doc.Items, tt.want)
			}
		})
	}
	for _, rel := range []string{"wellformed/atom10/entry_title_text_plain_brackets.xml", "wellformed/atom/entry_title_text_plain_brackets.xml"} {
		t.Run(rel, func(t *testing.T) {
			doc, err := Parse(corpusFile(t, "feedparser/tests/"+rel), "", "", seenAt, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if got := allItems(doc)[0].Title; got != "History of the <blink> tag" {
				t.Errorf("title = %q", got)
			}
		})
	}
}

// Items 3 and 4: Dublin Core terms dates, every creator, Atom terms,
// Media RSS and iTunes categories.
func TestParseDatesAuthorsCategories(t *testing.T) {
	doc := parseString(t, `<rss version="2.0" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>F</title>
<item><guid>d1</guid><title>Issued</title><dcterms:issued>2003-12-31T10:14:55Z</dcterms:issued><dcterms:modified>2004-01-02T08:00:00+01:00</dcterms:modified>
<dc:creator>Ann Author</dc:creator><dc:creator>Bob Writer</dc:creator>
<category>World</category><media:category scheme="urn:x">Diplomacy</media:category>
<itunes:category text="News"><itunes:category text="Politics"/></itunes:category><itunes:keywords>trade, tariffs</itunes:keywords></item>
<item><guid>d2</guid><title>Created</title><dcterms:created>2003-06-01</dcterms:created></item>
</channel></rss>`, "")
	d1 := itemByGUID(t, doc, "d1")
	if d1.DateMissing || d1.Published != utc("2003-12-31T10:14:55Z") || d1.Updated != utc("2004-01-02T07:00:00Z") {
		t.Errorf("d1 dates = %v / %v (missing %v)", d1.Published, d1.Updated, d1.DateMissing)
	}
	if want := []string{"Ann Author", "Bob Writer"}; !equalStrings(d1.Authors, want) {
		t.Errorf("authors = %q, want %q", d1.Authors, want)
	}
	if want := []string{"World", "trade", "tariffs", "Diplomacy", "News", "Politics"}; !equalStrings(d1.Categories, want) {
		t.Errorf("categories = %q, want %q", d1.Categories, want)
	}
	if d2 := itemByGUID(t, doc, "d2"); d2.Published != utc("2003-06-01T00:00:00Z") {
		t.Errorf("d2 published = %v", d2.Published)
	}

	atom := parseString(t, `<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title><entry><id>a1</id><title>T</title>
<category term="world-news" label="World news"/><category term="eu"/></entry></feed>`, "")
	if want := []string{"world-news", "eu"}; !equalStrings(atom.Items[0].Categories, want) {
		t.Errorf("Atom categories = %q, want the terms %q", atom.Items[0].Categories, want)
	}

	t.Run("rss/item_dcterms_issued.xml", func(t *testing.T) {
		doc, err := Parse(corpusFile(t, "feedparser/tests/wellformed/rss/item_dcterms_issued.xml"), "", "", seenAt, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		// The entry has nothing but a date, so it is skipped; the date is
		// read all the same.
		if it := allItems(doc)[0]; it.Published != utc("2003-12-31T10:14:55Z") {
			t.Errorf("published = %v", it.Published)
		}
	})
}

func equalStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00")
}

// Item 5: a GUID is an identity, stored byte for byte.
func TestParseGUIDsVerbatim(t *testing.T) {
	for _, id := range []string{"HTTP://www.example.org/thing", "http://www.example.com/%7ebob", "http://www.EXAMPLE.org/a%20b", "tag:example.org,2023:/x y"} {
		doc := parseString(t, `<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title><id> `+id+` </id></entry></feed>`, "")
		if got := doc.Items[0].GUID; got != id {
			t.Errorf("Atom id %q stored as %q", id, got)
		}
		doc = parseString(t, `<rss><channel><item><title>T</title><guid isPermaLink="false">`+id+`</guid></item></channel></rss>`, "")
		if got := doc.Items[0].GUID; got != id {
			t.Errorf("RSS guid %q stored as %q", id, got)
		}
	}
	t.Run("atom10/entry_id_no_normalization_4.xml", func(t *testing.T) {
		doc, err := Parse(corpusFile(t, "feedparser/tests/wellformed/atom10/entry_id_no_normalization_4.xml"), "", "", seenAt, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if got := allItems(doc)[0].GUID; got != "HTTP://www.example.org/thing" {
			t.Errorf("id = %q", got)
		}
	})
	t.Run("node_precedence/atom10_id.xml", func(t *testing.T) {
		doc, err := Parse(corpusFile(t, "feedparser/tests/wellformed/node_precedence/atom10_id.xml"), "", "", seenAt, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		all := allItems(doc)
		if len(all) != 2 || all[0].GUID != "Correct Value" || all[1].GUID != "Correct Value" {
			t.Errorf("entries = %+v, want both with id %q", all, "Correct Value")
		}
	})
}

// Item 6: UTF-8 encoded twice is repaired; undeclared legacy encodings are
// detected.
func TestRepairDoubleUTF8(t *testing.T) {
	tests := []struct{ in, want string }{
		{"â€¦", "…"},
		{"itâ€™s", "it’s"},
		{"CafÃ© Ã‰lysÃ©e", "Café Élysée"},
		{"â\u0080¦", "…"}, // Latin-1 reading, with a C1 control
		{"Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет"},
		{"Café Élysée", "Café Élysée"}, // real Latin-1 text is not UTF-8 by chance
		{"RÉSUMÉ—the plan", "RÉSUMÉ—the plan"},
		{"plain ASCII", "plain ASCII"},
		{"mixed “quotes” and â€¦", "mixed “quotes” and â€¦"}, // not wholly double-encoded: left alone
		{"日本語", "日本語"},
		{"it’s “quoted”", "it’s “quoted”"}, // a stray continuation byte: left alone at once
		{"’", "’"},
		{"x© and Ã©", "x© and Ã©"},
	}
	for _, tt := range tests {
		if got := repairDoubleUTF8(tt.in); got != tt.want {
			t.Errorf("repairDoubleUTF8(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	t.Run("encoding/double-encoded-html.xml", func(t *testing.T) {
		doc, err := Parse(corpusFile(t, "feedparser/tests/encoding/double-encoded-html.xml"), "", "", seenAt, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if got := allItems(doc)[0].Text; got != "…" {
			t.Errorf("description = %q, want …", got)
		}
	})
}

func TestCharsetDetectorUndeclared(t *testing.T) {
	dir := filepath.Join(sharedCorpus(t), "feedparser", "tests", "illformed", "chardet")
	want := map[string]string{"big5.xml": "big5", "eucjp.xml": "euc-jp", "euckr.xml": "euc-kr", "gb2312.xml": "gb18030",
		"koi8r.xml": "koi8-r", "shiftjis.xml": "shift_jis", "windows1255.xml": "iso-8859-8-i"}
	right := 0
	for name, enc := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, got, err := toUTF8(b, "")
		if err != nil {
			t.Fatal(err)
		}
		if got == enc {
			right++
		} else {
			t.Errorf("%s decoded as %s, want %s", name, got, enc)
		}
	}
	// TIS-620 is not among the detector's encodings: windows-1252, as
	// before. A declared encoding is never second-guessed.
	b, _ := os.ReadFile(filepath.Join(dir, "koi8r.xml"))
	if _, got, _ := toUTF8(b, "text/xml; charset=windows-1251"); got != "windows-1251" {
		t.Errorf("declared windows-1251 decoded as %s", got)
	}
	t.Logf("chardet cases decoded right: %d of %d (tis620.xml is not detectable)", right, len(want))
}

// Item 7: Atom 0.3 base64 content typed as HTML, and RSS bodies in <body>,
// <xhtml:body> and <fullitem>, are read as content.
func TestParseOtherBodies(t *testing.T) {
	tests := []struct{ name, doc, wantText string }{
		{"Atom 0.3 base64 HTML", `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><id>x</id>
<content type="text/html" mode="base64">PHA+RXhhbXBsZSA8Yj5BdG9tPC9iPjwvcD4=</content></entry></feed>`, "Example Atom"},
		{"RSS xhtml body", `<rss version="2.0"><channel><item><guid>x</guid>
<body xmlns="http://www.w3.org/1999/xhtml"><p>Example <b>content</b></p></body></item></channel></rss>`, "Example content"},
		{"RSS prefixed xhtml:body", `<rss version="2.0" xmlns:xhtml="http://www.w3.org/1999/xhtml"><channel><item><guid>x</guid>
<xhtml:body><xhtml:p>Example content</xhtml:p></xhtml:body></item></channel></rss>`, "Example content"},
		{"RSS fullitem", `<rss version="2.0"><channel><item><guid>x</guid><fullitem>&lt;p>Full &lt;i>text&lt;/i>&lt;/p></fullitem></item></channel></rss>`, "Full text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := parseString(t, tt.doc, "")
			if len(doc.Items) != 1 {
				t.Fatalf("items = %d, skipped %+v; want the entry kept", len(doc.Items), doc.Skipped)
			}
			if got := doc.Items[0].Text; got != tt.wantText {
				t.Errorf("text = %q, want %q (html %q)", got, tt.wantText, doc.Items[0].ContentHTML)
			}
		})
	}
}

// Item 9, the parsing half: entries sharing a GUID but neither link nor
// body are distinct items keyed by GUID and link; true repeats are
// skipped.
func TestParseGUIDCollisions(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<rss version="2.0"><channel><title>F</title>`)
	for i := range 20 {
		fmt.Fprintf(&b, `<item><guid>same</guid><title>Story %d</title><link>https://news.example/%d</link><description>Body number %d is its own.</description></item>`, i, i, i)
	}
	b.WriteString(`<item><guid>same</guid><title>Story 0 again</title><link>https://news.example/0</link></item>`)
	b.WriteString(`</channel></rss>`)
	doc := parseString(t, b.String(), "")
	if len(doc.Items) != 20 {
		t.Fatalf("items = %d, want 20", len(doc.Items))
	}
	keys := map[string]bool{}
	for i, it := range doc.Items {
		if it.GUID != "same" {
			t.Errorf("item %d GUID = %q, want the GUID as given", i, it.GUID)
		}
		if want := "same https://news.example/" + fmt.Sprint(i); it.IdentityKey() != want {
			t.Errorf("item %d key = %q, want %q", i, it.IdentityKey(), want)
		}
		keys[it.IdentityKey()] = true
	}
	if len(keys) != 20 {
		t.Errorf("%d distinct keys, want 20", len(keys))
	}
	if len(doc.Skipped) != 1 || !strings.Contains(doc.Skipped[0].Reason, "repeats entry 1") {
		t.Errorf("skipped = %+v, want the repeat of entry 1", doc.Skipped)
	}
	if len(doc.Warnings) != 1 || !strings.HasPrefix(doc.Warnings[0], warnGUIDCollision) {
		t.Errorf("warnings = %q", doc.Warnings)
	}
	// Entries over the item limit are listed once, with how many.
	capped, err := Parse([]byte(rssItems(5)), "", "", seenAt, Limits{MaxItems: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(capped.Items) != 3 || len(capped.Skipped) != 1 || !strings.HasPrefix(capped.Skipped[0].Reason, "2 entries from entry 4 on: over the limit of 3") {
		t.Errorf("capped: %d items, skipped %+v", len(capped.Items), capped.Skipped)
	}
	// Without collisions the key is the GUID.
	if it := parseString(t, rssItems(2), "").Items[1]; it.Key != "" || it.IdentityKey() != "g1" {
		t.Errorf("key of a plain item = %q / %q", it.Key, it.IdentityKey())
	}
}

// TestCorpusTruncationSweep cuts miniflux's real 25-post captures (RSS and
// Atom) at every tenth of their length and checks that each prefix yields
// exactly the items that are complete before the cut: every one of them,
// and no half item. It prints the items recovered.
func TestCorpusTruncationSweep(t *testing.T) {
	dir := filepath.Join(sharedCorpus(t), "miniflux-v2", "internal", "reader", "parser", "testdata")
	total, complete := 0, 0
	for _, c := range []struct{ file, end string }{{"large_rss.xml", "</item>"}, {"large_atom.xml", "</entry>"}} {
		b, err := os.ReadFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Fatal(err)
		}
		for tenth := 1; tenth <= 9; tenth++ {
			cut := len(b) * tenth / 10
			want := strings.Count(string(b[:cut]), c.end)
			doc, err := Parse(b[:cut], "", "https://example.com/feed", seenAt, Limits{})
			got := 0
			if err == nil {
				got = len(doc.Items)
			} else if want > 0 {
				t.Errorf("%s cut at %d/10: %v", c.file, tenth, err)
			}
			if got != want {
				t.Errorf("%s cut at %d/10: %d items, want the %d complete ones", c.file, tenth, got, want)
			}
			total += got
			complete += want
		}
	}
	t.Logf("items recovered from 18 truncated prefixes: %d of %d complete items", total, complete)
}
