package fetcher

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"
	"github.com/wirefeed/wirefeed"
)

// ErrNotAFeed is returned (wrapped) when a document is not RSS, Atom or
// JSON Feed: an HTML page, an empty body, something else.
var ErrNotAFeed = errors.New("fetcher: not a feed")

// ErrParserPanic is returned (wrapped) when the parser panicked on a
// malformed document (gofeed does on `"items":[null]`, upstream #355).
var ErrParserPanic = errors.New("fetcher: parser panicked on a malformed feed")

// Document is a parsed and normalised feed document.
type Document struct {
	Meta     wirefeed.FeedMeta
	Items    []wirefeed.Item
	Encoding string // the character set the bytes were decoded from
	// TTL is the minimum interval between fetches the feed asks for (RSS
	// <ttl>, in minutes in the document); zero when it gives none.
	TTL time.Duration
	// Skipped lists the entries of the document that were not kept, and
	// why, so an operator can see what a feed lost.
	Skipped []SkippedItem
	// Warnings are problems with a document that was read all the same
	// (cut short and repaired, GUIDs shared by different items), one line
	// each, for the feed's state and the log.
	Warnings []string
	// Salvaged is how many items were read from a document that was cut
	// short or broken (see repairTruncated); 0 for a sound document.
	Salvaged int

	all []wirefeed.Item // every entry, kept or not (tests compare them with feedparser's)
}

// SkippedItem is an entry of a document that was not kept.
type SkippedItem struct {
	GUID   string `json:"guid"` // as the source gave it; "" when unknown
	Reason string `json:"reason"`
}

// maxTTL bounds a feed's <ttl>; the Runner caps it further by config.
const maxTTL = 7 * 24 * time.Hour

// maxRepairBytes bounds the documents a repair is tried on (they are
// tokenized once more).
const maxRepairBytes = 16 << 20

// Parse decodes, parses and normalises one feed document. contentType is
// the HTTP Content-Type ("" for a file); feedURL is where it came from, used
// to resolve relative links; now is the first-seen time for undated items.
// A document that makes the parser panic is reported as an error wrapping
// ErrParserPanic. The content type is used for its charset only: servers
// label feeds text/html, text/plain or application/octet-stream often
// enough that the bytes decide what the document is.
//
// An XML document that is cut short or broken part-way is read up to its
// last complete item (see repairTruncated): the Document then says how
// many items were salvaged, and carries a warning.
func Parse(body []byte, contentType, feedURL string, now time.Time, lim Limits) (doc *Document, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: empty document", ErrNotAFeed)
	}
	utf8Body, enc, err := ToUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	// Before gofeed sees the bytes: it can die of a stack overflow (which
	// no recover catches) or take far more memory than the document's size.
	if err := checkBounds(utf8Body, lim); err != nil {
		return nil, err
	}
	defer func() {
		// gofeed has nil dereferences on some hostile inputs. A panic in
		// one feed's parse must not take the daemon down.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("%w: %v", ErrParserPanic, r)
		}
	}()
	parsed := utf8Body
	f, ttl, err := parseFeed(parsed)
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		// gofeed looks for the root element in the first 4 KB only; a long
		// prolog (comments, a DOCTYPE, white space) hides it.
		if root := rootElement(utf8Body); root > 0 {
			parsed = utf8Body[root:]
			f, ttl, err = parseFeed(parsed)
		}
	}
	var rep *repair
	if err != nil && !errors.Is(err, gofeed.ErrFeedTypeNotDetected) && isXML(parsed) && len(parsed) <= maxRepairBytes {
		if rep = repairTruncated(parsed); rep != nil {
			// A repair that keeps no item of a document whose first item
			// is broken would record a failing feed as healthy and empty.
			if rf, rttl, rerr := parseFeed(rep.doc); rerr == nil && (len(rf.Items) > 0 || !rep.lostItem) {
				f, ttl, err, parsed = rf, rttl, nil, rep.doc
			} else {
				rep = nil
			}
		}
	}
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			if looksLikeHTML(utf8Body) {
				return nil, fmt.Errorf("%w: got an HTML page", ErrNotAFeed)
			}
			return nil, fmt.Errorf("%w: no RSS, Atom or JSON Feed root found", ErrNotAFeed)
		}
		return nil, fmt.Errorf("fetcher: parsing feed: %w", err)
	}
	// The scan costs about a sixth of a parse. gofeed reads RSS GUIDs and
	// titles as written, so an RSS document is scanned only for the bodies
	// gofeed does not read.
	var facts *docFacts
	if f.FeedType == "atom" || f.FeedType == "rss" && (bytes.Contains(parsed, []byte("body")) || bytes.Contains(parsed, []byte("<fullitem"))) {
		facts = scanFacts(parsed)
	}
	n := normalize(f, facts, feedURL, now, lim, enc)
	doc = &Document{Meta: n.meta, Items: n.items, Encoding: enc, TTL: ttl, Skipped: n.skipped, Warnings: n.warnings, all: n.all}
	if rep != nil {
		doc.Salvaged = len(n.items)
		doc.Warnings = append([]string{fmt.Sprintf(warnTruncated+
			" document cut short or broken (line %d: %s); read the %d complete items before byte %d of %d",
			rep.line, truncateRunes(rep.reason, 200), len(n.items), rep.cutAt, len(utf8Body))}, doc.Warnings...)
		if rep.lostItem {
			doc.Skipped = append(doc.Skipped, SkippedItem{Reason: fmt.Sprintf(
				"incomplete: the document breaks off inside the entry after byte %d", rep.cutAt)})
		}
	}
	return doc, nil
}

// isXML reports whether a document starts, after white space, like XML.
func isXML(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n\ufeff")
	return len(b) > 0 && b[0] == '<'
}

// parseFeed runs gofeed over a UTF-8 document and also returns the RSS
// <ttl>, which gofeed's universal Feed does not carry.
func parseFeed(b []byte) (*gofeed.Feed, time.Duration, error) {
	tr := &rssTTLTranslator{}
	// The image scan runs an HTML parse per item to find a picture we never
	// use; it is a third of the parse time of a feed with full content.
	tr.DisableContentImageScan = true
	p := gofeed.NewParser()
	p.RSSTranslator = tr
	f, err := p.Parse(bytes.NewReader(b))
	if err != nil {
		return nil, 0, err
	}
	return f, tr.ttl, nil
}

// rssTTLTranslator is gofeed's RSS translator that also keeps <ttl>.
type rssTTLTranslator struct {
	gofeed.DefaultRSSTranslator
	ttl time.Duration
}

func (t *rssTTLTranslator) Translate(feed any) (*gofeed.Feed, error) {
	if rf, ok := feed.(*rss.Feed); ok {
		if mins, err := strconv.ParseInt(strings.TrimSpace(rf.TTL), 10, 64); err == nil && mins > 0 {
			t.ttl = min(time.Duration(mins)*time.Minute, maxTTL)
		}
	}
	return t.DefaultRSSTranslator.Translate(feed)
}

// rootElement returns the offset of the first element start tag after the
// prolog (declarations, comments, processing instructions, DOCTYPE), or -1.
func rootElement(b []byte) int {
	i := 0
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return -1
		}
		i += j
		rest := b[i:]
		var end []byte
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			end = []byte("?>")
		case bytes.HasPrefix(rest, []byte("<!--")):
			end = []byte("-->")
		case bytes.HasPrefix(rest, []byte("<!")):
			end = []byte(">")
			if lb, gt := bytes.IndexByte(rest, '['), bytes.IndexByte(rest, '>'); lb >= 0 && (gt < 0 || lb < gt) {
				end = []byte("]>") // a DOCTYPE with an internal subset
			}
		default:
			return i
		}
		k := bytes.Index(rest, end)
		if k < 0 {
			return -1
		}
		i += k + len(end)
	}
	return -1
}

func looksLikeHTML(b []byte) bool {
	head := bytes.ToLower(b[:min(len(b), 1024)])
	return bytes.Contains(head, []byte("<!doctype html")) || bytes.Contains(head, []byte("<html"))
}
