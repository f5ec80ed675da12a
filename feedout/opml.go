package feedout

import (
	"bytes"
	"encoding/xml"
	"strings"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/htmlsafe"
	"github.com/wirefeed/wirefeed/internal/redact"
)

// OPML 2.0 (https://opml.org/spec2.opml): the configured sources as a
// subscription list, for operators and for readers that want the outlets
// one by one.
type opmlDoc struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Outline []opmlEntry `xml:"body>outline"`
}

type opmlEntry struct {
	Type     string `xml:"type,attr"`
	Text     string `xml:"text,attr"`
	Title    string `xml:"title,attr"`
	XMLURL   string `xml:"xmlUrl,attr"`
	Category string `xml:"category,attr,omitempty"`
}

// renderOPML lists feeds in config order. Tags become OPML categories
// ("/tag" each, comma-separated). Feed URLs are shown without their
// credentials and secret parameters, so a list meant for subscribing may
// need them added back.
func renderOPML(title string, feeds []wirefeed.Feed, r *redact.Redactor) []byte {
	doc := opmlDoc{Version: "2.0", Title: xmlSafe(title + " sources")}
	for _, f := range feeds {
		var cats []string
		for _, t := range f.Tags {
			cats = append(cats, "/"+strings.ReplaceAll(t, ",", " "))
		}
		name := xmlSafe(htmlsafe.Label(f.Name))
		doc.Outline = append(doc.Outline, opmlEntry{Type: "rss", Text: name, Title: name, XMLURL: xmlSafe(r.URL(f.URL)), Category: xmlSafe(strings.Join(cats, ","))})
	}
	var buf bytes.Buffer
	_ = writeXML(&buf, doc) // the document is all strings: encoding cannot fail
	return buf.Bytes()
}
