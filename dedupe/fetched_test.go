package dedupe

import (
	"fmt"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed/fetcher"
)

// fetched returns a body of HTML as the fetcher stores it, sanitised, and
// its plain text: it is the content of an RSS item that fetcher.Parse
// reads. The tests that build items from HTML (full pages, aggregator
// pools) use it so that their items are what a fetch would give. It
// panics if the document it wraps the HTML in cannot be read, which would
// be a bug of its own.
func fetched(html string) (clean, text string) {
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>`)
	doc.WriteString(`<item><guid>x</guid><title>x</title><content:encoded><![CDATA[`)
	doc.WriteString(strings.ReplaceAll(html, "]]>", "]]]]><![CDATA[>"))
	doc.WriteString(`]]></content:encoded></item></channel></rss>`)
	d, err := fetcher.Parse([]byte(doc.String()), "", "", time.Date(2024, 6, 14, 0, 0, 0, 0, time.UTC), fetcher.Limits{})
	if err != nil || len(d.Items) != 1 {
		panic(fmt.Sprintf("fetched: fetcher.Parse of an item with %.60q: %v", html, err))
	}
	return d.Items[0].ContentHTML, d.Items[0].Text
}

// fetchedText returns the plain text of a body of HTML as the fetcher
// stores it.
func fetchedText(html string) string {
	_, text := fetched(html)
	return text
}
