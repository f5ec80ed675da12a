// Package feedout renders the merged feed, one entry per story, as RSS 2.0,
// Atom 1.0 and JSON Feed 1.1, and serves it over HTTP with conditional GET,
// gzip and a rendering cache that is kept until the data changes.
//
// RSS and Atom are built with gorilla/feeds and then extended where it has
// no room (member links on Atom entries, isPermaLink on RSS guids). JSON Feed
// uses types of our own, because gorilla's JSON item cannot carry the
// `_wirefeed` extension object.
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

	"github.com/gorilla/feeds"
	"github.com/wirefeed/wirefeed"
)

// Format is an output format of the merged feed.
type Format string

// The formats.
const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
)

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
	// Path is the feed's path under BaseURL without extension ("feed").
	Path string
}

// StoryIDPrefix is the prefix of every entry id: the id of a story is
// StoryIDPrefix + cluster id, forever.
const StoryIDPrefix = "urn:wirefeed:story:"

// Render writes stories in format f. The output depends only on its
// arguments (no clock), so equal data renders to equal bytes and ETags.
func Render(w io.Writer, f Format, meta Meta, stories []wirefeed.Story) error {
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

// entryContent is the representative's HTML followed by the list of every
// outlet that carried the story. Member titles and names are escaped; the
// representative's HTML was sanitised when it was stored.
func entryContent(st wirefeed.Story) string {
	var b strings.Builder
	b.WriteString(st.Representative.HTML)
	if b.Len() == 0 && st.Representative.Summary != "" {
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
		if m.URL != "" {
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

func entryTitle(st wirefeed.Story) string {
	if st.Representative.Title != "" {
		return st.Representative.Title
	}
	t := []rune(st.Representative.Summary)
	if len(t) > 80 {
		return string(t[:80]) + "…"
	}
	return string(t)
}

func storyPublished(st wirefeed.Story) time.Time {
	p := st.Representative.Published
	for _, m := range st.Members {
		if m.Published.Before(p) {
			p = m.Published
		}
	}
	return p
}

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
			Link:        &feeds.Link{Href: xmlSafe(rep.URL)},
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

func renderRSS(w io.Writer, meta Meta, stories []wirefeed.Story) error {
	rss := (&feeds.Rss{Feed: gorillaFeed(meta, stories)}).RssFeed()
	rss.Generator = "wirefeed"
	for i, st := range stories {
		// gorilla writes <source> as a bare URL, which RSS 2.0 does not
		// allow; the member outlets are in the content instead.
		rss.Items[i].Source = ""
		if len(st.Representative.Category) > 0 {
			rss.Items[i].Category = xmlSafe(st.Representative.Category[0])
		}
	}
	return writeXML(w, &feeds.RssFeedXml{Version: "2.0", ContentNamespace: "http://purl.org/rss/1.0/modules/content/", Channel: rss})
}

func renderAtom(w io.Writer, meta Meta, stories []wirefeed.Story) error {
	af := (&feeds.Atom{Feed: gorillaFeed(meta, stories)}).AtomFeed()
	af.Id = "urn:wirefeed:feed:" + meta.Path
	if self := selfURL(meta, "atom"); self != "" {
		af.Link = &feeds.AtomLink{Href: self, Rel: "self", Type: "application/atom+xml"}
	} else {
		af.Link = nil
	}
	for i, st := range stories {
		e := af.Entries[i]
		if st.Representative.URL == "" {
			e.Links = nil
		}
		// gorilla's entry carries one link; each member outlet gets a
		// rel="related" link of its own so readers can reach every copy.
		for _, m := range st.Members {
			if m.ItemID == st.Representative.ItemID || m.URL == "" {
				continue
			}
			e.Links = append(e.Links, feeds.AtomLink{Href: xmlSafe(m.URL), Rel: "related", Type: "text/html"})
		}
		if !st.Representative.Published.IsZero() {
			e.Published = storyPublished(st).Format(time.RFC3339)
		}
	}
	return writeXML(w, af)
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
		Title:       meta.Title,
		HomePageURL: homeURL(meta),
		FeedURL:     selfURL(meta, "json"),
		Description: meta.Description,
		Items:       make([]jsonItem, 0, len(stories)),
	}
	for _, st := range stories {
		rep := st.Representative
		it := jsonItem{
			ID:            StoryIDPrefix + st.ID,
			URL:           rep.URL,
			Title:         entryTitle(st),
			ContentHTML:   entryContent(st),
			Summary:       rep.Summary,
			DatePublished: rfc3339(storyPublished(st)),
			DateModified:  rfc3339(st.Updated),
			Tags:          rep.Category,
			Wirefeed:      jsonCluster{ClusterID: st.ID, FirstSeen: rfc3339(st.FirstSeen), Members: make([]jsonMember, 0, len(st.Members))},
		}
		if it.ContentHTML == "" {
			it.ContentText = rep.Title // JSON Feed requires one of the two
		}
		for _, a := range rep.Authors {
			it.Authors = append(it.Authors, jsonAuthor{Name: a})
		}
		for _, m := range st.Members {
			it.Wirefeed.Members = append(it.Wirefeed.Members, jsonMember{
				Feed: m.FeedName, FeedURL: m.FeedURL, GUID: m.GUID, URL: m.URL, Title: m.Title, Published: rfc3339(m.Published),
			})
		}
		jf.Items = append(jf.Items, it)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jf); err != nil {
		return fmt.Errorf("feedout: encoding json: %w", err)
	}
	return nil
}

// xmlSafe removes characters XML 1.0 forbids (U+0000, most C0 controls,
// surrogates, U+FFFE/U+FFFF). gorilla/feeds writes content as CDATA without
// filtering, so one such character would make the whole feed malformed.
func xmlSafe(s string) string {
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
