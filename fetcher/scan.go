package fetcher

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// gofeed's universal Feed loses a few things about each entry that decide
// how faithfully we read it: the type of an Atom title (so plain text is
// read as markup), the id as written (gofeed resolves an Atom id as a URL,
// lower-casing "HTTP://" and decoding "%20"), Atom 0.3 content typed as
// HTML but encoded in base64, and the body elements some RSS feeds use
// instead of <description> (<body>, <xhtml:body>, <fullitem>). scanFacts
// reads them from the document itself, in one pass of the same tokenizer
// gofeed uses, and normalize lays them over gofeed's entries by position.

// entryFacts is what the document says about one entry.
type entryFacts struct {
	titleType   string // Atom title type attribute as written; "" when absent
	summaryType string // Atom summary type
	contentType string // Atom content type
	id          string // Atom <id> or RSS <guid>, entities decoded, trimmed
	hasID       bool
	// body is content gofeed does not give: an RSS <body>/<xhtml:body> or
	// <fullitem>, or an Atom content or summary in base64; bodyHTML says
	// whether it is markup.
	body     string
	bodyHTML bool
	base64   bool // body was decoded from base64: gofeed's value is still encoded
	// summary is an Atom summary decoded from base64, when it was.
	summary string
	terms   []string // Atom category terms
	// title is an Atom title decoded from base64, when it was.
	title string
	// created and modified are Atom 0.3 <created>/<issued> and <modified>,
	// which gofeed does not read.
	created, modified string
}

// docFacts is what scanFacts found.
type docFacts struct {
	atom       bool
	titleType  string // the Atom feed's own title type
	title      string // the Atom feed's title decoded from base64, when it was
	entries    []entryFacts
	incomplete bool // the scan stopped at a syntax error or at a bound
}

// Bounds of the scan: a document deeper than this, or with more entries,
// is not scanned further (gofeed's values are used as they are).
const (
	maxScanDepth   = 512
	maxScanEntries = 100000
	maxBodyElement = 1 << 20 // bytes of one <body>/<fullitem>
)

// scanFacts reads the entry facts of an XML feed document (UTF-8). It
// never fails: what it cannot read it leaves out.
func scanFacts(b []byte) *docFacts {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	f := &docFacts{}
	var stack []string // local names, lower case
	entryDepth := -1   // depth of the entry being read; -1 outside entries
	var cur *entryFacts
	// field being collected: its name, depth, text, raw start and attrs.
	var field string
	var fieldDepth int
	var text strings.Builder
	var rawStart int64
	var mode, typ string
	for {
		before := d.InputOffset()
		tok, err := d.RawToken()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				f.incomplete = true
			}
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			stack = append(stack, name)
			depth := len(stack)
			if depth > maxScanDepth {
				f.incomplete = true
				return f
			}
			if depth == 1 {
				f.atom = name == "feed"
			}
			if cur == nil {
				if isEntryElement(f.atom, stack) {
					if len(f.entries) == maxScanEntries {
						f.incomplete = true
						return f
					}
					f.entries = append(f.entries, entryFacts{})
					cur = &f.entries[len(f.entries)-1]
					entryDepth = depth
				} else if f.atom && depth == 2 && name == "title" && field == "" {
					f.titleType = attr(t, "type")
					if strings.EqualFold(attr(t, "mode"), "base64") {
						field, fieldDepth = "feedtitle", depth
						text.Reset()
					}
				}
				continue
			}
			if field != "" || depth != entryDepth+1 {
				continue // only the entry's own children count
			}
			switch {
			case f.atom && name == "title":
				cur.titleType = attr(t, "type")
				field, mode, typ = name, attr(t, "mode"), cur.titleType
			case f.atom && (name == "created" || name == "issued" || name == "modified"):
				field = name
			case f.atom && name == "summary":
				cur.summaryType = attr(t, "type")
				field, mode, typ = name, attr(t, "mode"), cur.summaryType
			case f.atom && name == "content":
				cur.contentType = attr(t, "type")
				field, mode, typ = name, attr(t, "mode"), cur.contentType
			case f.atom && name == "category":
				if term := strings.TrimSpace(attr(t, "term")); term != "" && len(cur.terms) < maxListLen {
					cur.terms = append(cur.terms, term)
				}
			case f.atom && name == "id", !f.atom && name == "guid":
				field = name
			case !f.atom && (name == "body" || name == "fullitem"):
				field = name
			}
			if field != "" {
				fieldDepth = depth
				text.Reset()
				rawStart = d.InputOffset()
			}
		case xml.EndElement:
			depth := len(stack)
			if depth == 0 {
				continue
			}
			stack = stack[:depth-1]
			if cur == nil {
				if field == "feedtitle" && depth == fieldDepth {
					if dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text.String()), "")); err == nil {
						f.title = string(dec)
					}
					field = ""
				}
				continue
			}
			if field != "" && depth == fieldDepth {
				finishField(cur, field, mode, typ, text.String(), b, rawStart, before)
				field, mode, typ = "", "", ""
			}
			if depth == entryDepth {
				cur, entryDepth = nil, -1
			}
		case xml.CharData:
			if field != "" && text.Len() < maxBodyElement {
				text.Write(t)
			}
		}
	}
	return f
}

// isEntryElement reports whether the element just opened (last of stack)
// is a feed entry: Atom <entry> in <feed>, RSS <item> in <channel> or at
// the top level of <rss> and RDF.
func isEntryElement(atom bool, stack []string) bool {
	n := len(stack)
	last := stack[n-1]
	if atom {
		return n == 2 && last == "entry"
	}
	if last != "item" {
		return false
	}
	return n == 2 || (n == 3 && stack[1] == "channel")
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if strings.EqualFold(a.Name.Local, name) {
			return a.Value
		}
	}
	return ""
}

// finishField records a collected field of an entry. raw is the document;
// [start, end) is the element's inner XML.
func finishField(cur *entryFacts, field, mode, typ, text string, raw []byte, start, end int64) {
	switch field {
	case "id", "guid":
		cur.id, cur.hasID = strings.TrimSpace(text), true
	case "body", "fullitem":
		if cur.body != "" || start < 0 || end > int64(len(raw)) || end-start > maxBodyElement {
			return
		}
		inner := strings.TrimSpace(string(raw[start:end]))
		if field == "fullitem" {
			// <fullitem> holds escaped HTML, like <description>.
			inner = strings.TrimSpace(text)
		}
		cur.body, cur.bodyHTML = inner, true
	case "created", "issued":
		if cur.created == "" {
			cur.created = strings.TrimSpace(text)
		}
	case "modified":
		cur.modified = strings.TrimSpace(text)
	case "title", "summary", "content":
		if !strings.EqualFold(strings.TrimSpace(mode), "base64") {
			return
		}
		dec, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
		if err != nil {
			return
		}
		switch field {
		case "title":
			cur.title = string(dec)
		case "summary":
			cur.summary = string(dec)
		default:
			cur.body, cur.bodyHTML, cur.base64 = string(dec), typ == "" || atomTextKind(typ) == kindHTML, true
		}
	}
}
