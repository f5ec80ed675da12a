package fetcher_test

import (
	"fmt"
	"log"
	"time"

	"github.com/wirefeed/wirefeed/fetcher"
)

// Parse turns a feed document into normalised items: plain-text titles,
// canonical absolute links (relative links resolved, tracking parameters
// and AMP variants removed), sanitised HTML with its plain text, and UTC
// dates.
func ExampleParse() {
	body := []byte(`<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>World desk</title><link>https://news.example/world</link>
<item>
  <title>Talks resume in &lt;b&gt;Geneva&lt;/b&gt;</title>
  <link>/2023/06/14/talks/amp?utm_source=rss&amp;id=7</link>
  <guid isPermaLink="false">talks-7</guid>
  <pubDate>Wed, 14 Jun 2023 12:02:00 +0200</pubDate>
  <description>&lt;p onclick="track()"&gt;Negotiators met again on Wednesday.&lt;/p&gt;&lt;script&gt;track()&lt;/script&gt;&lt;p&gt;A &lt;a href="/more"&gt;second&lt;/a&gt; round is planned.&lt;/p&gt;</description>
</item>
</channel></rss>`)
	seen := time.Date(2023, 6, 14, 10, 30, 0, 0, time.UTC) // the first-seen time of undated items
	doc, err := fetcher.Parse(body, "application/rss+xml", "https://news.example/rss", seen, fetcher.Limits{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(doc.Meta.Title)
	for _, it := range doc.Items {
		fmt.Println(it.GUID)
		fmt.Println(it.URL)
		fmt.Println(it.Title)
		fmt.Println(it.Published)
		fmt.Printf("%q\n", it.Text)
		fmt.Println(it.ContentHTML)
	}
	// Output:
	// World desk
	// talks-7
	// https://news.example/2023/06/14/talks?id=7
	// Talks resume in Geneva
	// 2023-06-14 10:02:00 +0000 UTC
	// "Negotiators met again on Wednesday.\n\nA second round is planned."
	// <p>Negotiators met again on Wednesday.</p><p>A <a href="https://news.example/more">second</a> round is planned.</p>
}
