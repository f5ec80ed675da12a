package fetcher

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/wirefeed/wirefeed"
)

// ErrNotAFeed is returned (wrapped) when a document is not RSS, Atom or
// JSON Feed: an HTML page, an empty body, something else.
var ErrNotAFeed = errors.New("fetcher: not a feed")

// Document is a parsed and normalised feed document.
type Document struct {
	Meta     wirefeed.FeedMeta
	Items    []wirefeed.Item
	Encoding string // the character set the bytes were decoded from
}

// Parse decodes, parses and normalises one feed document. contentType is
// the HTTP Content-Type ("" for a file); feedURL is where it came from, used
// to resolve relative links; now is the first-seen time for undated items.
// A document that makes the parser panic is reported as an error.
func Parse(body []byte, contentType, feedURL string, now time.Time, lim Limits) (doc *Document, err error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: empty document", ErrNotAFeed)
	}
	utf8Body, enc, err := ToUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	defer func() {
		// gofeed has nil dereferences on some hostile inputs
		// (`"items":[null]` in JSON Feed, upstream #355). A panic in one
		// feed's parse must not take the daemon down.
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("fetcher: parser panicked on malformed feed: %v", r)
		}
	}()
	p := gofeed.NewParser()
	f, err := p.Parse(bytes.NewReader(utf8Body))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			if looksLikeHTML(utf8Body) {
				return nil, fmt.Errorf("%w: got an HTML page", ErrNotAFeed)
			}
			return nil, fmt.Errorf("%w: no RSS, Atom or JSON Feed root found", ErrNotAFeed)
		}
		return nil, fmt.Errorf("fetcher: parsing feed: %w", err)
	}
	meta, items := normalize(f, feedURL, now, lim)
	return &Document{Meta: meta, Items: items, Encoding: enc}, nil
}

func looksLikeHTML(b []byte) bool {
	head := bytes.ToLower(b[:min(len(b), 1024)])
	return bytes.Contains(head, []byte("<!doctype html")) || bytes.Contains(head, []byte("<html"))
}
