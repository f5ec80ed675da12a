package fetcher

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Bounds on the structure of one document, checked before gofeed sees it.
//
// gofeed parses namespaced extension elements recursively: a few million
// nested elements overflow the goroutine stack, which is a fatal error that
// no recover catches, so one feed could kill the daemon at every restart.
// It holds 300 to 700 bytes per element or JSON value, so a flood of tiny
// elements costs a hundred times the document's size; it copies the
// namespace bindings in scope at every element; and it joins the text of
// an extension element piece by piece, which is quadratic when the text
// comes in many pieces (split by comments or CDATA sections). One
// streaming pass with the standard tokenizers, holding only the open
// elements, measures all of that first.
const (
	// DefaultMaxDepth bounds element nesting (JSON: arrays and objects).
	// Real feeds nest under 30 levels, XHTML content included.
	DefaultMaxDepth = 256
	// DefaultMaxElements bounds the elements and attributes of a document
	// (JSON: its values and keys), whatever its size.
	DefaultMaxElements = 100_000
	// BytesPerElement is the average size each element (or attribute, or
	// JSON value) must account for beyond the first MinElements, so that
	// parse memory stays a small multiple of the document's size. Real
	// feeds use 50 to 700 bytes per element.
	BytesPerElement = 32
	// MinElements is what any document may hold, whatever its size.
	MinElements = 10_000
	// MaxNamespaces bounds the namespace declarations in scope at any
	// element; real feeds declare under 20.
	MaxNamespaces = 32
	// MaxAttributes bounds the attributes of one element. The tokenizer
	// reads a start tag whole, so this also bounds what the bounds pass
	// itself holds at once.
	MaxAttributes = 1024
)

// ErrTooDeep is returned (wrapped) when a document nests elements deeper
// than Limits.MaxDepth.
var ErrTooDeep = errors.New("fetcher: document nests too deep")

// ErrTooManyElements is returned (wrapped) when a document holds more
// elements than its size accounts for or Limits.MaxElements allows.
var ErrTooManyElements = errors.New("fetcher: document has too many elements")

// ErrTooComplex is returned (wrapped) when a document would cost the
// parser far more than its size in other ways: too many namespace
// declarations in scope, or an extension element whose text comes in too
// many pieces.
var ErrTooComplex = errors.New("fetcher: document too costly to parse")

func (l Limits) maxDepth() int {
	if l.MaxDepth > 0 {
		return l.MaxDepth
	}
	return DefaultMaxDepth
}

// elementBudget is how many elements a document of n bytes may hold: one
// per BytesPerElement bytes, at least MinElements, at most MaxElements.
func (l Limits) elementBudget(n int) int {
	return min(l.maxElements(), max(MinElements, n/BytesPerElement))
}

func (l Limits) maxElements() int {
	if l.MaxElements > 0 {
		return l.MaxElements
	}
	return DefaultMaxElements
}

// textCopyBudget bounds the bytes gofeed copies while it joins the pieces
// of extension elements' text: a few times the document, as one piece per
// element costs.
func textCopyBudget(n int) int { return 4*n + 1<<20 }

// checkBounds makes one streaming pass over a UTF-8 document and returns
// an error wrapping ErrTooDeep, ErrTooManyElements or ErrTooComplex when
// gofeed should not be given it. It reads the document as gofeed will:
// JSON when the first character (after white space and byte-order-mark
// bytes, which gofeed skips) is '{', XML otherwise, with a decoder set up
// as gofeed's. A syntax error ends the pass without an error: gofeed's
// decoder stops at the same place, so it never sees more than was
// measured, and it reports the error in its own words.
func checkBounds(b []byte, lim Limits) error {
	if firstSignificant(b) == '{' {
		return checkJSONBounds(b, lim.maxDepth(), lim.elementBudget(len(b)), lim.maxElements())
	}
	return checkXMLBounds(b, lim.maxDepth(), lim.elementBudget(len(b)), lim.maxElements())
}

// firstSignificant returns the first byte gofeed's type detection looks
// at, or 0.
func firstSignificant(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\r', '\n', '\t', 0xFE, 0xFF, 0x00, 0xEF, 0xBB, 0xBF:
			continue
		}
		return c
	}
	return 0
}

// nativeSpaces are the namespaces gofeed's RSS and Atom parsers read
// themselves; an element in any other namespace is parsed, with all it
// contains, as an extension. (The root element's default namespace is
// native too.)
var nativeSpaces = map[string]bool{
	"": true, "rss": true, "rdf": true,
	"http://www.w3.org/1999/02/22-rdf-syntax-ns#": true,
	"http://purl.org/rss/1.0/":                    true,
	"http://channel.netscape.com/rdf/simple/0.9/": true,
	"http://my.netscape.com/rdf/simple/0.9/":      true,
	"http://www.w3.org/2005/Atom":                 true,
	"http://purl.org/atom/ns#":                    true,
}

// openElement is what the XML pass remembers about an element that is
// open.
type openElement struct {
	name       string
	namespaces int  // namespace declarations on the element itself
	extension  bool // parsed by gofeed as (part of) an extension
	text       int  // bytes of text gofeed has joined for it so far
}

func checkXMLBounds(b []byte, maxDepth, budget, ceiling int) error {
	if xmlWithinBounds(b, maxDepth, budget) {
		return nil
	}
	return decodeXMLBounds(b, maxDepth, budget, ceiling)
}

// decodeXMLBounds is checkXMLBounds with the decoder gofeed uses: exact,
// and what decides whenever the byte scan cannot.
func decodeXMLBounds(b []byte, maxDepth, budget, ceiling int) error {
	if err := checkTags(b); err != nil {
		return err
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	// As gofeed's decoder: lenient, so the pass goes on wherever gofeed
	// goes on. The body is UTF-8 already.
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var open []openElement
	elements, inScope, copied := 0, 0, 0
	copyBudget := textCopyBudget(len(b))
	rootSpace := ""
	for {
		tok, err := d.Token()
		if err != nil {
			return nil // io.EOF, or a syntax error where gofeed stops too
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(open) == maxDepth {
				return fmt.Errorf("%w: more than %d levels of nested elements (line %d)", ErrTooDeep, maxDepth, line(d))
			}
			elements += 1 + len(t.Attr)
			if elements > budget {
				return tooMany(budget, ceiling, len(b), "elements and attributes", line(d))
			}
			e := openElement{name: t.Name.Local}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					e.namespaces++
				}
			}
			inScope += e.namespaces
			if inScope > MaxNamespaces {
				return fmt.Errorf("%w: more than %d namespace declarations in scope (line %d)", ErrTooComplex, MaxNamespaces, line(d))
			}
			space := strings.TrimSpace(t.Name.Space)
			if len(open) == 0 {
				rootSpace = space
			}
			e.extension = (len(open) > 0 && open[len(open)-1].extension) || !(nativeSpaces[space] || space == rootSpace)
			open = append(open, e)
		case xml.EndElement:
			if n := len(open); n > 0 {
				inScope -= open[n-1].namespaces
				open = open[:n-1]
			}
		case xml.CharData:
			if n := len(open); n > 0 && open[n-1].extension {
				// gofeed appends each piece to the text so far: a copy of
				// all of it.
				open[n-1].text += len(t)
				copied += open[n-1].text
				if copied > copyBudget {
					return fmt.Errorf("%w: the text of extension element <%s> comes in too many pieces (line %d)", ErrTooComplex, open[len(open)-1].name, line(d))
				}
			}
		}
	}
}

// checkTags refuses a tag with more than MaxAttributes attributes before
// the tokenizer reads it whole (600,000 attributes cost it 170 MB). It
// counts the words of each tag outside quoted values, which is at least
// its attributes: encoding/xml's lenient mode also takes attributes
// without a value or quotes. Comments, CDATA sections, processing
// instructions and declarations are skipped.
func checkTags(b []byte) error {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := b[i:]
		var end []byte
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			end = []byte("-->")
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end = []byte("]]>")
		case bytes.HasPrefix(rest, []byte("<?")):
			end = []byte("?>")
		case bytes.HasPrefix(rest, []byte("<!")):
			end = []byte(">")
		}
		if end != nil {
			k := bytes.Index(rest[2:], end)
			if k < 0 {
				return nil
			}
			i += 2 + k + len(end)
			continue
		}
		n, words, inWord, afterEq := 1, 0, false, false
		for ; n < len(rest); n++ {
			c := rest[n]
			if c == '>' {
				break
			}
			if (c == '"' || c == '\'') && afterEq {
				// A quoted value: skip to its closing quote.
				k := bytes.IndexByte(rest[n+1:], c)
				if k < 0 {
					return nil
				}
				n += 1 + k
				inWord, afterEq = false, false
				continue
			}
			switch c {
			case ' ', '\t', '\n', '\r', '/':
				inWord = false
				continue
			case '=':
				afterEq, inWord = true, false
				continue
			}
			afterEq = false
			if !inWord {
				inWord = true
				if words++; words > 1+MaxAttributes { // the element's name, then its attributes
					return fmt.Errorf("%w: more than %d attributes on one element (byte %d)", ErrTooManyElements, MaxAttributes, i)
				}
			}
		}
		i += n
	}
	return nil
}

func line(d *xml.Decoder) int {
	l, _ := d.InputPos()
	return l
}

func checkJSONBounds(b []byte, maxDepth, budget, ceiling int) error {
	// Start where the JSON starts: the bytes before it, which gofeed's
	// detection skips, would stop the decoder at once.
	b = b[max(0, bytes.IndexByte(b, '{')):]
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // only the shape matters here
	depth, values := 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			// io.EOF, or a syntax error, which json.Unmarshal (what gofeed
			// uses) finds before it decodes anything.
			return nil
		}
		if delim, ok := tok.(json.Delim); ok && (delim == '}' || delim == ']') {
			depth--
			continue
		}
		values++
		if delim, ok := tok.(json.Delim); ok && (delim == '{' || delim == '[') {
			depth++
			if depth > maxDepth {
				return fmt.Errorf("%w: more than %d levels of nested arrays and objects (byte %d)", ErrTooDeep, maxDepth, d.InputOffset())
			}
		}
		if values > budget {
			return tooMany(budget, ceiling, len(b), "values and keys", 0)
		}
	}
}

func tooMany(budget, ceiling, size int, what string, line int) error {
	at := ""
	if line > 0 {
		at = fmt.Sprintf(" (line %d)", line)
	}
	return fmt.Errorf("%w: more than %d %s in a document of %d bytes%s; a document may hold one per %d bytes of its size, at least %d and at most %d",
		ErrTooManyElements, budget, what, size, at, BytesPerElement, MinElements, ceiling)
}
