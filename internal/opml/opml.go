// Package opml reads the subscription lists other feed readers export
// (OPML 1.0 and 2.0: Miniflux, FreshRSS, Feedly, NetNewsWire, Inoreader,
// Thunderbird, wirefeed's own /sources.opml). Outlines that carry an
// xmlUrl are feeds; the outlines around them are folders, whose titles,
// like the feed's own category attribute, become its tags.
//
// Input from outside is bounded: the document's size, the nesting depth
// and the number of outlines.
package opml

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html/charset"
)

// Limits on a document.
const (
	MaxBytes    = 16 << 20
	MaxDepth    = 64
	MaxOutlines = 20000
)

// Feed is one subscription of the list.
type Feed struct {
	Title string   // the outline's title, else its text; may be empty
	URL   string   // xmlUrl, trimmed
	Tags  []string // titles of the folders around it, then its categories
	Line  int      // line of the outline in the document
}

// ErrNotOPML is returned for a document whose root is not <opml>.
var ErrNotOPML = errors.New("opml: not an OPML document")

// Parse reads an OPML document. Every outline with an xmlUrl that is not
// an absolute http or https URL is reported, by its title and line, in
// one error that lists them all; the feeds are then not returned.
func Parse(r io.Reader) ([]Feed, error) {
	lr := &io.LimitedReader{R: r, N: MaxBytes + 1}
	dec := xml.NewDecoder(lr)
	dec.CharsetReader = charset.NewReaderLabel
	dec.Strict = false // readers write HTML entities and bare ampersands
	dec.Entity = xml.HTMLEntity
	var (
		feeds    []Feed
		problems []string
		folders  []string // titles of the open folder outlines ("" for a feed outline)
		depth    int
		outlines int
		root     bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if lr.N <= 0 {
				return nil, fmt.Errorf("opml: document larger than %d bytes", MaxBytes)
			}
			return nil, fmt.Errorf("opml: line %d: %w", line(dec), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > MaxDepth {
				return nil, fmt.Errorf("opml: line %d: outlines nested deeper than %d", line(dec), MaxDepth)
			}
			if !root {
				if !strings.EqualFold(t.Name.Local, "opml") {
					return nil, fmt.Errorf("%w (root element <%s>)", ErrNotOPML, t.Name.Local)
				}
				root = true
				continue
			}
			if !strings.EqualFold(t.Name.Local, "outline") {
				continue
			}
			outlines++
			if outlines > MaxOutlines {
				return nil, fmt.Errorf("opml: more than %d outlines", MaxOutlines)
			}
			a := attrs(t)
			title := clean(firstOf(a["title"], a["text"]))
			xmlURL := strings.TrimSpace(a["xmlurl"])
			if xmlURL == "" {
				folders = append(folders, title)
				continue
			}
			folders = append(folders, "") // a feed outline's children are not in a folder named after it
			f := Feed{Title: title, URL: xmlURL, Line: line(dec)}
			for _, name := range folders {
				if name != "" {
					f.Tags = addTag(f.Tags, name)
				}
			}
			for _, c := range strings.Split(a["category"], ",") {
				for _, part := range strings.Split(c, "/") {
					if part = clean(part); part != "" {
						f.Tags = addTag(f.Tags, part)
					}
				}
			}
			if u, err := url.Parse(xmlURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
				name := title
				if name == "" {
					name = "(untitled)"
				}
				problems = append(problems, fmt.Sprintf("outline %q (line %d): bad xmlUrl %q: want an absolute http or https URL", name, f.Line, xmlURL))
				continue
			}
			feeds = append(feeds, f)
		case xml.EndElement:
			depth--
			if strings.EqualFold(t.Name.Local, "outline") && len(folders) > 0 {
				folders = folders[:len(folders)-1]
			}
		}
	}
	if !root {
		return nil, fmt.Errorf("%w (empty document)", ErrNotOPML)
	}
	if len(problems) > 0 {
		return nil, errors.New("opml: " + strings.Join(problems, "\nopml: "))
	}
	return feeds, nil
}

func line(dec *xml.Decoder) int {
	l, _ := dec.InputPos()
	return l
}

// attrs returns an element's attributes by lower-cased name (exporters
// disagree on xmlUrl's case).
func attrs(t xml.StartElement) map[string]string {
	m := make(map[string]string, len(t.Attr))
	for _, a := range t.Attr {
		m[strings.ToLower(a.Name.Local)] = a.Value
	}
	return m
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// clean folds white space and drops control characters.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func addTag(tags []string, t string) []string {
	for _, have := range tags {
		if strings.EqualFold(have, t) {
			return tags
		}
	}
	return append(tags, t)
}
