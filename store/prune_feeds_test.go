package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

// TestPruneFeeds removes the feeds no longer configured with their items;
// a story they shared with a kept feed stays, with its id.
func TestPruneFeeds(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	shared := item("k1", "Shared story", "Both carried it.", storiesT0)
	record(t, s, "Kept", shared, item("k2", "Kept only", "Only the kept feed.", storiesT0.Add(time.Minute)))
	copyOf := item("g1", "Shared story again", "Both carried it, a copy.", storiesT0.Add(2*time.Minute))
	copyOf.URL = shared.URL
	record(t, s, "Gone", copyOf, item("g2", "Gone only", "Only the gone feed said quokka.", storiesT0.Add(3*time.Minute)))
	before, err := s.Stories(ctx, wirefeed.StoryQuery{Terms: []string{"shared"}})
	if err != nil || len(before) != 1 || len(before[0].Members) != 2 {
		t.Fatalf("shared story before: %+v, %v", before, err)
	}

	dry, err := s.PruneFeeds(ctx, []string{"Kept"}, true)
	if err != nil || len(dry) != 1 || dry[0].Name != "Gone" || dry[0].Items != 2 {
		t.Fatalf("dry run = %+v, %v; want Gone with 2 items", dry, err)
	}
	if got := searchTitles(t, s, "quokka"); len(got) != 1 {
		t.Fatalf("a dry run deleted: %q", got)
	}
	pruned, err := s.PruneFeeds(ctx, []string{"Kept"}, false)
	if err != nil || len(pruned) != 1 || pruned[0].Name != "Gone" {
		t.Fatalf("PruneFeeds = %+v, %v", pruned, err)
	}
	states, err := s.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := states["Gone"]; ok || len(states) != 1 {
		t.Errorf("feeds after pruning: %v", states)
	}
	if got := titles(mustStories(t, s)); !slices.Equal(got, []string{"Kept only", "Shared story"}) {
		t.Errorf("stories after pruning = %q", got)
	}
	after := mustStories(t, s)
	for _, st := range after {
		if st.Representative.Title == "Shared story" && (st.ID != before[0].ID || len(st.Members) != 1) {
			t.Errorf("shared story after pruning: id %s (was %s), %d members", st.ID, before[0].ID, len(st.Members))
		}
	}
	if got := searchTitles(t, s, "quokka"); got != nil {
		t.Errorf("a pruned feed's item is still found: %q", got)
	}
	if again, err := s.PruneFeeds(ctx, []string{"Kept"}, false); err != nil || len(again) != 0 {
		t.Errorf("second prune = %+v, %v; want nothing", again, err)
	}
}

func mustStories(t *testing.T, s *Store) []wirefeed.Story {
	t.Helper()
	got, err := s.Stories(context.Background(), wirefeed.StoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSyncFeedsFollowsARename: a feed renamed in the config keeps its
// items and state under the new name.
func TestSyncFeedsFollowsARename(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	record(t, s, "Old Name", item("o1", "A story", "Text.", storiesT0))
	url := "https://oldname.example/feed" // as record configures it
	renamed, err := s.SyncFeeds(ctx, []wirefeed.Feed{{Name: "New Name", URL: url}})
	if err != nil {
		t.Fatal(err)
	}
	if renamed["Old Name"] != "New Name" {
		t.Errorf("renames = %v", renamed)
	}
	states, err := s.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := states["New Name"]; !ok || st.Items != 1 || len(states) != 1 {
		t.Errorf("feeds after the rename: %+v", states)
	}
	if got := mustStories(t, s); len(got) != 1 || got[0].Members[0].FeedName != "New Name" {
		t.Errorf("story members after the rename: %+v", got)
	}
	if n, err := s.Size(ctx); err != nil || n < 4096 {
		t.Errorf("Size = %d, %v", n, err)
	}
}

// TestFetchInFlightDuringARename records an outcome that still carries the
// feed's old name after SyncFeeds renamed it (a fetch in flight during a
// reload): its items go to the renamed feed, and no feed of the old name
// comes back.
func TestFetchInFlightDuringARename(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	record(t, s, "Old Name", item("o1", "A story", "Text.", storiesT0))
	if _, err := s.SyncFeeds(ctx, []wirefeed.Feed{{Name: "New Name", URL: "https://oldname.example/feed"}}); err != nil {
		t.Fatal(err)
	}
	record(t, s, "Old Name", item("o2", "Another story", "Other text.", storiesT0.Add(time.Hour)))
	states, err := s.FeedStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := states["New Name"]; !ok || st.Items != 2 || len(states) != 1 {
		t.Errorf("feeds after a fetch in flight during the rename: %+v", states)
	}
	// A feed unknown by name and URL is still added.
	record(t, s, "Third", item("t1", "A third story", "Third text.", storiesT0))
	if states, err = s.FeedStates(ctx); err != nil || len(states) != 2 {
		t.Errorf("feeds after a new feed's outcome: %+v, %v", states, err)
	}
}
