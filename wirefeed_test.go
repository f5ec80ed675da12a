package wirefeed_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

// TestNewStoryIDsSortByFirstSeen checks that story ids are 16 characters
// of lower-case base32, differ by feed, GUID and attempt, and that the id
// of a story first seen later sorts after the id of one seen earlier (the
// stories' and items' indexes by id grow at their end).
func TestNewStoryIDsSortByFirstSeen(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 2000 {
		seen := t0.Add(time.Duration(i) * time.Second)
		guid := strings.Repeat("z", 2000-i) // GUIDs sort the other way
		ids = append(ids, wirefeed.NewStoryID(seen, "Agency", guid, 0))
	}
	if !slices.IsSorted(ids) {
		t.Error("ids of stories first seen one second apart do not sort by that time")
	}
	for _, id := range ids {
		if len(id) != 16 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz234567") != "" {
			t.Fatalf("id %q: want 16 characters of lower-case base32", id)
		}
	}
	// Years apart too, up to the day the seconds no longer fit in five
	// bytes (year 36812).
	if a, b := wirefeed.NewStoryID(t0, "A", "g", 0), wirefeed.NewStoryID(t0.AddDate(900, 0, 0), "A", "g", 0); a >= b {
		t.Errorf("id %q of 2026 does not sort before %q of 2926", a, b)
	}

	base := wirefeed.NewStoryID(t0, "Agency", "g1", 0)
	seen := map[string]string{base: "base"}
	for name, id := range map[string]string{
		"other feed":    wirefeed.NewStoryID(t0, "Agency 2", "g1", 0),
		"other GUID":    wirefeed.NewStoryID(t0, "Agency", "g2", 0),
		"next attempt":  wirefeed.NewStoryID(t0, "Agency", "g1", 1),
		"feed and GUID": wirefeed.NewStoryID(t0, "Agencyg", "1", 0), // not a concatenation
	} {
		if other, dup := seen[id]; dup {
			t.Errorf("%s gives the id of %s: %q", name, other, id)
		}
		seen[id] = name
	}
	if again := wirefeed.NewStoryID(t0, "Agency", "g1", 0); again != base {
		t.Errorf("same input, ids %q and %q", base, again)
	}
}
