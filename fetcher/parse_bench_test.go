package fetcher

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses a 100-item RSS document with 2 KB HTML bodies
// (about 250 KB): decoding, gofeed, the side scan of issue 10 and
// normalisation. Run with -cpu 1; it reports MB/s.
func BenchmarkParse(b *testing.B) {
	var d strings.Builder
	d.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Bench</title><link>https://bench.example/</link>`)
	para := strings.Repeat("Delegates met for a third day of talks on trade, security and climate, and agreed a statement. ", 4)
	for i := range 100 {
		fmt.Fprintf(&d, `<item><title>Story %d &amp; more</title><link>https://bench.example/story/%d?utm_source=rss</link><guid>bench-%d</guid>`+
			`<pubDate>Wed, 14 Jun 2023 10:%02d:00 GMT</pubDate><dc:creator>Reporter %d</dc:creator><category>World</category>`+
			`<description><![CDATA[<p>%s</p><p>%s</p><p>%s</p><p>%s</p><p><a href="/more/%d">More</a></p>]]></description></item>`,
			i, i, i, i%60, i%7, para, para, para, para, i)
	}
	d.WriteString(`</channel></rss>`)
	body := []byte(d.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		doc, err := Parse(body, "", "https://bench.example/feed", seenAt, Limits{})
		if err != nil || len(doc.Items) != 100 {
			b.Fatalf("Parse: %v", err)
		}
	}
}
