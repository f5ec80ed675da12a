package wirefeedtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed"
)

// ErrNoSearch is returned by Stories for a query with search terms: the
// Store does not search.
var ErrNoSearch = errors.New("wirefeedtest: Store does not search; use the real store for StoryQuery.Terms")

// defaultStoryLimit is store.DefaultStoryLimit.
const defaultStoryLimit = 50

// Stories returns stories with their members, newest first by the time
// they were first seen, then by id, as store.Store.Stories does. Since,
// Before, Sources, Keep and Limit apply; Terms is refused with ErrNoSearch.
func (s *Store) Stories(ctx context.Context, q wirefeed.StoryQuery) ([]wirefeed.Story, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wirefeedtest: stories: %w", err)
	}
	for _, t := range q.Terms {
		if strings.TrimSpace(t) != "" {
			return nil, ErrNoSearch
		}
	}
	if q.Limit <= 0 {
		q.Limit = defaultStoryLimit
	}
	s.mu.Lock()
	sts := make([]*story, 0, len(s.stories))
	for _, st := range s.stories {
		sts = append(sts, st)
	}
	slices.SortFunc(sts, func(a, b *story) int {
		if c := b.firstSeen.Unix() - a.firstSeen.Unix(); c != 0 {
			return int(c)
		}
		return strings.Compare(b.id, a.id)
	})
	var page []wirefeed.Story
	for _, st := range sts {
		if !q.Since.IsZero() && st.published.Unix() < q.Since.Unix() && st.update.Unix() < q.Since.Unix() {
			continue
		}
		if c := q.Before; c != nil {
			p := c.FirstSeen.Unix()
			if !(st.firstSeen.Unix() < p || st.firstSeen.Unix() == p && st.id < c.ID) {
				continue
			}
		}
		out := s.readStory(st)
		if len(q.Sources) > 0 && !fromSources(out, q.Sources) {
			continue
		}
		page = append(page, out)
	}
	s.mu.Unlock()
	// Keep is the caller's; it runs without the lock, as the store runs it
	// outside SQL.
	var out []wirefeed.Story
	for i := range page {
		if len(out) == q.Limit {
			break
		}
		if q.Keep != nil && !q.Keep(&page[i]) {
			continue
		}
		out = append(out, page[i])
	}
	return out, nil
}

// readStory returns a story with its members, as the store reads it.
func (s *Store) readStory(st *story) wirefeed.Story {
	out := wirefeed.Story{ID: st.id, FirstSeen: st.firstSeen, Published: st.published, Updated: st.update}
	for _, it := range s.members(st.id) {
		m := wirefeed.Member{ItemID: it.id, Words: it.words, FeedName: it.feed.state.Name, FeedURL: it.feed.state.URL,
			GUID: it.it.GUID, URL: it.it.URL, Title: it.it.Title, Summary: it.it.Summary, Text: it.it.Text, HTML: it.it.ContentHTML,
			Published: it.it.Published, FirstSeen: it.seen, Rule: it.rule,
			Authors: slices.Clone(it.it.Authors), Category: slices.Clone(it.it.Categories)}
		out.Members = append(out.Members, m)
		if it.id == st.rep {
			out.Representative = m
		}
	}
	if out.Representative.ItemID == 0 && len(out.Members) > 0 {
		out.Representative = out.Members[0]
	}
	return out
}

// fromSources reports whether a feed of names (compared as SQLite's NOCASE
// does: ASCII letters folded) carried the story.
func fromSources(st wirefeed.Story, names []string) bool {
	for _, m := range st.Members {
		for _, n := range names {
			if asciiFold(m.FeedName) == asciiFold(n) {
				return true
			}
		}
	}
	return false
}

func asciiFold(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// Totals counts stories, stories carried by more than one item, and items.
func (s *Store) Totals(ctx context.Context) (wirefeed.Totals, error) {
	if err := ctx.Err(); err != nil {
		return wirefeed.Totals{}, fmt.Errorf("wirefeedtest: totals: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	per := map[string]int{}
	for _, it := range s.items {
		per[it.story]++
	}
	t := wirefeed.Totals{Stories: len(s.stories), Items: len(s.items)}
	for _, n := range per {
		if n > 1 {
			t.MergedStories++
		}
	}
	return t, nil
}

// lookup answers the Matcher's questions while the Store records, with
// its lock held: answers include the items recorded before in the same
// outcome.
type lookup struct{ s *Store }

// latest returns the story of the most recently stored item that keep
// accepts, or "".
func (l lookup) latest(keep func(*item) bool) string {
	var best *item
	for _, it := range l.s.items {
		if keep(it) && (best == nil || it.id > best.id) {
			best = it
		}
	}
	if best == nil {
		return ""
	}
	return best.story
}

func (l lookup) StoryByURL(_ context.Context, u string) (string, error) {
	if u == "" {
		return "", nil
	}
	return l.latest(func(it *item) bool { return it.it.URL == u }), nil
}

func (l lookup) StoryByBodyHash(_ context.Context, h int64) (string, error) {
	if h == 0 {
		return "", nil
	}
	return l.latest(func(it *item) bool { return it.bodyHash == h }), nil
}

func (l lookup) Items(_ context.Context, ids []int64) ([]wirefeed.StoredItem, error) {
	var out []wirefeed.StoredItem
	for _, id := range ids {
		it := l.s.items[id]
		if it == nil {
			continue
		}
		si := wirefeed.StoredItem{ID: it.id, Feed: it.feed.state.Name, GUID: it.key, URL: it.it.URL, Title: it.it.Title,
			Summary: it.it.Summary, Text: it.it.Text, Published: it.it.Published, FirstSeen: it.seen,
			StoryID: it.story, Words: it.words, Compared: it.compared}
		if st := l.s.stories[it.story]; st != nil {
			si.StoryFirstSeen = st.firstSeen
		}
		out = append(out, si)
	}
	return out, nil
}

func (l lookup) ItemID(_ context.Context, feed, guid string) (int64, error) {
	if f := l.s.feedByName(feed); f != nil {
		if it := l.s.itemByKey(f, guid); it != nil {
			return it.id, nil
		}
	}
	return 0, nil
}

func (l lookup) StoryRoot(_ context.Context, story string) (int64, error) {
	var root int64
	for _, it := range l.s.items {
		if it.story == story && it.words > 0 && (root == 0 || it.id < root) {
			root = it.id
		}
	}
	return root, nil
}

func (l lookup) SentenceCounts(_ context.Context, feed string, hashes []int64) (map[int64]int, error) {
	out := map[int64]int{}
	f := l.s.feedByName(feed)
	if f == nil {
		return out, nil
	}
	want := map[int64]bool{}
	for _, h := range hashes {
		want[h] = true
	}
	for _, l := range f.sentences {
		for _, h := range l.hashes {
			if want[h] {
				out[h]++
			}
		}
	}
	return out, nil
}

// Changes reports the changes after position since (wirefeed.ChangeSource),
// each read as it stands now, as the store's change log is.
func (l lookup) Changes(ctx context.Context, since int64, fn func(wirefeed.IndexChange) error) (int64, error) {
	if since < 0 {
		return since, fmt.Errorf("wirefeedtest: changes after %d: %w", since, wirefeed.ErrChangesLost)
	}
	for i := since; i < int64(len(l.s.changes)); i++ {
		c := l.s.changes[i]
		ch := wirefeed.IndexChange{Pos: i + 1, Kind: c.kind, ItemID: c.itemID, Seen: c.seen, Hash: c.hash, OldFeed: c.oldName}
		switch c.kind {
		case wirefeed.ChangeSigned, wirefeed.ChangeResigned:
			if it := l.s.items[c.itemID]; it != nil {
				ch.Signature = it.signature
			}
		case wirefeed.ChangeUnsigned:
			ch.Seen = time.Unix(c.seen.Unix()/secondsPerDay*secondsPerDay, 0).UTC()
		case wirefeed.ChangeLearned, wirefeed.ChangeFeedRenamed:
			ch.Feed = c.feed.state.Name
		}
		if err := fn(ch); err != nil {
			return since, err
		}
	}
	return max(since, int64(len(l.s.changes))), nil
}

// ScanSignatures is Store.ScanSignatures with the lock held.
func (l lookup) ScanSignatures(_ context.Context, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error) {
	pos, its := l.s.signatures(since)
	for _, it := range its {
		if err := fn(it.id, it.seen, it.signature); err != nil {
			return 0, err
		}
	}
	return pos, nil
}

// ScanBoilerplate is Store.ScanBoilerplate with the lock held.
func (l lookup) ScanBoilerplate(_ context.Context, fn func(feed string, hash int64) error) error {
	for _, b := range l.s.boilerplate() {
		if err := fn(b.feed, b.hash); err != nil {
			return err
		}
	}
	return nil
}

// Lookup returns the Store's answers to the deduplicator's questions, for
// a test (or an Example) that calls a Matcher itself. Each answer is read
// under the Store's lock; do not call it from a Matcher the Store is
// calling (Match is given a Lookup of its own then).
func (s *Store) Lookup() wirefeed.Lookup { return lockedLookup{s} }

// lockedLookup is lookup for a caller outside Record.
type lockedLookup struct{ s *Store }

func (l lockedLookup) StoryByURL(ctx context.Context, u string) (string, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).StoryByURL(ctx, u)
}

func (l lockedLookup) StoryByBodyHash(ctx context.Context, h int64) (string, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).StoryByBodyHash(ctx, h)
}

func (l lockedLookup) Items(ctx context.Context, ids []int64) ([]wirefeed.StoredItem, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).Items(ctx, ids)
}

func (l lockedLookup) ItemID(ctx context.Context, feed, guid string) (int64, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).ItemID(ctx, feed, guid)
}

func (l lockedLookup) StoryRoot(ctx context.Context, story string) (int64, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).StoryRoot(ctx, story)
}

func (l lockedLookup) SentenceCounts(ctx context.Context, feed string, hashes []int64) (map[int64]int, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).SentenceCounts(ctx, feed, hashes)
}

func (l lockedLookup) Changes(ctx context.Context, since int64, fn func(wirefeed.IndexChange) error) (int64, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).Changes(ctx, since, fn)
}

func (l lockedLookup) ScanSignatures(ctx context.Context, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).ScanSignatures(ctx, since, fn)
}

func (l lockedLookup) ScanBoilerplate(ctx context.Context, fn func(feed string, hash int64) error) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return lookup(l).ScanBoilerplate(ctx, fn)
}
