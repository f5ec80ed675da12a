// Package hostile is wirefeed's corpus of hostile feed documents: what an
// attacker who controls a feed (or a reader who controls a query) would
// send. Small payloads live in payloads/; the large ones (millions of
// nested elements, element floods, megabyte titles) are generated, so the
// repository holds no megabytes. Each payload says what wirefeed must do
// with it; the fetcher's and the command's tests run every one through
// the parser, `wirefeed inspect`, `wirefeed fetch` and every output.
package hostile

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"strings"
)

// Want is what wirefeed must do with a payload.
type Want int

const (
	// Rejected: the feed fails alone with a clear error (Payload.Reason),
	// is backed off, and nothing of it is stored.
	Rejected Want = iota
	// Stored: the feed is stored, bounded and cleaned; every output stays
	// well-formed and safe.
	Stored
)

func (w Want) String() string {
	if w == Rejected {
		return "rejected"
	}
	return "stored"
}

// Payload is one hostile document.
type Payload struct {
	Name string // file name in payloads/, or the generator's name
	Want Want
	// Reason is a phrase the error must contain (any case) when Want is
	// Rejected.
	Reason string
	// Gzip says the payload travels gzip-encoded (Content-Encoding: gzip),
	// as an attacker would send a large one.
	Gzip bool
	// Secrets must appear in no output, log or command output when the
	// payload is served from a feed URL that carries them (Query) and
	// inspected or fetched from that URL.
	Secrets []string
	// Query, when set, is the query string the feed's URL carries.
	Query string
	// Userinfo, when set, is the user:password the feed's URL carries.
	Userinfo string
	// About says what the payload tries.
	About string

	body []byte        // a file's bytes
	gen  func() []byte // makes a generated payload's bytes
}

// Body returns the payload's bytes. A generated payload is built anew at
// each call (up to 8 MB), so a test holds only the one it is using.
func (p Payload) Body() []byte {
	if p.gen != nil {
		return p.gen()
	}
	return p.body
}

//go:embed payloads/*.rss payloads/*.json payloads/*.html
var files embed.FS

// manifest lists the files in payloads/ with what wirefeed must do.
var manifest = []Payload{
	{Name: "active-content.rss", Want: Stored, About: "script, event handlers, javascript: links, iframes, forms, an early ]]> in content; escaped markup in titles"},
	{Name: "bidi-titles.rss", Want: Stored, About: "right-to-left overrides, embeddings and isolates in titles, authors, categories and the feed title; noncharacters"},
	{Name: "bidi-titles.json", Want: Stored, About: "the same in JSON Feed, which may also carry U+FFFE and U+FFFF"},
	{Name: "entities-billion-laughs.rss", Want: Stored, About: "nested DTD entities (billion laughs); encoding/xml never expands them"},
	{Name: "entities-external.rss", Want: Stored, About: "external entities naming /etc/passwd and the cloud metadata address; never read"},
	{Name: "entities-illegal-characters.rss", Want: Rejected, Reason: "illegal character code", About: "a character reference to U+0000"},
	{Name: "namespace-flood.rss", Want: Rejected, Reason: "namespace declarations in scope", About: "40 namespace declarations, which the parser copies at every element"},
	{Name: "html-page.html", Want: Rejected, Reason: "HTML page", About: "a web page where a feed should be"},
	{Name: "credentials-in-links.rss", Want: Stored, About: "links that carry the reader's user:password and the feed's API key",
		Userinfo: "reader:hunter2-link", Query: "api_key=Fe3dK3y-0f-Private-W1re&lang=en", Secrets: []string{"hunter2-link", "Fe3dK3y-0f-Private-W1re"}},
}

// Files returns the payloads kept in payloads/.
func Files() ([]Payload, error) {
	out := make([]Payload, 0, len(manifest))
	for _, p := range manifest {
		b, err := files.ReadFile("payloads/" + p.Name)
		if err != nil {
			return nil, fmt.Errorf("hostile: %w", err)
		}
		p.body = b
		out = append(out, p)
	}
	return out, nil
}

// Sizes of the generated payloads: the 8 MB of the attacks in issue 9,
// under the default 8 MiB body cap, so only the new bounds stop them.
const (
	crashNesting = 2_700_000 // nested elements that overflowed gofeed's stack
	floodCount   = 760_000   // small elements that took 1.1 GB to parse
)

// Generated returns the large payloads; Body builds each in memory.
func Generated() []Payload {
	return []Payload{
		{Name: "nesting-2.7m.rss", Want: Rejected, Reason: "nests too deep", Gzip: true, gen: func() []byte { return nestedRSS(crashNesting) },
			About: "2.7 million nested elements in an item extension (8 MB, 8 KB gzipped): a fatal stack overflow in gofeed"},
		{Name: "nesting-300.atom", Want: Rejected, Reason: "nests too deep", gen: func() []byte { return nestedAtom(300) },
			About: "300 levels of XHTML in an Atom entry: just past the default depth"},
		{Name: "nesting.json", Want: Rejected, Reason: "nests too deep", Gzip: true, gen: func() []byte { return nestedJSON(crashNesting) },
			About: "2.7 million nested arrays in a JSON Feed item"},
		{Name: "element-flood-760k.rss", Want: Rejected, Reason: "too many elements", Gzip: true, gen: func() []byte { return elementFlood(floodCount) },
			About: "760,000 small elements with an attribute each in one item (8 MB): 1.1 GB to parse"},
		{Name: "item-flood.json", Want: Rejected, Reason: "too many elements", Gzip: true, gen: func() []byte { return jsonItemFlood(2_600_000) },
			About: "2.6 million empty JSON Feed items (8 MB): 1.8 GB to parse"},
		{Name: "attribute-flood.rss", Want: Rejected, Reason: "too many elements", Gzip: true, gen: func() []byte { return attributeFlood(600_000) },
			About: "600,000 attributes on one element"},
		{Name: "text-pieces.rss", Want: Rejected, Reason: "too many pieces", Gzip: true, gen: func() []byte { return textPieces(200_000) },
			About: "an extension element whose text comes in 200,000 pieces: the parser joins them in quadratic time"},
		{Name: "huge-title.rss", Want: Stored, Gzip: true, gen: func() []byte { return hugeTitle(4 << 20) },
			About: "a 4 MB title: stored cut to the title limit"},
		{Name: "huge-content.rss", Want: Stored, Gzip: true, gen: func() []byte { return hugeContent(6 << 20) },
			About: "a 6 MB body: stored cut to the body limit"},
		{Name: "many-items.rss", Want: Stored, Gzip: true, gen: func() []byte { return manyItems(3000) },
			About: "3,000 ordinary items: the first 500 are kept"},
		{Name: "under-the-bounds.rss", Want: Stored, Gzip: true, gen: func() []byte { return underTheBounds() },
			About: "250 levels deep and 86,000 elements: large but within every bound, so stored"},
	}
}

// All returns every payload: the files, then the generated ones.
func All() ([]Payload, error) {
	f, err := Files()
	if err != nil {
		return nil, err
	}
	return append(f, Generated()...), nil
}

// Gzipped returns body gzip-compressed.
func Gzipped(body []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = zw.Write(body) // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return b.Bytes()
}

const rssHead = `<?xml version="1.0" encoding="utf-8"?>` + "\n" +
	`<rss version="2.0" xmlns:x="http://extension.example/ns" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>%s</title><link>https://hostile.example/</link>` + "\n"

func item(i int, title, extra string) string {
	return fmt.Sprintf("<item><title>%s</title><link>https://hostile.example/story/%d</link><guid>https://hostile.example/story/%d</guid><pubDate>Wed, 14 Jun 2023 10:00:00 GMT</pubDate><description>Report %d: delegates met again and issued a statement.</description>%s</item>\n",
		title, i, i, i, extra)
}

// nestedRSS never closes its elements: the parser recurses as it reads.
func nestedRSS(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, rssHead, "Deep")
	b.WriteString(`<item><title>Deep</title><link>https://hostile.example/deep</link><x:deep>`)
	b.Write(bytes.Repeat([]byte("<a>"), n))
	return b.Bytes()
}

func nestedAtom(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Deep Atom</title><id>urn:deep</id><updated>2023-06-14T10:00:00Z</updated>`)
	b.WriteString(`<entry><title>Deep</title><id>urn:deep:1</id><updated>2023-06-14T10:00:00Z</updated><link href="https://hostile.example/atom/1"/><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">`)
	b.WriteString(strings.Repeat("<div>", n) + "text" + strings.Repeat("</div>", n))
	b.WriteString(`</div></content></entry></feed>`)
	return b.Bytes()
}

func nestedJSON(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version":"https://jsonfeed.org/version/1.1","title":"Deep JSON","items":[{"id":"1","title":"Deep","_deep":`)
	b.Write(bytes.Repeat([]byte("["), n))
	b.Write(bytes.Repeat([]byte("]"), n))
	b.WriteString(`}]}`)
	return b.Bytes()
}

func elementFlood(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, rssHead, "Flood")
	b.WriteString(`<item><title>Flood</title><link>https://hostile.example/flood</link>`)
	b.Write(bytes.Repeat([]byte(`<x:a b=""/>`), n))
	b.WriteString("</item></channel></rss>")
	return b.Bytes()
}

func jsonItemFlood(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"version":"https://jsonfeed.org/version/1.1","title":"Flood","items":[`)
	b.Write(bytes.Repeat([]byte("{},"), n))
	b.WriteString(`{"id":"last","title":"Last","url":"https://hostile.example/last"}]}`)
	return b.Bytes()
}

func attributeFlood(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, rssHead, "Attributes")
	b.WriteString(`<item><title>Attributes</title><link>https://hostile.example/attrs</link><x:a`)
	for i := range n {
		fmt.Fprintf(&b, ` a%d=""`, i)
	}
	b.WriteString("/></item></channel></rss>")
	return b.Bytes()
}

func textPieces(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, rssHead, "Pieces")
	b.WriteString(`<item><title>Pieces</title><link>https://hostile.example/pieces</link><x:note>`)
	b.Write(bytes.Repeat([]byte("some text, then a comment<!---->"), n))
	b.WriteString("</x:note></item></channel></rss>")
	return b.Bytes()
}

func hugeTitle(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, rssHead, "Huge title")
	b.WriteString(item(1, strings.Repeat("Summit ", n/7), ""))
	b.WriteString(item(2, "An ordinary neighbour", ""))
	b.WriteString("</channel></rss>")
	return b.Bytes()
}

func hugeContent(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, rssHead, "Huge content")
	para := "<p>Delegates from forty countries met in Geneva on Wednesday to discuss the ceasefire.</p>"
	b.WriteString(item(1, "A very long report", "<content:encoded><![CDATA["+strings.Repeat(para, n/len(para))+"]]></content:encoded>"))
	b.WriteString("</channel></rss>")
	return b.Bytes()
}

func manyItems(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, rssHead, "Many items")
	for i := range n {
		b.WriteString(item(i, fmt.Sprintf("Story number %d from the archive", i), ""))
	}
	b.WriteString("</channel></rss>")
	return b.Bytes()
}

// underTheBounds is large in every way the bounds measure, and within all
// of them with the defaults: 250 levels, about 86,000 elements, one per 40
// bytes or so, three namespaces, an extension's text in a few pieces.
func underTheBounds() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, rssHead, "Large but fair")
	b.WriteString(item(0, "Deep but fair", "<x:deep>"+strings.Repeat("<x:l>", 249)+"bottom"+strings.Repeat("</x:l>", 249)+"</x:deep>"))
	ext := strings.Repeat(`<x:tag>an extension value of some length</x:tag>`, 40)
	for i := 1; i <= 2000; i++ {
		b.WriteString(item(i, fmt.Sprintf("Story %d", i), ext+"<x:note>one<![CDATA[two]]>three<!-- four -->five</x:note>"))
	}
	b.WriteString("</channel></rss>")
	return b.Bytes()
}
