// Package feedout renders the merged feed, one entry per story, as RSS 2.0,
// Atom 1.0 and JSON Feed 1.1, and serves it over HTTP with conditional GET,
// gzip and a rendering cache that is kept until the data changes. It also
// serves the operator's status page and the sources as OPML, and writes all
// of it to a directory for static hosting.
//
// RSS and Atom entries are built with gorilla/feeds and extended around it
// where it has no room; each place says how. JSON Feed uses types of our
// own, because gorilla's JSON item cannot carry the `_wirefeed` extension
// object.
package feedout

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/feeds"
	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/htmlsafe"
	"github.com/wirefeed/wirefeed/internal/redact"
)

// Format is an output format of the merged feed.
type Format string

// The formats.
const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
)

// Formats lists every format, in the order files are written.
var Formats = []Format{RSS, Atom, JSON}

// ParseFormat returns the Format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case RSS, Atom, JSON:
		return f, nil
	}
	return "", fmt.Errorf("feedout: unknown format %q (want rss, atom or json)", s)
}

// ContentType is the media type a format is served with.
func (f Format) ContentType() string {
	switch f {
	case RSS:
		return "application/rss+xml; charset=utf-8"
	case Atom:
		return "application/atom+xml; charset=utf-8"
	default:
		return "application/feed+json; charset=utf-8"
	}
}

// Meta describes the merged feed itself.
type Meta struct {
	Title       string
	Description string
	// BaseURL is where the merged feed is published ("https://news.example/");
	// self links are made from it. May be empty.
	BaseURL string
	// Path is the feed's path under BaseURL without extension: "feed" for
	// the main feed, "feeds/<name>" for a named output.
	Path string
	// NextURL, when not empty, is the next (older) page of this feed; it may
	// be relative to the feed's own URL.
	NextURL string
	// Redact hides credentials and secret parameters of feed URLs; nil
	// redacts userinfo and redact.DefaultParams.
	Redact *redact.Redactor
	// Home is the server's URL as a request reached it, the RSS channel
	// link when BaseURL is empty (RSS 2.0 requires one). Other links are
	// not made from it: a self link from a Host header is not ours to
	// claim.
	Home string
}

// StoryIDPrefix is the prefix of every entry id: the id of a story is
// StoryIDPrefix + cluster id, forever.
const StoryIDPrefix = "urn:wirefeed:story:"

// Render writes stories in format f. The output depends only on its
// arguments (no clock), so equal data renders to equal bytes and ETags.
func Render(w io.Writer, f Format, meta Meta, stories []wirefeed.Story) error {
	if meta.Path == "" {
		meta.Path = "feed"
	}
	stories = forReaders(meta.Redact, stories)
	switch f {
	case RSS:
		return renderRSS(w, meta, stories)
	case Atom:
		return renderAtom(w, meta, stories)
	case JSON:
		return renderJSON(w, meta, stories)
	}
	return fmt.Errorf("feedout: unknown format %q", f)
}

// lastUpdated is the feed's own updated time: the newest story change.
func lastUpdated(stories []wirefeed.Story) time.Time {
	var t time.Time
	for _, s := range stories {
		if s.Updated.After(t) {
			t = s.Updated
		}
	}
	if t.IsZero() {
		t = time.Unix(0, 0).UTC()
	}
	return t
}

func selfURL(meta Meta, ext string) string {
	if meta.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(meta.BaseURL, "/") + "/" + meta.Path + "." + ext
}

func homeURL(meta Meta) string {
	if meta.BaseURL == "" {
		return ""
	}
	return strings.TrimSuffix(meta.BaseURL, "/") + "/"
}

// The representative's HTML is sanitised once more on the way out. The
// fetcher stored it sanitised; this second pass means a database written by
// an older or buggy version still cannot put active content (script, style,
// event handlers, javascript: URLs, iframes) into readers.

// entryContent is the representative's HTML followed by the list of every
// outlet that carried the story. Member titles and names are escaped.
func entryContent(st wirefeed.Story) string {
	var b strings.Builder
	if h := strings.TrimSpace(st.Representative.HTML); h != "" {
		b.WriteString(htmlsafe.Sanitize(h))
	} else if st.Representative.Summary != "" {
		b.WriteString("<p>" + html.EscapeString(st.Representative.Summary) + "</p>")
	}
	others := 0
	for _, m := range st.Members {
		if m.ItemID != st.Representative.ItemID {
			others++
		}
	}
	if others == 0 {
		return b.String()
	}
	b.WriteString("\n<hr/>\n<p>Also reported by:</p>\n<ul>\n")
	for _, m := range st.Members {
		if m.ItemID == st.Representative.ItemID {
			continue
		}
		b.WriteString("<li>")
		if safeLink(m.URL) {
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(m.URL), html.EscapeString(m.FeedName))
		} else {
			b.WriteString(html.EscapeString(m.FeedName))
		}
		if m.Title != "" && m.Title != st.Representative.Title {
			b.WriteString(": " + html.EscapeString(m.Title))
		}
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>")
	return b.String()
}

// safeLink reports whether u may be written as a link: only http and https
// URLs are, so a javascript: URL stored by mistake never reaches a reader.
func safeLink(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

func linkOrEmpty(u string) string {
	if safeLink(u) {
		return u
	}
	return ""
}

func entryTitle(st wirefeed.Story) string {
	if st.Representative.Title != "" {
		return st.Representative.Title
	}
	t := []rune(htmlsafe.Label(st.Representative.Summary))
	if len(t) > 80 {
		return string(t[:80]) + "…"
	}
	return string(t)
}

// storyPublished is the story's date: when its first copy was published.
func storyPublished(st wirefeed.Story) time.Time {
	if !st.Published.IsZero() && st.Published.Unix() != 0 {
		return st.Published
	}
	p := st.Representative.Published
	for _, m := range st.Members {
		if m.Published.Before(p) {
			p = m.Published
		}
	}
	return p
}

// gorillaItems builds gorilla's generic items, which it turns into RSS
// items and Atom entries. Every string is made XML-safe here.
func gorillaFeed(meta Meta, stories []wirefeed.Story) *feeds.Feed {
	f := &feeds.Feed{
		Title:       xmlSafe(meta.Title),
		Link:        &feeds.Link{Href: homeURL(meta)},
		Description: xmlSafe(meta.Description),
		Updated:     lastUpdated(stories),
	}
	for _, st := range stories {
		rep := st.Representative
		it := &feeds.Item{
			Title:       xmlSafe(entryTitle(st)),
			Link:        &feeds.Link{Href: xmlSafe(linkOrEmpty(rep.URL))},
			Description: xmlSafe(rep.Summary),
			Id:          StoryIDPrefix + st.ID,
			IsPermaLink: "false",
			Created:     storyPublished(st),
			Updated:     st.Updated,
			Content:     xmlSafe(entryContent(st)),
		}
		if len(rep.Authors) > 0 {
			it.Author = &feeds.Author{Name: xmlSafe(strings.Join(rep.Authors, ", "))}
		}
		f.Items = append(f.Items, it)
	}
	return f
}

// RSS 2.0. gorilla's channel has no room for atom:link (self and next
// links) nor for more than one category or a <source> element with its
// url attribute, so its channel and items are embedded in types of ours
// that add those elements; encoding/xml writes embedded fields in place.
type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Content string     `xml:"xmlns:content,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	*feeds.RssFeed
	AtomLinks []rssAtomLink
	Entries   []rssItem
}

type rssAtomLink struct {
	XMLName xml.Name `xml:"atom:link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr"`
	Type    string   `xml:"type,attr"`
}

type rssItem struct {
	*feeds.RssItem
	Categories []string   `xml:"category"`
	Source     *rssSource `xml:"source"`
}

// rssSource names the outlet the entry's copy comes from (RSS 2.0 <source>).
type rssSource struct {
	URL  string `xml:"url,attr"`
	Name string `xml:",chardata"`
}

func renderRSS(w io.Writer, meta Meta, stories []wirefeed.Story) error {
	ch := (&feeds.Rss{Feed: gorillaFeed(meta, stories)}).RssFeed()
	ch.Generator = "wirefeed"
	ch.PubDate = "" // gorilla copies lastBuildDate here; a channel has no single publication date
	if ch.Link == "" {
		ch.Link = selfURL(meta, "rss")
	}
	if ch.Link == "" {
		ch.Link = xmlSafe(meta.Home)
	}
	doc := rssDoc{Version: "2.0", Content: "http://purl.org/rss/1.0/modules/content/", AtomNS: "http://www.w3.org/2005/Atom"}
	doc.Channel.RssFeed = ch
	if self := selfURL(meta, "rss"); self != "" {
		doc.Channel.AtomLinks = append(doc.Channel.AtomLinks, rssAtomLink{Href: self, Rel: "self", Type: "application/rss+xml"})
	}
	if meta.NextURL != "" {
		doc.Channel.AtomLinks = append(doc.Channel.AtomLinks, rssAtomLink{Href: xmlSafe(meta.NextURL), Rel: "next", Type: "application/rss+xml"})
	}
	for i, st := range stories {
		it := rssItem{RssItem: ch.Items[i]}
		// The summary is plain text; RSS descriptions are HTML, so it is
		// escaped once as HTML (and again as XML by the encoder).
		it.Description = html.EscapeString(it.Description)
		it.Source = nil
		for _, c := range st.Representative.Category {
			it.Categories = append(it.Categories, xmlSafe(c))
		}
		rep := st.Representative
		if safeLink(rep.FeedURL) && rep.FeedName != "" {
			it.Source = &rssSource{URL: xmlSafe(rep.FeedURL), Name: xmlSafe(rep.FeedName)}
		}
		doc.Channel.Entries = append(doc.Channel.Entries, it)
	}
	ch.Items = nil
	return writeXML(w, doc)
}

// Atom 1.0. gorilla's feed carries a single <link> and its entries cannot
// carry link titles or categories with a term attribute, so the feed
// element is ours and each gorilla entry is embedded in an entry type of
// ours that adds a titled link per member outlet and proper categories.
type atomDoc struct {
	XMLName   xml.Name          `xml:"feed"`
	Xmlns     string            `xml:"xmlns,attr"`
	Title     string            `xml:"title"`
	Subtitle  string            `xml:"subtitle,omitempty"`
	ID        string            `xml:"id"`
	Updated   string            `xml:"updated"`
	Links     []atomLink        `xml:"link"`
	Author    *feeds.AtomAuthor `xml:"author"`
	Generator string            `xml:"generator"`
	Entries   []atomEntry       `xml:"entry"`
}

type atomLink struct {
	Href  string `xml:"href,attr"`
	Rel   string `xml:"rel,attr,omitempty"`
	Type  string `xml:"type,attr,omitempty"`
	Title string `xml:"title,attr,omitempty"`
}

type atomEntry struct {
	*feeds.AtomEntry
	MemberLinks []atomLink     `xml:"link"`
	Categories  []atomCategory `xml:"category"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

func renderAtom(w io.Writer, meta Meta, stories []wirefeed.Story) error {
	af := (&feeds.Atom{Feed: gorillaFeed(meta, stories)}).AtomFeed()
	doc := atomDoc{
		Xmlns:     "http://www.w3.org/2005/Atom",
		Title:     af.Title,
		Subtitle:  af.Subtitle,
		ID:        "urn:wirefeed:feed:" + meta.Path,
		Updated:   af.Updated,
		Author:    &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: xmlSafe(meta.Title)}},
		Generator: "wirefeed",
	}
	if home := homeURL(meta); home != "" {
		doc.Links = append(doc.Links, atomLink{Href: home, Rel: "alternate", Type: "text/html"})
	}
	if self := selfURL(meta, "atom"); self != "" {
		doc.Links = append(doc.Links, atomLink{Href: self, Rel: "self", Type: "application/atom+xml"})
	}
	if meta.NextURL != "" {
		doc.Links = append(doc.Links, atomLink{Href: xmlSafe(meta.NextURL), Rel: "next", Type: "application/atom+xml"})
	}
	for i, st := range stories {
		e := atomEntry{AtomEntry: af.Entries[i]}
		rep := st.Representative
		e.Links = nil
		if u := linkOrEmpty(rep.URL); u != "" {
			e.MemberLinks = append(e.MemberLinks, atomLink{Href: xmlSafe(u), Rel: "alternate", Type: "text/html", Title: xmlSafe(rep.FeedName)})
		}
		// Every other outlet's copy gets a rel="related" link titled with
		// the outlet's name, so readers can reach each copy.
		for _, m := range st.Members {
			if m.ItemID == rep.ItemID || !safeLink(m.URL) {
				continue
			}
			e.MemberLinks = append(e.MemberLinks, atomLink{Href: xmlSafe(m.URL), Rel: "related", Type: "text/html", Title: xmlSafe(m.FeedName)})
		}
		if e.Summary != nil {
			e.Summary.Type = "text" // our summaries are plain text
		}
		for _, c := range rep.Category {
			e.Categories = append(e.Categories, atomCategory{Term: xmlSafe(c)})
		}
		e.Published = rfc3339(storyPublished(st))
		doc.Entries = append(doc.Entries, e)
	}
	return writeXML(w, doc)
}

func writeXML(w io.Writer, v any) error {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("feedout: encoding xml: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// JSON Feed 1.1 types. gorilla's JSONItem has no room for extensions and
// mis-tags banner_image, so the merged feed uses these.
type jsonFeed struct {
	Version     string     `json:"version"`
	Title       string     `json:"title"`
	HomePageURL string     `json:"home_page_url,omitempty"`
	FeedURL     string     `json:"feed_url,omitempty"`
	NextURL     string     `json:"next_url,omitempty"`
	Description string     `json:"description,omitempty"`
	Items       []jsonItem `json:"items"`
}

type jsonItem struct {
	ID            string       `json:"id"`
	URL           string       `json:"url,omitempty"`
	Title         string       `json:"title,omitempty"`
	ContentHTML   string       `json:"content_html,omitempty"`
	ContentText   string       `json:"content_text,omitempty"`
	Summary       string       `json:"summary,omitempty"`
	DatePublished string       `json:"date_published,omitempty"`
	DateModified  string       `json:"date_modified,omitempty"`
	Authors       []jsonAuthor `json:"authors,omitempty"`
	Tags          []string     `json:"tags,omitempty"`
	Wirefeed      jsonCluster  `json:"_wirefeed"`
}

type jsonAuthor struct {
	Name string `json:"name"`
}

type jsonCluster struct {
	ClusterID string       `json:"cluster_id"`
	FirstSeen string       `json:"first_seen"`
	Members   []jsonMember `json:"members"`
}

type jsonMember struct {
	Feed      string `json:"feed"`
	FeedURL   string `json:"feed_url"`
	GUID      string `json:"guid"`
	URL       string `json:"url"`
	Title     string `json:"title"`
	Published string `json:"published"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func renderJSON(w io.Writer, meta Meta, stories []wirefeed.Story) error {
	jf := jsonFeed{
		Version:     "https://jsonfeed.org/version/1.1",
		Title:       xmlSafe(meta.Title),
		HomePageURL: homeURL(meta),
		FeedURL:     selfURL(meta, "json"),
		NextURL:     meta.NextURL,
		Description: xmlSafe(meta.Description),
		Items:       make([]jsonItem, 0, len(stories)),
	}
	for _, st := range stories {
		rep := st.Representative
		// JSON can carry any character, but readers that turn content into
		// XML or HTML choke on the ones XML forbids, so they go here too.
		it := jsonItem{
			ID:            StoryIDPrefix + st.ID,
			URL:           xmlSafe(linkOrEmpty(rep.URL)),
			Title:         xmlSafe(entryTitle(st)),
			ContentHTML:   xmlSafe(entryContent(st)),
			Summary:       xmlSafe(rep.Summary),
			DatePublished: rfc3339(storyPublished(st)),
			DateModified:  rfc3339(st.Updated),
			Wirefeed:      jsonCluster{ClusterID: st.ID, FirstSeen: rfc3339(st.FirstSeen), Members: make([]jsonMember, 0, len(st.Members))},
		}
		if it.ContentHTML == "" {
			it.ContentText = it.Title // JSON Feed requires one of the two
		}
		for _, c := range rep.Category {
			it.Tags = append(it.Tags, xmlSafe(c))
		}
		for _, a := range rep.Authors {
			it.Authors = append(it.Authors, jsonAuthor{Name: xmlSafe(a)})
		}
		for _, m := range st.Members {
			it.Wirefeed.Members = append(it.Wirefeed.Members, jsonMember{
				Feed: xmlSafe(m.FeedName), FeedURL: xmlSafe(linkOrEmpty(m.FeedURL)), GUID: xmlSafe(m.GUID), URL: xmlSafe(linkOrEmpty(m.URL)),
				Title: xmlSafe(m.Title), Published: rfc3339(m.Published),
			})
		}
		jf.Items = append(jf.Items, it)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jf); err != nil {
		return fmt.Errorf("feedout: encoding json: %w", err)
	}
	return nil
}

// xmlSafe removes characters XML 1.0 forbids (U+0000, most C0 controls,
// surrogates, U+FFFE/U+FFFF). gorilla/feeds writes content as CDATA without
// filtering, so one such character would make the whole feed malformed. A
// "]]>" needs no care here: encoding/xml splits it across two CDATA
// sections.
func xmlSafe(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	clean := true
	for _, r := range s {
		if !xmlChar(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if xmlChar(r) {
			return r
		}
		return -1
	}, s)
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}
