package wirefeedtest

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wirefeed/wirefeed"
)

// item is an item's row.
type item struct {
	id        int64
	feed      *feed
	key       string // Item.IdentityKey: the feed knows the item by it
	it        wirefeed.Item
	seen      time.Time // first seen, to the second
	story     string
	bodyHash  int64
	words     int
	rule      wirefeed.MatchRule
	signature []byte
	compared  string // Decision.Compared
}

// story is a story's row; its members are the items that name it.
type story struct {
	id                           string
	firstSeen, published, update time.Time
	rep                          int64 // the representative's item id; 0 before one is chosen
}

// recording records the items of one outcome, as the store's
// itemRecorder does.
type recording struct {
	s    *Store
	f    *feed
	o    *wirefeed.Outcome
	mtx  wirefeed.MatchTx // the outcome's matching session
	seen time.Time
	res  wirefeed.RecordResult
	// touched: nil for a story whose representative is chosen again from
	// all its members, else the members it gained.
	touched map[string][]wirefeed.Member
}

func (r *recording) record(ctx context.Context) error {
	for i := range r.o.Items {
		if err := r.item(ctx, &r.o.Items[i]); err != nil {
			return err
		}
	}
	for id, added := range r.touched {
		if added == nil {
			r.s.refreshStory(id, r.seen)
		} else {
			r.s.extendStory(id, added, r.seen)
		}
	}
	if len(r.touched) > 0 {
		r.s.gen++
	}
	return nil
}

func (r *recording) item(ctx context.Context, it *wirefeed.Item) error {
	key := it.IdentityKey()
	if known := r.s.itemByKey(r.f, key); known != nil {
		return r.update(ctx, known, it)
	}
	cand := it.Keyed()
	dec, err := r.mtx.Match(ctx, wirefeed.Candidate{Feed: r.f.state.Name, Item: cand, Seen: r.seen})
	if err != nil {
		return fmt.Errorf("matching item %q: %w", it.GUID, err)
	}
	id := dec.StoryID
	if id != "" {
		if r.res.Merged == nil {
			r.res.Merged = map[wirefeed.MatchRule]int{}
		}
		rule, _ := dec.Rule.Base()
		r.res.Merged[rule]++
		r.res.StoriesMerged += len(dec.Merge)
	} else {
		id = r.s.newStory(r.f.state.Name, cand, r.seen)
		r.res.NewStories++
	}
	if len(dec.Merge) > 0 {
		r.s.mergeStories(id, dec.Merge)
		for _, m := range dec.Merge {
			delete(r.touched, m)
		}
		r.touched[id] = nil
	}
	r.s.nextItem++
	n := &item{id: r.s.nextItem, feed: r.f, key: key, it: copyItem(it), seen: r.seen, story: id,
		bodyHash: dec.BodyHash, words: dec.Words, rule: dec.Rule, signature: dec.Signature, compared: dec.Compared}
	r.s.items[n.id] = n
	r.s.signed(n, nil, dec.Signature)
	if len(dec.Sentences) > 0 {
		r.f.sentences = append(r.f.sentences, sentenceList{item: n.id, hashes: slices.Clone(dec.Sentences)})
		if k := wirefeed.SentenceItems(r.s.matcher); len(r.f.sentences) > k {
			r.f.sentences = slices.Delete(r.f.sentences, 0, len(r.f.sentences)-k)
		}
	}
	for _, h := range dec.Learned {
		if !r.f.learned[h] {
			r.f.learned[h] = true
			r.s.logged(change{kind: wirefeed.ChangeLearned, feed: r.f, hash: h})
		}
	}
	r.res.NewItems++
	if added, ok := r.touched[id]; !ok || added != nil {
		r.touched[id] = append(added, wirefeed.Member{ItemID: n.id, FeedName: r.f.state.Name, GUID: key, URL: it.URL,
			Title: it.Title, Published: it.Published, FirstSeen: r.seen, Words: dec.Words})
	}
	return nil
}

// update stores what the source changed in a known item; it keeps its
// story, and an undated item keeps its dates. A changed copy is signed
// again.
func (r *recording) update(ctx context.Context, k *item, it *wirefeed.Item) error {
	next := copyItem(it)
	if it.DateMissing {
		next.Published, next.Updated = k.it.Published, k.it.Updated
	}
	old := k.it
	copyChanged := old.Title != next.Title || old.Text != next.Text || old.URL != next.URL
	if !copyChanged && old.Summary == next.Summary && old.ContentHTML == next.ContentHTML &&
		slices.Equal(old.Authors, next.Authors) && slices.Equal(old.Categories, next.Categories) &&
		old.Published.Equal(next.Published) && old.Updated.Equal(next.Updated) {
		return nil
	}
	next.GUID, next.Key, next.DateMissing = old.GUID, old.Key, old.DateMissing
	if copyChanged {
		dec, err := r.mtx.Resign(ctx, r.f.state.Name, it)
		if err != nil {
			return fmt.Errorf("signing updated item %q: %w", it.GUID, err)
		}
		replaced := k.signature
		k.words, k.bodyHash, k.signature, k.compared = dec.Words, dec.BodyHash, dec.Signature, dec.Compared
		r.s.signed(k, replaced, dec.Signature)
	}
	k.it = next
	r.res.UpdatedItems++
	r.touched[k.story] = nil
	return nil
}

// copyItem returns it as the store keeps it: dates to the second, lists
// never nil.
func copyItem(it *wirefeed.Item) wirefeed.Item {
	c := *it
	c.Published, c.Updated = time.Unix(it.Published.Unix(), 0).UTC(), time.Unix(it.Updated.Unix(), 0).UTC()
	c.Authors = append([]string{}, it.Authors...)
	c.Categories = append([]string{}, it.Categories...)
	return c
}

func (s *Store) itemByKey(f *feed, key string) *item {
	for _, it := range s.items {
		if it.feed == f && it.key == key {
			return it
		}
	}
	return nil
}

// newStory makes ids as the store does, so that both order stories alike
// (ties in first-seen time are broken by id).
func (s *Store) newStory(feed string, it *wirefeed.Item, seen time.Time) string {
	for n := 0; ; n++ {
		id := wirefeed.NewStoryID(seen, feed, it.GUID, n)
		if _, taken := s.stories[id]; !taken {
			s.stories[id] = &story{id: id, firstSeen: seen, published: time.Unix(it.Published.Unix(), 0).UTC(), update: seen}
			return id
		}
	}
}

// mergeStories folds stories into into: their members move, into keeps
// the earliest first-seen time, and they go.
func (s *Store) mergeStories(into string, from []string) {
	for _, c := range from {
		if c == "" || c == into {
			continue
		}
		for _, it := range s.items {
			if it.story == c {
				it.story = into
			}
		}
		if old, ok := s.stories[c]; ok {
			if st := s.stories[into]; st != nil && old.firstSeen.Before(st.firstSeen) {
				st.firstSeen = old.firstSeen
			}
			delete(s.stories, c)
		}
	}
}

// members returns a story's items, earliest published first (then by id).
func (s *Store) members(id string) []*item {
	var ms []*item
	for _, it := range s.items {
		if it.story == id {
			ms = append(ms, it)
		}
	}
	slices.SortFunc(ms, func(a, b *item) int {
		if c := a.it.Published.Compare(b.it.Published); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	return ms
}

// head is a member as the representative rule reads it: no texts.
func (it *item) head() wirefeed.Member {
	return wirefeed.Member{ItemID: it.id, FeedName: it.feed.state.Name, FeedURL: it.feed.state.URL, GUID: it.key, URL: it.it.URL,
		Title: it.it.Title, Published: it.it.Published, FirstSeen: it.seen, Words: it.words}
}

// refreshStory chooses a story's representative again from all its
// members and recomputes its published date.
func (s *Store) refreshStory(id string, now time.Time) {
	st, ms := s.stories[id], s.members(id)
	if st == nil || len(ms) == 0 {
		return
	}
	heads := make([]wirefeed.Member, len(ms))
	for i, m := range ms {
		heads[i] = m.head()
	}
	st.rep = heads[s.matcher.Representative(heads)].ItemID
	st.published = ms[0].it.Published
	for _, m := range ms[1:] {
		if m.it.Published.Before(st.published) {
			st.published = m.it.Published
		}
	}
	st.update = now
}

// extendStory updates a story that only gained members: the best of its
// representative and the new members represents it.
func (s *Store) extendStory(id string, added []wirefeed.Member, now time.Time) {
	st := s.stories[id]
	if st == nil {
		return
	}
	ms := added
	if cur := s.items[st.rep]; cur != nil {
		h := cur.head()
		h.FeedURL = "" // the store reads the representative without its feed's URL here
		ms = append([]wirefeed.Member{h}, added...)
	}
	st.rep = ms[s.matcher.Representative(ms)].ItemID
	for _, m := range added {
		if p := time.Unix(m.Published.Unix(), 0).UTC(); p.Before(st.published) {
			st.published = p
		}
	}
	st.update = now
}

// RemoveItem deletes feed's item with this GUID (its identity key), as
// retention deletes an item: a story left with no members goes, the
// others' representatives are chosen again. It reports whether there was
// such an item.
func (s *Store) RemoveItem(feedName, guid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.feedByName(feedName)
	if f == nil {
		return false
	}
	it := s.itemByKey(f, guid)
	if it == nil {
		return false
	}
	delete(s.items, it.id)
	if it.signature != nil {
		s.logged(change{kind: wirefeed.ChangeUnsigned, itemID: it.id, seen: it.seen})
	}
	f.sentences = slices.DeleteFunc(f.sentences, func(l sentenceList) bool { return l.item == it.id })
	if len(s.members(it.story)) == 0 {
		delete(s.stories, it.story)
	} else {
		s.refreshStory(it.story, time.Now().UTC().Truncate(time.Second))
	}
	s.gen++
	return true
}

// ScanSignatures calls fn for every item first seen at or after since
// that has a signature, by the day it was first seen, then in the order
// the items were stored, and returns the position of the change sequence
// the scan reflects (wirefeed.ChangeSource).
func (s *Store) ScanSignatures(ctx context.Context, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error) {
	s.mu.Lock()
	pos, its := s.signatures(since)
	s.mu.Unlock()
	for _, it := range its {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := fn(it.id, it.seen, it.signature); err != nil {
			return 0, err
		}
	}
	return pos, nil
}

// signatures returns the items first seen at or after since that have a
// signature, in the order ScanSignatures reports them, and the position of
// the change sequence; the caller holds the lock.
func (s *Store) signatures(since time.Time) (int64, []*item) {
	var its []*item
	for _, it := range s.items {
		if it.signature != nil && !it.seen.Before(since) {
			its = append(its, it)
		}
	}
	slices.SortFunc(its, func(a, b *item) int {
		if c := a.seen.Unix()/secondsPerDay - b.seen.Unix()/secondsPerDay; c != 0 {
			return int(c)
		}
		return int(a.id - b.id)
	})
	return int64(len(s.changes)), its
}

const secondsPerDay = 24 * 60 * 60

// ScanBoilerplate calls fn for every sentence learned as a feed's
// boilerplate, by feed name then hash (wirefeed.ChangeSource).
func (s *Store) ScanBoilerplate(ctx context.Context, fn func(feed string, hash int64) error) error {
	s.mu.Lock()
	all := s.boilerplate()
	s.mu.Unlock()
	for _, l := range all {
		if err := fn(l.feed, l.hash); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// learned is a sentence learned as a feed's boilerplate.
type learned struct {
	feed string
	hash int64
}

// boilerplate returns every learned sentence, by feed name then hash; the
// caller holds the lock.
func (s *Store) boilerplate() []learned {
	var all []learned
	for _, f := range s.feeds {
		for h := range f.learned {
			all = append(all, learned{f.state.Name, h})
		}
	}
	slices.SortFunc(all, func(a, b learned) int {
		if a.feed != b.feed {
			if a.feed < b.feed {
				return -1
			}
			return 1
		}
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	return all
}
