package fetcher

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/wirefeed/wirefeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Limits bound what one feed can make us hold. Zero fields take defaults.
type Limits struct {
	MaxItems      int // items kept per document (the first ones, newest in most feeds)
	MaxTitleRunes int
	MaxHTMLBytes  int // sanitised body per item
	// FutureSkew is how far in the future a date may be before it is
	// clamped to the time the item was seen.
	FutureSkew time.Duration
	// MaxDepth and MaxElements bound a document's structure before it is
	// parsed (see bounds.go); zero takes the defaults.
	MaxDepth    int
	MaxElements int
}

// Default limits.
const (
	DefaultMaxItems      = 500
	DefaultMaxTitleRunes = 1000
	DefaultMaxHTMLBytes  = 512 << 10
	DefaultFutureSkew    = 10 * time.Minute
)

func (l Limits) withDefaults() Limits {
	if l.MaxItems <= 0 {
		l.MaxItems = DefaultMaxItems
	}
	if l.MaxTitleRunes <= 0 {
		l.MaxTitleRunes = DefaultMaxTitleRunes
	}
	if l.MaxHTMLBytes <= 0 {
		l.MaxHTMLBytes = DefaultMaxHTMLBytes
	}
	if l.FutureSkew <= 0 {
		l.FutureSkew = DefaultFutureSkew
	}
	return l
}

// summaryRunes is the length of a summary made from the body when the
// source gave no separate description.
const summaryRunes = 400

// normalize turns a parsed document into wirefeed items. feedURL is where
// the document came from; now is the first-seen time.
//
// Relative links: in Atom, gofeed has already applied xml:base, and what is
// left resolves against the document's URL (RFC 4287). RSS and JSON Feed
// have no xml:base; their relative links resolve against the site link the
// feed gives (channel <link>, home_page_url), which is what they are
// written against when the feed is served from another host (a feeds.
// subdomain, a feed proxy), and against the document's URL when there is
// no site link.
func normalize(f *gofeed.Feed, feedURL string, now time.Time, lim Limits) (wirefeed.FeedMeta, []wirefeed.Item) {
	lim = lim.withDefaults()
	now = now.UTC()
	fetchedFrom, _ := url.Parse(feedURL)
	if fetchedFrom != nil && !fetchedFrom.IsAbs() {
		fetchedFrom = nil
	}
	meta := wirefeed.FeedMeta{
		Title:    truncateRunes(PlainLine(f.Title), lim.MaxTitleRunes),
		Language: strings.TrimSpace(f.Language),
	}
	base := fetchedFrom
	if link := CanonicalURL(f.Link, fetchedFrom); link != "" {
		meta.Link = link
		if fetchedFrom == nil || f.FeedType != "atom" {
			base, _ = url.Parse(link)
		}
	}
	if f.UpdatedParsed != nil {
		meta.Updated = clampDate(*f.UpdatedParsed, now, lim.FutureSkew)
	} else if f.PublishedParsed != nil {
		meta.Updated = clampDate(*f.PublishedParsed, now, lim.FutureSkew)
	}

	items := make([]wirefeed.Item, 0, min(len(f.Items), lim.MaxItems))
	seen := make(map[string]bool, len(f.Items))
	for _, it := range f.Items {
		if len(items) == lim.MaxItems {
			break
		}
		if it == nil {
			continue
		}
		item := normalizeItem(it, base, now, lim)
		if item.Title == "" && item.Text == "" && item.URL == "" {
			continue // nothing a reader could use
		}
		if seen[item.GUID] {
			continue // a document that repeats an entry keeps the first
		}
		seen[item.GUID] = true
		items = append(items, item)
	}
	return meta, items
}

func normalizeItem(it *gofeed.Item, base *url.URL, now time.Time, lim Limits) wirefeed.Item {
	var item wirefeed.Item
	item.URL = CanonicalURL(it.Link, base)
	if item.URL == "" {
		for _, l := range it.Links {
			if item.URL = CanonicalURL(l, base); item.URL != "" {
				break
			}
		}
	}
	if item.URL == "" && it.GUID != "" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(it.GUID)), "http") {
		item.URL = CanonicalURL(it.GUID, base)
	}
	linkBase := base
	if item.URL != "" {
		linkBase, _ = url.Parse(item.URL)
	}
	item.Title = truncateRunes(PlainLine(it.Title), lim.MaxTitleRunes)

	body := it.Content
	if strings.TrimSpace(body) == "" {
		body = it.Description
	}
	item.ContentHTML = truncateHTML(SanitizeHTML(body, linkBase), lim.MaxHTMLBytes)
	item.Text = HTMLToText(item.ContentHTML)
	if strings.TrimSpace(it.Content) != "" && strings.TrimSpace(it.Description) != "" {
		item.Summary = truncateRunes(PlainLine(it.Description), 4*summaryRunes)
	} else {
		item.Summary = truncateRunes(strings.Join(strings.Fields(item.Text), " "), summaryRunes)
	}

	switch {
	case it.PublishedParsed != nil:
		item.Published = clampDate(*it.PublishedParsed, now, lim.FutureSkew)
	case it.UpdatedParsed != nil:
		item.Published = clampDate(*it.UpdatedParsed, now, lim.FutureSkew)
	default:
		item.Published = now
		item.DateMissing = true
	}
	item.Updated = item.Published
	if it.UpdatedParsed != nil {
		if u := clampDate(*it.UpdatedParsed, now, lim.FutureSkew); u.After(item.Published) {
			item.Updated = u
		}
	}

	for _, p := range it.Authors {
		if p == nil {
			continue
		}
		name := PlainLine(p.Name)
		if name == "" {
			name = PlainLine(p.Email)
		}
		if name != "" && !slices.Contains(item.Authors, name) {
			item.Authors = append(item.Authors, truncateRunes(name, 200))
		}
	}
	for _, c := range it.Categories {
		c = truncateRunes(PlainLine(c), 200)
		if c != "" && !slices.Contains(item.Categories, c) {
			item.Categories = append(item.Categories, c)
		}
	}

	item.GUID = strings.TrimSpace(it.GUID)
	if item.GUID == "" {
		item.GUID = item.URL
	}
	if item.GUID == "" {
		item.GUID = derivedGUID(item)
	}
	item.GUID = truncateRunes(item.GUID, 2000)
	return item
}

// derivedGUID names an item that has neither GUID nor link by its content,
// so that fetching the same document twice yields the same key.
func derivedGUID(it wirefeed.Item) string {
	h := sha256.New()
	h.Write([]byte(it.Title))
	h.Write([]byte{0})
	h.Write([]byte(it.Text))
	if !it.DateMissing {
		h.Write([]byte{0})
		h.Write([]byte(it.Published.Format(time.RFC3339)))
	}
	return "wirefeed:sha256:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// clampDate returns t in UTC, or now when t lies further in the future than
// skew allows (a wrong time zone or a typo in the year).
func clampDate(t, now time.Time, skew time.Duration) time.Time {
	t = t.UTC()
	if t.After(now.Add(skew)) {
		return now
	}
	if t.Year() < 1995 { // before web feeds existed: a zero or garbage date
		return now
	}
	return t.Truncate(time.Second)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// truncateHTML cuts an over-long body at a tag boundary and re-serialises
// the fragment through the HTML parser, which closes every open element.
func truncateHTML(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndexByte(s[:n], '<')
	if cut <= 0 {
		cut = n
	}
	s = strings.ToValidUTF8(s[:cut], "")
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, nd := range nodes {
		if err := html.Render(&b, nd); err != nil {
			return ""
		}
	}
	return strings.TrimSpace(b.String())
}
