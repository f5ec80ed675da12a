package dedupe

import (
	"fmt"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

// TestBoilerplateIsLearnedFromRecentItems: a sentence is learned as a
// feed's boilerplate when it recurs in BoilerplateStories of the feed's last
// SentenceItems items, not when as many occurrences are spread over more
// of its history; the same on the in-memory store and the SQLite store.
func TestBoilerplateIsLearnedFromRecentItems(t *testing.T) {
	if n := New(Options{}).SentenceItems(); n != 64 {
		t.Errorf("SentenceItems = %d by default, want 64", n)
	}
	if n := New(Options{BoilerplateStories: 6}).SentenceItems(); n != 96 {
		t.Errorf("SentenceItems = %d with BoilerplateStories 6, want 96", n)
	}
	const spread = "The ministry said the figures would be reviewed again by the committee in the spring."
	const close = "Officials from both countries declined to comment further on the details of the talks."
	for _, rec := range []struct {
		name string
		new  func(*testing.T, Options) *recorder
	}{{"in-memory store", newRecorder}, {"SQLite store", newStoreRecorder}} {
		t.Run(rec.name, func(t *testing.T) {
			r := rec.new(t, Options{})
			var batch []wirefeed.Item
			// 4 occurrences of spread, 40 items apart: never 4 within 64
			// items; then 4 of close, 10 apart.
			for i := range 200 {
				txt := fmt.Sprintf("Report %d: the delegation number %d met officials in the capital on day %d of its visit. "+
					"Talks covered trade item %d and security item %d, according to statement %d.", i, i, i, i*3, i*7, i*11)
				switch {
				case i < 160 && i%40 == 0:
					txt += " " + spread
				case i >= 160 && i%10 == 0:
					txt += " " + close
				}
				batch = append(batch, body(fmt.Sprint("d", i), fmt.Sprintf("Delegation %d visits the capital", i), txt))
				if len(batch) == 8 {
					r.add("Desk", t0.Add(time.Duration(i)*time.Minute), batch...)
					batch = nil
				}
			}
			learned := map[int64]bool{}
			if err := r.st.ScanBoilerplate(t.Context(), func(feed string, h int64) error {
				learned[h] = true
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			hashOf := func(s string) int64 {
				c := cleanBody(s, "", nil, nil)
				if len(c.fresh) != 1 {
					t.Fatalf("%q: %d sentences", s, len(c.fresh))
				}
				return int64(c.fresh[0])
			}
			if learned[hashOf(spread)] {
				t.Errorf("a sentence in 4 items 40 apart was learned as boilerplate")
			}
			if !learned[hashOf(close)] {
				t.Errorf("a sentence in 4 items 10 apart was not learned as boilerplate")
			}
			if len(learned) != 1 {
				t.Errorf("%d sentences learned, want 1", len(learned))
			}
		})
	}
}
