package fetcher

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/wirefeed/wirefeed"
	xhtml "golang.org/x/net/html"
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

// normalized is a normalised document: the feed's metadata, the entries
// kept, and what was left out and why.
type normalized struct {
	meta     wirefeed.FeedMeta
	items    []wirefeed.Item
	all      []wirefeed.Item // every entry, kept or not, in document order
	skipped  []SkippedItem
	warnings []string
}

// normalize turns a parsed document into wirefeed items. feedURL is where
// the document came from; now is the first-seen time; facts, when not nil,
// is what scanFacts read from the document (laid over gofeed's entries by
// position when the counts agree); enc is the encoding the document was
// decoded from.
//
// Relative links: in Atom, gofeed has already applied xml:base, and what is
// left resolves against the document's URL (RFC 4287). RSS and JSON Feed
// have no xml:base; their relative links resolve against the site link the
// feed gives (channel <link>, home_page_url), which is what they are
// written against when the feed is served from another host (a feeds.
// subdomain, a feed proxy), and against the document's URL when there is
// no site link.
//
// Identity within the document: an entry that repeats an earlier one (the
// same GUID and the same link or body) is skipped; entries that share a
// GUID but neither link nor body are different items, and each of them is
// keyed by its GUID and link (Item.Key), with a warning.
func normalize(f *gofeed.Feed, facts *docFacts, feedURL string, now time.Time, lim Limits, enc string) normalized {
	lim = lim.withDefaults()
	now = now.UTC()
	fetchedFrom, _ := url.Parse(feedURL)
	if fetchedFrom != nil && !fetchedFrom.IsAbs() {
		fetchedFrom = nil
	}
	ctx := itemContext{now: now, lim: lim, repairUTF8: enc == "utf-8", kind: kindGuess}
	if facts != nil && (len(facts.entries) != len(f.Items) || facts.incomplete || facts.atom != (f.FeedType == "atom")) {
		facts = nil // the scan and gofeed disagree on the entries: trust gofeed alone
	}
	switch {
	case f.FeedType == "atom" && facts != nil:
		ctx.kind = kindPlain // RFC 4287: text unless typed otherwise
	}
	titleKind, feedTitle := ctx.kind, f.Title
	if facts != nil && facts.atom {
		titleKind = atomTextKind(facts.titleType)
		if facts.title != "" {
			feedTitle = facts.title // Atom 0.3 base64: markup unless typed otherwise
			if facts.titleType == "" {
				titleKind = kindHTML
			}
		}
	}
	var out normalized
	out.meta = wirefeed.FeedMeta{
		Title:    truncateRunes(textLine(ctx.fix(feedTitle), titleKind), lim.MaxTitleRunes),
		Language: strings.ReplaceAll(strings.TrimSpace(f.Language), "_", "-"),
	}
	base := fetchedFrom
	if link := canonicalURL(f.Link, fetchedFrom); link != "" {
		out.meta.Link = link
		if fetchedFrom == nil || f.FeedType != "atom" {
			base, _ = url.Parse(link)
		}
	}
	switch {
	case f.UpdatedParsed != nil:
		out.meta.Updated = clampDate(*f.UpdatedParsed, now, lim.FutureSkew)
	case f.PublishedParsed != nil:
		out.meta.Updated = clampDate(*f.PublishedParsed, now, lim.FutureSkew)
	default:
		if t := extDate(f.Extensions, "dcterms", "modified", "issued", "created", "date"); t != nil {
			out.meta.Updated = clampDate(*t, now, lim.FutureSkew)
		}
	}

	out.items = make([]wirefeed.Item, 0, min(len(f.Items), lim.MaxItems))
	out.all = make([]wirefeed.Item, 0, min(len(f.Items), lim.MaxItems))
	byGUID := make(map[string][]int, len(f.Items)) // GUID -> indexes in out.items
	collided := map[string]bool{}
	entryNo := make([]int, 0, cap(out.items)) // position in the document of each kept item, from 1
	skip := func(guid, reason string) {
		if len(out.skipped) < maxSkipped {
			out.skipped = append(out.skipped, SkippedItem{GUID: guid, Reason: reason})
		}
	}
	for i, it := range f.Items {
		if it == nil {
			continue
		}
		if len(out.items) == lim.MaxItems {
			skip("", fmt.Sprintf("%d entries from entry %d on: over the limit of %d items per document (fetch.max_items_per_feed)",
				len(f.Items)-i, i+1, lim.MaxItems))
			break
		}
		var ef *entryFacts
		if facts != nil {
			ef = &facts.entries[i]
		}
		item := ctx.normalizeItem(it, ef, base)
		if len(out.all) < lim.MaxItems {
			out.all = append(out.all, item)
		}
		if item.Title == "" && item.Text == "" && item.URL == "" {
			skip(item.GUID, "empty: no title, text or link a reader could use")
			continue
		}
		if j := repeatOf(out.items, byGUID[item.GUID], &item); j >= 0 {
			skip(item.GUID, fmt.Sprintf("repeats entry %d of the document (same GUID and the same link or body)", entryNo[j]))
			continue
		}
		if prev := byGUID[item.GUID]; len(prev) > 0 {
			collided[item.GUID] = true
			for _, j := range prev {
				out.items[j].Key = collisionKey(&out.items[j])
			}
			item.Key = collisionKey(&item)
		}
		byGUID[item.GUID] = append(byGUID[item.GUID], len(out.items))
		out.items = append(out.items, item)
		entryNo = append(entryNo, i+1)
	}
	if len(collided) > 0 {
		ex := make([]string, 0, len(collided))
		for g := range collided {
			ex = append(ex, g)
		}
		slices.Sort(ex)
		out.warnings = append(out.warnings, fmt.Sprintf(warnGUIDCollision+
			" %d GUIDs are each shared by entries with different links and bodies (e.g. %q); they are kept as distinct items, keyed by GUID and link",
			len(ex), truncateRunes(ex[0], 200)))
	}
	return out
}

// maxSkipped bounds the skipped entries listed per document.
const maxSkipped = 1000

// repeatOf returns the index in items of an entry that item repeats: one of
// the candidates (entries with the same GUID) with the same link or the
// same body, or -1.
func repeatOf(items []wirefeed.Item, candidates []int, item *wirefeed.Item) int {
	for _, j := range candidates {
		p := &items[j]
		switch {
		case item.URL != "" && p.URL == item.URL,
			item.Text != "" && p.Text == item.Text,
			item.URL == "" && p.URL == "" && item.Text == "" && p.Text == "" && p.Title == item.Title:
			return j
		}
	}
	return -1
}

// collisionKey is the identity of an item whose GUID other items of its
// document share: its GUID and its link, or, without a link, a hash of
// its title and text.
func collisionKey(it *wirefeed.Item) string {
	if it.URL != "" {
		return it.GUID + " " + it.URL
	}
	return it.GUID + " " + derivedGUID(wirefeed.Item{Title: it.Title, Text: it.Text, DateMissing: true})
}

// itemContext is what normalising an entry needs from its document.
type itemContext struct {
	now        time.Time
	lim        Limits
	repairUTF8 bool     // the document was UTF-8: repair double-encoded text
	kind       textKind // how untyped text of this format is read
}

// fix repairs a raw text value: UTF-8 that was encoded twice.
func (c itemContext) fix(s string) string {
	if c.repairUTF8 {
		return repairDoubleUTF8(s)
	}
	return s
}

func (c itemContext) normalizeItem(it *gofeed.Item, ef *entryFacts, base *url.URL) wirefeed.Item {
	lim, now := c.lim, c.now
	var item wirefeed.Item
	item.URL = canonicalURL(it.Link, base)
	if item.URL == "" {
		for _, l := range it.Links {
			if item.URL = canonicalURL(l, base); item.URL != "" {
				break
			}
		}
	}
	rawGUID := it.GUID
	if ef != nil && ef.hasID {
		rawGUID = ef.id // as written: gofeed resolves Atom ids as URLs
	}
	if item.URL == "" && rawGUID != "" && strings.HasPrefix(strings.ToLower(strings.TrimSpace(rawGUID)), "http") {
		item.URL = canonicalURL(rawGUID, base)
	}
	linkBase := base
	if item.URL != "" {
		linkBase, _ = url.Parse(item.URL)
	}
	// Atom types its text (absent means plain text); RSS does not, and
	// its descriptions are HTML.
	titleKind, descKind, contentKind := c.kind, kindHTML, kindHTML
	if ef != nil && c.kind == kindPlain {
		titleKind, descKind, contentKind = atomTextKind(ef.titleType), atomTextKind(ef.summaryType), atomTextKind(ef.contentType)
	}
	title := it.Title
	if ef != nil && ef.title != "" {
		title = ef.title // Atom 0.3 base64: markup unless typed otherwise
		if ef.titleType == "" {
			titleKind = kindHTML
		}
	}
	if strings.TrimSpace(title) == "" {
		title = firstExt(it.Extensions, "media", "title")
	}
	item.Title = truncateRunes(textLine(c.fix(title), titleKind), lim.MaxTitleRunes)

	content, description := c.fix(it.Content), c.fix(it.Description)
	if ef != nil {
		if ef.summary != "" {
			description, descKind = c.fix(ef.summary), kindHTML
			if ef.summaryType != "" {
				descKind = atomTextKind(ef.summaryType)
			}
		}
		if ef.body != "" && (ef.base64 || strings.TrimSpace(content) == "") {
			content, contentKind = c.fix(ef.body), kindPlain
			if ef.bodyHTML {
				contentKind = kindHTML
			}
		}
	}
	body, bodyKind := content, contentKind
	if strings.TrimSpace(body) == "" {
		body, bodyKind = description, descKind
	}
	if bodyKind == kindPlain {
		body = plainToHTML(body)
	}
	item.ContentHTML, item.Text = sanitizeWithText(body, linkBase)
	if len(item.ContentHTML) > lim.MaxHTMLBytes {
		item.ContentHTML = truncateHTML(item.ContentHTML, lim.MaxHTMLBytes)
		item.Text = htmlToText(item.ContentHTML)
	}
	if strings.TrimSpace(content) != "" && strings.TrimSpace(description) != "" {
		item.Summary = truncateRunes(textLine(description, descKind), 4*summaryRunes)
	} else {
		item.Summary = truncateRunes(strings.Join(strings.Fields(item.Text), " "), summaryRunes)
	}

	published, updated := it.PublishedParsed, it.UpdatedParsed
	if published == nil {
		published = extDate(it.Extensions, "dcterms", "issued", "created", "date", "available")
	}
	if updated == nil {
		updated = extDate(it.Extensions, "dcterms", "modified")
	}
	if ef != nil {
		if t, ok := parseW3CDate(ef.created); ok && published == nil {
			published = &t
		}
		if t, ok := parseW3CDate(ef.modified); ok && updated == nil {
			updated = &t
		}
	}
	switch {
	case published != nil:
		item.Published = clampDate(*published, now, lim.FutureSkew)
	case updated != nil:
		item.Published = clampDate(*updated, now, lim.FutureSkew)
	default:
		item.Published = now
		item.DateMissing = true
	}
	item.Updated = item.Published
	if updated != nil {
		if u := clampDate(*updated, now, lim.FutureSkew); u.After(item.Published) {
			item.Updated = u
		}
	}

	addAuthor := func(name string) {
		name = truncateRunes(plainLine(c.fix(name)), 200)
		if name != "" && !slices.Contains(item.Authors, name) && len(item.Authors) < maxListLen {
			item.Authors = append(item.Authors, name)
		}
	}
	for _, p := range it.Authors {
		if p == nil {
			continue
		}
		if p.Name != "" {
			addAuthor(p.Name)
		} else {
			addAuthor(p.Email)
		}
	}
	if it.DublinCoreExt != nil {
		for _, name := range it.DublinCoreExt.Creator {
			addAuthor(name) // every dc:creator, not the first alone
		}
	}
	addCategory := func(s string) {
		s = truncateRunes(textLine(c.fix(s), kindGuess), 200)
		if s != "" && !slices.Contains(item.Categories, s) && len(item.Categories) < maxListLen {
			item.Categories = append(item.Categories, s)
		}
	}
	var terms []string
	if ef != nil && c.kind == kindPlain {
		terms = ef.terms
		if terms == nil {
			terms = []string{}
		}
	}
	for _, cat := range itemCategories(it, terms) {
		addCategory(cat)
	}

	item.GUID = strings.TrimSpace(rawGUID)
	if item.GUID == "" {
		item.GUID = item.URL
	}
	if item.GUID == "" {
		item.GUID = derivedGUID(item)
	}
	item.GUID = truncateRunes(item.GUID, 2000)
	return item
}

// maxListLen bounds the authors and the categories kept per item.
const maxListLen = 50

// plainToHTML escapes plain text so that it reads the same as HTML: every
// '<' and '&' stays a character, and paragraphs stay paragraphs.
func plainToHTML(s string) string {
	if strings.TrimSpace(s) == "" {
		return s
	}
	paras := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n")
	var b strings.Builder
	for _, p := range paras {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString("<p>")
			b.WriteString(html.EscapeString(p))
			b.WriteString("</p>")
		}
	}
	return b.String()
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
	body := &xhtml.Node{Type: xhtml.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := xhtml.ParseFragment(strings.NewReader(s), body)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, nd := range nodes {
		if err := xhtml.Render(&b, nd); err != nil {
			return ""
		}
	}
	return strings.TrimSpace(b.String())
}
