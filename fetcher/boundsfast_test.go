package fetcher

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirefeed/wirefeed/internal/fixtures"
	"github.com/wirefeed/wirefeed/internal/hostile"
)

// fastBoundsLimits are the (depth, element budget) pairs the byte scan is
// checked at: small enough that the documents below reach them.
var fastBoundsLimits = [][2]int{{1, 3}, {2, 5}, {3, 8}, {4, 12}, {6, 20}, {10, 50}, {40, 200}, {DefaultMaxDepth, MinElements}}

// checkFastImpliesDecoder fails the test when the byte scan accepts a
// document the decoder pass refuses at any of fastBoundsLimits, and
// returns at how many limits the scan accepted.
func checkFastImpliesDecoder(t *testing.T, name string, doc []byte) int {
	t.Helper()
	accepted := 0
	for _, l := range fastBoundsLimits {
		if !xmlWithinBounds(doc, l[0], l[1]) {
			continue
		}
		accepted++
		if err := decodeXMLBounds(doc, l[0], l[1], l[1]); err != nil {
			t.Errorf("%s: byte scan accepts at depth %d, budget %d; decoder pass: %v\n%s", name, l[0], l[1], err, truncateRunes(string(doc), 300))
		}
	}
	return accepted
}

// TestXMLWithinBoundsImpliesDecoderPass: wherever the byte scan says a
// document is within the bounds, the decoder pass agrees, on documents
// written to sit where the two could part.
func TestXMLWithinBoundsImpliesDecoderPass(t *testing.T) {
	rss := func(inner string) string {
		return `<rss version="2.0" xmlns:x="http://x.example/"><channel>` + inner + `</channel></rss>`
	}
	tests := []struct {
		name     string
		doc      string
		scanned  bool // the byte scan reads it to the end (at the default bounds)
		refusals bool // and the decoder pass refuses it somewhere in fastBoundsLimits
	}{
		{"plain", rss(`<item><title>a &amp; b</title></item>`), true, true},
		{"prolog and PI", `<?xml version="1.0" encoding="utf-8"?><?xml-stylesheet href="s.xsl"?>` + rss(`<item/>`), true, true},
		{"comment", rss(`<!-- a <b> c --><x:a/>`), true, true},
		{"comment checkTags would end early", rss(`<x:a><!--> </x:a> --><x:b><x:c/></x:b></x:a>`), false, true},
		{"comment with -- inside", rss(`<!-- a -- b --><x:a/>`), false, true},
		{"CDATA", rss(`<x:a><![CDATA[<x:b><x:c>]]></x:a>`), true, true},
		{"DOCTYPE", `<!DOCTYPE rss [<!ENTITY a "<x:b>">]>` + rss(`<x:a/>`), false, true},
		{"mismatched end tag", rss(strings.Repeat(`<x:a></x:b>`, 30)), false, true},
		{"end tag with another prefix", rss(`<x:a></y:a>`), false, true},
		{"unquoted attribute", rss(`<x:a b=c><x:d/></x:a>`), false, true},
		{"attribute without value", rss(`<x:a b><x:d/></x:a>`), false, true},
		{"< in a value", rss(`<x:a b="<x:c>"><x:d/></x:a>`), false, true},
		{"> in a value", rss(`<x:a b="x > y" c='"'><x:d/></x:a>`), true, true},
		{"attributes without space between", rss(`<x:a b="1"c="2"/>`), true, true},
		{"non-ASCII name", rss(`<x:é/><x:a/>`), false, true},
		{"two colons", rss(`<x:a:b/><x:a/>`), false, true},
		{"namespace declarations", rss(`<x:a` + xmlnsDecls(3) + ` xmlns="http://d.example/"><b/></x:a>`), true, true},
		{"default namespace makes unprefixed elements extensions", rss(`<a xmlns="http://d.example/">` + strings.Repeat(`t<!---->`, 40) + `</a>`), true, true},
		{"text in pieces", rss(`<x:a>` + strings.Repeat(`t<![CDATA[u]]>`, 40) + `</x:a>`), true, true},
		{"unclosed", rss(strings.Repeat(`<x:a>`, 30)), false, true},
		{"unclosed at the end", `<rss><channel>` + strings.Repeat(`<x:a>`, 30), true, true},
		{"stray <", rss(`<x:a> 1 < 2 </x:a>`), false, true},
		{"]]> in text", rss(`<x:a>]]></x:a>` + strings.Repeat(`<x:b/>`, 20)), true, true},
		{"end tag at the top", `</a>` + rss(``), false, false},
		{"space in end tag", rss(`<x:a></x:a ><x:b/>`), true, true},
		{"empty", ``, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := []byte(tt.doc)
			if got := xmlWithinBounds(doc, DefaultMaxDepth, MinElements); got != tt.scanned {
				t.Errorf("xmlWithinBounds at the default bounds = %v, want %v", got, tt.scanned)
			}
			checkFastImpliesDecoder(t, tt.name, doc)
			refused := false
			for _, l := range fastBoundsLimits {
				refused = refused || decodeXMLBounds(doc, l[0], l[1], l[1]) != nil
			}
			if refused != tt.refusals {
				t.Errorf("decoder pass refuses at some limit = %v, want %v (the case does not test what it says)", refused, tt.refusals)
			}
		})
	}
}

// TestXMLWithinBoundsUnderMutation breaks ordinary and hostile documents
// at random places, with the bytes that change XML's structure, and checks
// the scan against the decoder pass on each.
func TestXMLWithinBoundsUnderMutation(t *testing.T) {
	bases := [][]byte{
		rssDoc("Mutated", "m", 3),
		[]byte(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"><entry><title type="html">a &lt;b&gt;</title><media:group><media:content url="u"/><!-- c --></media:group><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x<![CDATA[y]]>z</p></div></content></entry></feed>`),
	}
	for _, p := range hostile.Generated() {
		if b := p.Body(); len(b) < 4096 && isXML(b) {
			bases = append(bases, b)
		}
	}
	pieces := []string{"<", ">", "/", "</", "/>", "<!--", "-->", "--", "<![CDATA[", "]]>", "<?", "?>", "<!", `"`, "'", "=", " ", ":", "<x:a>", "</x:a>", "<x:a/>", `xmlns:q="z" `, `xmlns="d" `, "&amp;", "é"}
	rng := rand.New(rand.NewPCG(13, 2))
	runs, scanned := 0, 0
	for range 3000 {
		doc := bytes.Clone(bases[rng.IntN(len(bases))])
		for range 1 + rng.IntN(4) {
			at := rng.IntN(len(doc) + 1)
			switch rng.IntN(3) {
			case 0: // insert
				doc = append(doc[:at:at], append([]byte(pieces[rng.IntN(len(pieces))]), doc[at:]...)...)
			case 1: // delete a few bytes
				doc = append(doc[:at:at], doc[min(len(doc), at+1+rng.IntN(4)):]...)
			case 2: // repeat a span, to deepen or widen
				end := min(len(doc), at+1+rng.IntN(40))
				doc = append(doc[:end:end], append(bytes.Repeat(doc[at:end], 1+rng.IntN(8)), doc[end:]...)...)
			}
		}
		runs++
		if checkFastImpliesDecoder(t, "mutant", doc) > 0 {
			scanned++
		}
	}
	t.Logf("%d mutants; the byte scan accepted %d of them at some limit", runs, scanned)
	if scanned < runs/10 {
		t.Errorf("the byte scan accepted only %d of %d mutants: the check checks little", scanned, runs)
	}
}

// TestXMLWithinBoundsReadsOrdinaryFeeds: the scan reads every XML
// document of the generated corpus (the fast path is the common path),
// and it agrees with the decoder pass on the shared corpus of real feeds.
func TestXMLWithinBoundsReadsOrdinaryFeeds(t *testing.T) {
	c := fixtures.GenerateCorpus(fixtures.CorpusOptions{Feeds: 12, Items: 10})
	for _, f := range c.Feeds {
		if f.Format == "json" {
			continue
		}
		if !xmlWithinBounds(f.Body, DefaultMaxDepth, (Limits{}).elementBudget(len(f.Body))) {
			t.Errorf("%s (%s): the byte scan gives up on a generated feed", f.Name, f.Format)
		}
	}
	dir := sharedCorpus(t)
	n, fast := 0, 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		utf8Body, _, err := toUTF8(body, "")
		if err != nil || !isXML(utf8Body) || firstSignificant(utf8Body) == '{' {
			return nil
		}
		n++
		lim := Limits{}
		if xmlWithinBounds(utf8Body, lim.maxDepth(), lim.elementBudget(len(utf8Body))) {
			fast++
		}
		if len(utf8Body) < 64<<10 {
			checkFastImpliesDecoder(t, path, utf8Body)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the byte scan read %d of %d XML documents of the shared corpus", fast, n)
}

// FuzzXMLWithinBounds: whatever the document, the byte scan never accepts
// what the decoder pass refuses.
func FuzzXMLWithinBounds(f *testing.F) {
	addTestdataSeeds(f)
	f.Add([]byte(`<rss><channel><x:a xmlns:x="u"><!-- c --><![CDATA[d]]></x:a></channel></rss>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkFastImpliesDecoder(t, "fuzz", doc)
	})
}
