package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
)

// TestExtendingAStoryChoosesAsFullRefresh records outlets joining one story
// in random order, with random lengths, dates and preferred sources, and
// checks after every record that the representative the store kept by
// comparing only the current one with the newcomers is the one a choice
// among all members makes.
func TestExtendingAStoryChoosesAsFullRefresh(t *testing.T) {
	engine := dedupe.New(dedupe.Options{PreferredSources: []string{"Agency 3", "Agency 1"}})
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), "rep.db"), Options{Matcher: engine})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	t0 := time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC)
	const url = "https://wire.example/story" // every copy links the same article: one story
	for round := range 40 {
		feed := fmt.Sprintf("Agency %d", rng.IntN(6))
		var items []wirefeed.Item
		for k := range 1 + rng.IntN(2) {
			words := strings.Repeat("word ", rng.IntN(60))
			pub := t0.Add(time.Duration(rng.IntN(600)) * time.Minute)
			items = append(items, wirefeed.Item{GUID: fmt.Sprintf("r%d-%d", round, k), URL: url, Title: "Story", Text: words, Published: pub, Updated: pub})
		}
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: wirefeed.Feed{Name: feed, URL: "https://" + feed + ".example/"}, Attempted: t0.Add(time.Duration(round) * time.Hour), Status: 200, Items: items}); err != nil {
			t.Fatal(err)
		}
		var cluster string
		var rep, published int64
		if err := st.db.QueryRow(`SELECT id, rep_item_id, published FROM clusters`).Scan(&cluster, &rep, &published); err != nil {
			t.Fatal(err)
		}
		tx, err := st.begin(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := memberHeads(ctx, tx, cluster)
		tx.Rollback()
		if err != nil {
			t.Fatal(err)
		}
		want := ms[engine.Representative(ms)]
		earliest := ms[0].Published.Unix()
		if rep != want.ItemID || published != earliest {
			t.Fatalf("round %d: representative %d, published %d; a full choice gives %d (%s, %d words), published %d",
				round, rep, published, want.ItemID, want.FeedName, want.Words, earliest)
		}
	}
}
