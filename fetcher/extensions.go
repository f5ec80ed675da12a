package fetcher

import (
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
)

// Values gofeed parses into its extension maps but does not translate into
// the universal item: Dublin Core terms dates, every dc:creator, Media RSS
// and iTunes categories. gofeed keys extensions by the namespace's usual
// prefix ("dcterms", "media", "itunes") whatever prefix the document used.

// extDate returns the first parseable date among the named elements of an
// extension namespace, in the order of names.
func extDate(e ext.Extensions, ns string, names ...string) *time.Time {
	for _, name := range names {
		for _, x := range e[ns][name] {
			if t, ok := parseW3CDate(x.Value); ok {
				return &t
			}
		}
	}
	return nil
}

// w3cLayouts are the date forms of W3CDTF (ISO 8601 profile used by Dublin
// Core) and the mail-style dates some feeds put there instead.
var w3cLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02",
	"2006-01",
	time.RFC1123Z,
	time.RFC1123,
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700",
}

// parseW3CDate reads a date written in one of w3cLayouts; dates without a
// zone are UTC.
func parseW3CDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	for _, layout := range w3cLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// itemCategories returns an entry's categories from every source, in
// order: the format's own (Atom terms, RSS category, dc:subject), Media RSS
// media:category, iTunes itunes:category (with subcategories) and
// itunes:keywords. terms, when not nil, are the Atom category terms read
// from the document (gofeed prefers an Atom category's label).
func itemCategories(it *gofeed.Item, terms []string) []string {
	var out []string
	if terms != nil {
		out = append(out, terms...)
	} else {
		out = append(out, it.Categories...)
	}
	for _, x := range it.Extensions["media"]["category"] {
		out = append(out, x.Value)
	}
	for _, g := range it.Extensions["media"]["group"] {
		for _, x := range g.Children["category"] {
			out = append(out, x.Value)
		}
	}
	var itunes func(xs []ext.Extension, depth int)
	itunes = func(xs []ext.Extension, depth int) {
		for _, x := range xs {
			if t := x.Attrs["text"]; t != "" {
				out = append(out, t)
			}
			if depth < 3 {
				itunes(x.Children["category"], depth+1)
			}
		}
	}
	itunes(it.Extensions["itunes"]["category"], 0)
	for _, x := range it.Extensions["itunes"]["keywords"] {
		out = append(out, strings.Split(x.Value, ",")...)
	}
	if len(out) > 4*maxListLen {
		out = out[:4*maxListLen]
	}
	return out
}

// firstExt returns the first non-empty value of an extension element.
func firstExt(e ext.Extensions, ns, name string) string {
	for _, x := range e[ns][name] {
		if v := strings.TrimSpace(x.Value); v != "" {
			return v
		}
	}
	return ""
}
