package dedupe

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/store"
)

// TestComparedFormPreparesAsTheText records the whole evaluation set (every
// language and shape: full pages, pools with learned source suffixes,
// feeds that learn boilerplate) and then prepares every stored item for
// verification twice, from its compared form and from its text, with the
// boilerplate and source suffixes learned by then: both must give the same
// shingles, lengths and title. Items whose title key changed since they
// were stored must fall back to their text.
func TestComparedFormPreparesAsTheText(t *testing.T) {
	ctx := context.Background()
	items := append(slices.Clone(evalSet(t)), intlSet(t)...)
	bs := batches(items)
	e := New(Options{})
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "wirefeed.db"), store.Options{Matcher: e})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	withNow(bs[0].at, func() {
		if err := e.Rebuild(ctx, st); err != nil {
			t.Fatal(err)
		}
	})
	// And a feed whose footer is learned as boilerplate on its fourth
	// item, after three items that keep it in their compared form.
	const footer = "The municipal council meets again on the first Tuesday of next month in the old town hall."
	last := bs[len(bs)-1].at
	for i := range 6 {
		title, paras := storyText(t, fmt.Sprintf("S%02d", i+1))
		bs = append(bs, batch{at: last.Add(time.Duration(i+1) * time.Minute), feed: "Footer Feed",
			items: []wirefeed.Item{body(fmt.Sprint("footer-", i), title, text(append(paras, footer)...))}})
	}
	for _, b := range bs {
		if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: feedOf(b.feed), Attempted: b.at, Status: 200, Items: b.items}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	stories, err := st.Stories(ctx, wirefeed.StoryQuery{Limit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stories {
		for _, m := range s.Members {
			ids = append(ids, m.ItemID)
		}
	}
	var stored []wirefeed.StoredItem
	if err := st.ReadLookup(ctx, func(l wirefeed.Lookup) error {
		var err error
		stored, err = l.Items(ctx, ids)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	fast, fallback, bodied, learnedSince := 0, 0, 0, 0
	for _, it := range stored {
		slow, _ := e.shingleBody(it.Feed, it.Title, bodyText(it.Text, it.Summary), nil)
		if it.Words > 0 {
			bodied++
		}
		p, ok := e.preparedFromCompared(it)
		if !ok {
			if it.Compared != "" {
				fallback++
			}
			continue
		}
		fast++
		if _, sents, _ := decodeCompared(it.Compared); len(sents) > 0 {
			for s := range strings.SplitSeq(sents, "\n") {
				var ws []uint64
				ws, _ = appendTokens(ws, nil, s)
				if len(ws) > 0 && e.learned.has(it.Feed, sequenceHash(ws)) {
					learnedSince++
					break
				}
			}
		}
		if p.words != slow.words || p.title != slow.title || p.source != slow.source ||
			!slices.Equal(p.body.seq, slow.body.seq) || !slices.Equal(p.body.set, slow.body.set) ||
			!slices.Equal(p.body.lede, slow.body.lede) || !slices.Equal(p.body.head, slow.body.head) || !slices.Equal(p.body.first, slow.body.first) {
			t.Errorf("item %d (%s, %q): from its compared form %d words, %d shingles; from its text %d words, %d shingles",
				it.ID, it.Feed, it.Title, p.words, len(p.body.set), slow.words, len(slow.body.set))
		}
	}
	t.Logf("%d items, %d with a body: %d prepared from their compared form (%d of them carry a sentence learned as boilerplate since), %d from their text because their title key changed",
		len(stored), bodied, fast, learnedSince, fallback)
	if learnedSince == 0 {
		t.Error("no item carries a sentence learned after it was stored: the test does not test that part")
	}
	if fast < bodied*9/10 {
		t.Errorf("only %d of %d items with a body were prepared from their compared form", fast, bodied)
	}
}
