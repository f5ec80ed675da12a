package fetcher

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/htmlsafe"
)

// fastPieces are what TestSanitizedFastAgreesWithTokenizer builds HTML
// from: what the sanitiser writes, and what sanitizedFast must refuse or
// read as the tokenizer does (self-closing tags, entities with and without
// their semicolon, raw-text elements, comments, upper case, odd spacing).
var fastPieces = []string{
	"text", " ", "  ", "\n", "\n\n", "\t", "é中", "\u00a0", "\x00", "\r\n", "<p>", "</p>", "<div>", "</div>", "<br>", "<br/>", "<br />",
	"<b>", "</b>", "<li>", "</li>", "<h2>", "</h2>", "<svg>", "</svg>", "<title>", "</title>", "<script>", "</script>", "<textarea>",
	`<a href="/rel/x">`, `<a href="https://abs.example/?a=1&amp;b=2">`, `<a href="x&b=2">`, `<a href="../up" rel="nofollow">`, "</a>",
	`<img src="a.jpg"/>`, `<img src="a.jpg" alt="&#34;q&#34;">`, `<img alt="x"/>`, `<a href=/unquoted>`, `<a href='single'>`, `<a name>`,
	`<A HREF="/UP">`, "</A>", `<p class="x" >`, `<time datetime="2026-11-10">`, "</time>", `<a data-x:y="1" href="mailto:a@b.example">`,
	"&amp;", "&lt;", "&gt;", "&#39;", "&#34;", "&quot;", "&nbsp;", "&#x2019;", "&#8217;", "&amp", "&notit;", "&copy;", "&", "&#;", "&#x;",
	"\r", "\r\r", `<a href="/a\rb">`, `<a href="/p?x=1&copy=2">`, `<a href="/1" href="/2">`, `<img src="/i?a=1&notit;">`, "&#X41;",
	"<!-- c -->", "<!DOCTYPE html>", "<?pi?>", "< b", "a > b", "</>", "<", ">", "</p", `<a href="x`, "<p/>", "<custom-el>",
}

// TestSanitizedFastAgreesWithTokenizer checks that where sanitizedFast
// reads a document, it gives what the tokenizer passes give (of
// sanitizeWithText and htmlToText), on random
// documents and on every body of the generated corpus once sanitised;
// and that it reads most of the sanitiser's output (the point of it).
func TestSanitizedFastAgreesWithTokenizer(t *testing.T) {
	base, _ := url.Parse("https://news.example/world/story.html")
	check := func(doc string) bool {
		resolve := strings.Contains(doc, "=")
		text, h, ok := sanitizedFast(doc, base, resolve)
		if !ok {
			return false
		}
		wantHTML, wantText := tokenizedWithText(doc, base, resolve)
		if gotHTML, gotText := strings.TrimSpace(h), foldParagraphs(text); gotHTML != wantHTML || gotText != wantText {
			t.Fatalf("sanitizedFast(%q)\n= %q, %q\nwant %q, %q", doc, gotHTML, gotText, wantHTML, wantText)
		}
		if got, want := htmlToText(doc), htmlToTextTokenized(doc); got != want {
			t.Fatalf("htmlToText(%q) = %q, want %q", doc, got, want)
		}
		return true
	}
	r := rand.New(rand.NewPCG(9, 21))
	read := 0
	const docs = 40000
	for range docs {
		var b strings.Builder
		for range r.IntN(10) {
			b.WriteString(fastPieces[r.IntN(len(fastPieces))])
		}
		if check(b.String()) {
			read++
		}
	}
	if read < docs/20 || read == docs {
		t.Fatalf("sanitizedFast read %d of %d random documents: the test covers too little of one side", read, docs)
	}
	bodies, sane := 0, 0
	for _, f := range fixtures.GenerateCorpus(fixtures.CorpusOptions{Feeds: 10}).Feeds {
		feed, _, err := parseFeed(f.Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range feed.Items {
			for _, body := range []string{it.Content, it.Description} {
				if strings.TrimSpace(body) == "" {
					continue
				}
				bodies++
				if check(htmlsafe.Sanitize(fixC1(body))) {
					sane++
				}
			}
		}
	}
	if sane < bodies*9/10 {
		t.Fatalf("sanitizedFast read %d of %d sanitised corpus bodies, want 90%%", sane, bodies)
	}
	t.Logf("read %d of %d random documents, %d of %d sanitised corpus bodies", read, docs, sane, bodies)
}

// FuzzSanitizedFast looks for a document that sanitizedFast reads
// otherwise than the tokenizer passes.
func FuzzSanitizedFast(f *testing.F) {
	for _, s := range fastPieces {
		f.Add(s + "x" + s)
	}
	f.Add(`<p class="a">One &amp; <a href="/r?a=1&amp;b=2">two</a><br/></p><img src="i.jpg" alt="&#34;"/>`)
	base, _ := url.Parse("https://news.example/world/story.html")
	f.Fuzz(func(t *testing.T, doc string) {
		resolve := strings.Contains(doc, "=")
		text, h, ok := sanitizedFast(doc, base, resolve)
		if !ok {
			return
		}
		wantHTML, wantText := tokenizedWithText(doc, base, resolve)
		if gotHTML, gotText := strings.TrimSpace(h), foldParagraphs(text); gotHTML != wantHTML || gotText != wantText {
			t.Fatalf("sanitizedFast(%q)\n= %q, %q\nwant %q, %q", doc, gotHTML, gotText, wantHTML, wantText)
		}
	})
}
