package dedupe_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// wireStory is an agency's story, as it filed it.
var wireStory = []string{
	"China and the United States agreed on Monday to stabilise their relations after two days of talks in Beijing, the first visit by a US secretary of state in five years.",
	"The two sides said they would keep talking at a senior level and encourage exchanges between students, scholars and business people, but reported no progress on military communication channels.",
	"Officials described the meetings as candid and constructive, and said a visit by the Chinese foreign minister to Washington would be arranged at a mutually convenient time later this year.",
}

// New makes the deduplicator that a store calls for every new item. Here
// an in-memory store stands in for the SQLite one: each Record is one
// matching session (Begin), which is asked about each item (Match); the
// store keeps the item in the story the session decides. The agency's copy is the portal's once the portal's
// dateline and lines are removed (the body rule); with the agency among
// the preferred sources, it represents the story though the portal
// printed it first.
func ExampleNew() {
	ctx := context.Background()
	engine := dedupe.New(dedupe.Options{PreferredSources: []string{"Agency"}})
	st := wirefeedtest.NewStore(engine)
	at := time.Date(2023, 6, 19, 10, 0, 0, 0, time.UTC)
	record := func(feed string, seen time.Time, it wirefeed.Item) {
		it.Published, it.Updated = seen, seen
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: feed}, Attempted: seen, Status: 200, Items: []wirefeed.Item{it}}); err != nil {
			log.Fatal(err)
		}
	}
	// A portal prints the story first, in its furniture, under its own
	// headline; the agency's copy comes later.
	record("Daily Portal", at, wirefeed.Item{GUID: "p-77", URL: "https://portal.example/77", Title: "Washington and Beijing vow to steady ties",
		Text: "BEIJING (Reuters) - " + strings.Join(wireStory, "\n\nAdvertisement\n\n") + "\n\nSign up for our newsletter."})
	record("Agency", at.Add(30*time.Minute), wirefeed.Item{GUID: "a-1", URL: "https://agency.example/a-1", Title: "US, China agree to stabilise relations",
		Text: strings.Join(wireStory, "\n\n")})

	stories, err := st.Stories(ctx, wirefeed.StoryQuery{})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range stories {
		fmt.Printf("%q, %d outlets\n", s.Representative.Title, len(s.Members))
		for _, m := range s.Members {
			fmt.Printf("  %s: %s\n", m.FeedName, m.Rule)
		}
	}
	// Output:
	// "US, China agree to stabilise relations", 2 outlets
	//   Daily Portal: new
	//   Agency: body
}

// Begin opens a matching session, inside the store's write transaction:
// its Match decides the story of a candidate from what is stored (an item
// with the same link, else with the same body, else the best verified
// near copy, else a new story). A copy cut to its opening, with a dateline
// and a site's lines added, is the agency's story. A session that is not
// committed leaves no trace.
func ExampleEngine_Begin() {
	ctx := context.Background()
	engine := dedupe.New(dedupe.Options{})
	st := wirefeedtest.NewStore(engine)
	at := time.Date(2023, 6, 19, 10, 0, 0, 0, time.UTC)
	_, err := st.Record(ctx, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: "Agency"}, Attempted: at, Status: 200, Items: []wirefeed.Item{{
		GUID: "a-1", URL: "https://agency.example/a-1", Title: "US, China agree to stabilise relations",
		Text: strings.Join(wireStory, "\n\n"), Published: at, Updated: at}}})
	if err != nil {
		log.Fatal(err)
	}

	tx, err := engine.Begin(ctx, st.Lookup())
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Abort()
	cut := wirefeed.Item{GUID: "p-78", URL: "https://portal.example/78", Title: "Blinken leaves Beijing with promise of more talks",
		Text: "BEIJING (Reuters) - " + wireStory[0] + "\n\n" + wireStory[1] + "\n\nSee also: Markets rally as oil prices fall"}
	dec, err := tx.Match(ctx, wirefeed.Candidate{Feed: "Daily Portal", Item: &cut, Seen: at.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	stories, _ := st.Stories(ctx, wirefeed.StoryQuery{})
	fmt.Println(dec.Rule, dec.StoryID == stories[0].ID)

	other := wirefeed.Item{GUID: "p-79", URL: "https://portal.example/79", Title: "Storms close schools across the region",
		Text: "Heavy rain and high winds closed schools across the region on Monday, and forecasters said the storms would last into Wednesday, with flooding likely along the coast and in low-lying towns inland."}
	dec, err = tx.Match(ctx, wirefeed.Candidate{Feed: "Daily Portal", Item: &other, Seen: at.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(dec.Rule, dec.StoryID == "")
	// Output:
	// near-duplicate true
	// new true
}
