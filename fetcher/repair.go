package fetcher

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// A document cut short (a download interrupted, a server that died while
// writing, a last "</rss" without its ">") makes the XML parser give up on
// the whole document, though every item before the cut is complete.
// repairTruncated finds the last complete element at the level of the
// feed's items (an item, an entry, or a channel element such as <title>),
// cuts the document there and closes the elements still open, so the parser
// reads everything before the cut. An item the cut ran through is left
// out whole: half an item would be stored as if it were the item.

// maxRepairDepth bounds the elements a repair will close; a document nested
// deeper is not repaired.
const maxRepairDepth = 64

// repair describes a repaired document.
type repair struct {
	doc []byte // the document, cut and closed
	// cutAt is where the original document was cut (bytes); line is the
	// line of the syntax error that made the repair necessary.
	cutAt int64
	line  int
	// lostItem is set when an item or entry had begun after the cut.
	lostItem bool
	reason   string // the syntax error
}

// repairTruncated returns the document cut after its last complete
// feed-level element with the open elements closed, or nil when the
// document has no syntax error in it or nothing complete to keep. b is
// UTF-8.
func repairTruncated(b []byte) *repair {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	var raws, names []string // open elements: as written (prefix included), and local names in lower case
	var atom bool
	var keepAt int64 = -1
	var keep []string // raws open at keepAt
	var itemStarted bool
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			if len(raws) == 0 {
				return nil // complete: the parser's error was something else
			}
			err = fmt.Errorf("unexpected EOF with <%s> still open", raws[len(raws)-1])
		}
		if err != nil {
			return cut(b, keepAt, keep, itemStarted, d, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			raw := t.Name.Local
			if t.Name.Space != "" {
				raw = t.Name.Space + ":" + raw
			}
			raws = append(raws, raw)
			names = append(names, strings.ToLower(t.Name.Local))
			if len(raws) > maxRepairDepth {
				return nil
			}
			if len(names) == 1 {
				atom = names[0] == "feed"
			}
			if isEntryElement(atom, names) {
				itemStarted = true
			}
		case xml.EndElement:
			if len(raws) == 0 || !strings.EqualFold(t.Name.Local, names[len(names)-1]) {
				// A stray or mismatched end tag: the document breaks here.
				err = fmt.Errorf("element <%s> closed by </%s>", lastOr(raws, ""), t.Name.Local)
				return cut(b, keepAt, keep, itemStarted, d, err)
			}
			raws, names = raws[:len(raws)-1], names[:len(names)-1]
			// An element closed at the level of the feed's items: a child
			// of <feed>, <rss> or <rdf:RDF>, or of an RSS <channel>.
			if len(names) == 1 || (len(names) == 2 && !atom && names[1] == "channel") {
				keepAt = d.InputOffset()
				keep = append(keep[:0], raws...)
				itemStarted = false
			}
		}
	}
}

// cut builds the repaired document: b up to keepAt, then the end tags of
// the elements open there. It returns nil when nothing complete was found.
func cut(b []byte, keepAt int64, keep []string, lostItem bool, d *xml.Decoder, err error) *repair {
	if keepAt < 0 {
		return nil
	}
	line, _ := d.InputPos()
	reason := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		line, reason = se.Line, se.Msg
	}
	var out bytes.Buffer
	out.Grow(int(keepAt) + 64)
	out.Write(b[:keepAt])
	for i := len(keep) - 1; i >= 0; i-- {
		out.WriteString("</" + keep[i] + ">")
	}
	return &repair{doc: out.Bytes(), cutAt: keepAt, line: line, lostItem: lostItem, reason: reason}
}

func lastOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[len(s)-1]
}
