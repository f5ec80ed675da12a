package feedout_test

import (
	"log"
	"os"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/feedout"
)

// Render writes one entry per story: the representative's title, link and
// content, with every outlet that carried the story. In JSON Feed the
// outlets are in the _wirefeed extension object.
func ExampleRender() {
	at := time.Date(2023, 6, 14, 10, 2, 0, 0, time.UTC)
	agency := wirefeed.Member{ItemID: 1, FeedName: "Agency", FeedURL: "https://agency.example/rss",
		GUID: "a-17", URL: "https://agency.example/talks", Title: "Talks resume in Geneva",
		Text: "Negotiators met again on Wednesday.", HTML: "<p>Negotiators met again on Wednesday.</p>",
		Published: at, FirstSeen: at.Add(time.Minute)}
	paper := wirefeed.Member{ItemID: 2, FeedName: "The Paper", FeedURL: "https://paper.example/feed",
		GUID: "https://paper.example/2023/geneva", URL: "https://paper.example/2023/geneva", Title: "Geneva talks back on",
		Text: "Negotiators met again on Wednesday.", Published: at.Add(20 * time.Minute), FirstSeen: at.Add(25 * time.Minute)}
	story := wirefeed.Story{
		ID:             "k5xv3yqztd2h4mfq",
		FirstSeen:      agency.FirstSeen,
		Published:      agency.Published,
		Updated:        paper.FirstSeen,
		Representative: agency,
		Members:        []wirefeed.Member{agency, paper},
	}
	meta := feedout.Meta{Title: "World news, each story once", BaseURL: "https://wirefeed.example/"}
	if err := feedout.Render(os.Stdout, feedout.JSON, meta, []wirefeed.Story{story}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// {
	//   "version": "https://jsonfeed.org/version/1.1",
	//   "title": "World news, each story once",
	//   "home_page_url": "https://wirefeed.example/",
	//   "feed_url": "https://wirefeed.example/feed.json",
	//   "items": [
	//     {
	//       "id": "urn:wirefeed:story:k5xv3yqztd2h4mfq",
	//       "url": "https://agency.example/talks",
	//       "title": "Talks resume in Geneva",
	//       "content_html": "<p>Negotiators met again on Wednesday.</p>\n<hr/>\n<p>Also reported by:</p>\n<ul>\n<li><a href=\"https://paper.example/2023/geneva\">The Paper</a>: Geneva talks back on</li>\n</ul>",
	//       "date_published": "2023-06-14T10:02:00Z",
	//       "date_modified": "2023-06-14T10:27:00Z",
	//       "_wirefeed": {
	//         "cluster_id": "k5xv3yqztd2h4mfq",
	//         "first_seen": "2023-06-14T10:03:00Z",
	//         "members": [
	//           {
	//             "feed": "Agency",
	//             "feed_url": "https://agency.example/rss",
	//             "guid": "a-17",
	//             "url": "https://agency.example/talks",
	//             "title": "Talks resume in Geneva",
	//             "published": "2023-06-14T10:02:00Z"
	//           },
	//           {
	//             "feed": "The Paper",
	//             "feed_url": "https://paper.example/feed",
	//             "guid": "https://paper.example/2023/geneva",
	//             "url": "https://paper.example/2023/geneva",
	//             "title": "Geneva talks back on",
	//             "published": "2023-06-14T10:22:00Z"
	//           }
	//         ]
	//       }
	//     }
	//   ]
	// }
}
