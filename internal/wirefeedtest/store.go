package wirefeedtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/wirefeed/wirefeed"
)

// maxErrorLen bounds the last error kept for a feed, as the store does.
const maxErrorLen = 1000

// Store is an in-memory store. It records outcomes as store.Store does:
// the feed's state (validators, health, next due time, host pauses, moves),
// and each item either as an update of the item its feed has under the
// same key or as a new item in the story its Matcher decides, with the
// stories the decision merges folded in and the representative chosen by
// the Matcher. It serves stories newest first as store.Store does, and
// counts a generation that grows with every change a reader could see.
//
// Each Record is one matching session of the Matcher (wirefeed.MatchTx),
// and the Store keeps the change sequence a Matcher catches up from
// (wirefeed.ChangeSource), as the store's change log does: signatures
// stored, replaced and deleted, sentences learned, feeds renamed.
//
// It does not search (StoryQuery.Terms is an error), does not recognise
// a GUID its feed reissued for an item it has (the new key is a new
// item), and is not transactional: a Matcher error leaves the outcome's
// earlier items recorded (and the session aborted). Use the real store
// for those.
//
// Store is safe for concurrent use. The Matcher is called with the
// Store's lock held, as the store calls it inside its write transaction.
type Store struct {
	matcher wirefeed.Matcher

	mu       sync.Mutex
	gen      int64
	feeds    []*feed // in the order they were added, as the store's rows
	pauses   map[string]wirefeed.HostPause
	items    map[int64]*item
	nextItem int64
	stories  map[string]*story
	changes  []change // position i+1 is changes[i]
}

// change is an entry of the change sequence; Changes reads what it names
// as it stands then, as the store's log does.
type change struct {
	kind    wirefeed.ChangeKind
	itemID  int64
	seen    time.Time
	feed    *feed
	oldName string
	hash    int64
}

// logged adds an entry to the change sequence.
func (s *Store) logged(c change) { s.changes = append(s.changes, c) }

// signed logs what storing sig in place of old (nil: none) changed.
func (s *Store) signed(it *item, old, sig []byte) {
	switch {
	case old == nil && sig != nil:
		s.logged(change{kind: wirefeed.ChangeSigned, itemID: it.id, seen: it.seen})
	case old != nil && sig != nil:
		s.logged(change{kind: wirefeed.ChangeResigned, itemID: it.id, seen: it.seen})
	case old != nil:
		s.logged(change{kind: wirefeed.ChangeUnsigned, itemID: it.id, seen: it.seen})
	}
}

// feed is a feed's row.
type feed struct {
	id        int64
	configURL string
	state     wirefeed.FeedState // Items is counted when read
	learned   map[int64]bool     // boilerplate hashes (Decision.Learned)
	// sentences are the Decision.Sentences of the feed's last
	// wirefeed.SentenceItems(matcher) items that recorded any, oldest
	// first, as the store keeps them: what SentenceCounts counts.
	sentences []sentenceList
}

// sentenceList is one item's sentence hashes.
type sentenceList struct {
	item   int64
	hashes []int64
}

// NewStore returns an empty Store whose new items go where m decides; nil
// means URLMatcher.
func NewStore(m wirefeed.Matcher) *Store {
	if m == nil {
		m = URLMatcher{}
	}
	return &Store{matcher: m, pauses: map[string]wirefeed.HostPause{}, items: map[int64]*item{}, stories: map[string]*story{}}
}

// Record stores the outcome of one fetch (see store.Store.Record).
func (s *Store) Record(ctx context.Context, o *wirefeed.Outcome) (wirefeed.RecordResult, error) {
	if err := ctx.Err(); err != nil {
		return wirefeed.RecordResult{}, fmt.Errorf("wirefeedtest: record %q: %w", o.Feed.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(err error) (wirefeed.RecordResult, error) {
		return wirefeed.RecordResult{}, fmt.Errorf("wirefeedtest: record %q: %w", o.Feed.Name, err)
	}
	mtx, err := s.matcher.Begin(ctx, lookup{s})
	if err != nil {
		return fail(fmt.Errorf("matching: %w", err))
	}
	defer mtx.Abort()
	var res wirefeed.RecordResult
	f := s.ensureFeed(o.Feed)
	if o.Err == nil && !o.NotModified && len(o.Items) > 0 {
		r := &recording{s: s, f: f, o: o, mtx: mtx, seen: o.Attempted.UTC().Truncate(time.Second), touched: map[string][]wirefeed.Member{}}
		if err := r.record(ctx); err != nil {
			return fail(err)
		}
		res = r.res
	}
	s.applyState(f, o)
	if err := mtx.Prepare(ctx); err != nil {
		return fail(fmt.Errorf("matching: %w", err))
	}
	mtx.Commit()
	return res, nil
}

// ensureFeed returns the feed named in f, adding it as the store does
// when an outcome names a feed it has not seen.
func (s *Store) ensureFeed(f wirefeed.Feed) *feed {
	if fd := s.feedByName(f.Name); fd != nil {
		return fd
	}
	fd := &feed{id: int64(len(s.feeds) + 1), configURL: f.URL, state: wirefeed.FeedState{Name: f.Name, URL: f.URL, ConfigURL: f.URL},
		learned: map[int64]bool{}}
	s.feeds = append(s.feeds, fd)
	return fd
}

func (s *Store) feedByName(name string) *feed {
	for _, fd := range s.feeds {
		if fd.state.Name == name {
			return fd
		}
	}
	return nil
}

// applyState records a fetch's effect on the feed's health and
// validators, follows a permanent move, and remembers a host that asked
// to be left alone, as the store's updateFeedState does.
func (s *Store) applyState(f *feed, o *wirefeed.Outcome) {
	at := sec(o.Attempted)
	if o.PauseHost != "" && o.PauseUntil.After(o.Attempted) {
		if p, ok := s.pauses[o.PauseHost]; !ok || o.PauseUntil.Unix() > p.Until.Unix() {
			s.pauses[o.PauseHost] = wirefeed.HostPause{Host: o.PauseHost, Until: sec(o.PauseUntil), Reason: o.PauseReason}
		}
	}
	for h, p := range s.pauses {
		if p.Until.Unix() <= o.Attempted.Unix() {
			delete(s.pauses, h)
		}
	}
	st := &f.state
	st.LastStatus, st.LastAttempt = o.Status, at
	st.NextDue, st.NextDueReason = sec(o.NextDue), o.NextDueReason
	if o.Err != nil {
		msg := o.Err.Error()
		if len(msg) > maxErrorLen {
			msg = strings.ToValidUTF8(msg[:maxErrorLen], "") + "…"
		}
		st.ConsecutiveErrors++
		st.LastError, st.Gone = msg, o.Gone
		return
	}
	st.LastSuccess, st.ConsecutiveErrors, st.LastError, st.Gone = at, 0, "", false
	st.MinInterval = o.MinInterval.Truncate(time.Second)
	st.ETag, st.LastModified, st.BodyHash = o.ETag, o.LastMod, o.BodyHash
	if o.Meta.Title != "" {
		st.Title = o.Meta.Title
	}
	// A warning describes the document last read: a 304 or an unchanged
	// body leaves it as it was, unless the fetch itself warned.
	if !o.NotModified || len(o.Warnings) > 0 {
		st.LastWarning = strings.Join(o.Warnings, "\n")
		if len(st.LastWarning) > maxErrorLen {
			st.LastWarning = strings.ToValidUTF8(st.LastWarning[:maxErrorLen], "") + "…"
		}
	}
	st.SuspectNotModified = o.SuspectNotModified
	if o.MovedTo != "" {
		st.URL = o.MovedTo
		s.gen++
	}
}

// SyncFeeds makes the stored feeds match the configured ones, as
// store.Store.SyncFeeds does: new feeds are added, a feed whose configured
// URL changed starts again from it, and a feed renamed in the config (a
// new name with the URL of a feed no longer configured) keeps its state
// and items under the new name. It returns the renames, old name to new.
func (s *Store) SyncFeeds(ctx context.Context, feeds []wirefeed.Feed) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wirefeedtest: sync feeds: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	configured := map[string]bool{}
	for _, f := range feeds {
		configured[f.Name] = true
	}
	renamed := map[string]string{}
	for _, f := range feeds {
		if s.feedByName(f.Name) != nil {
			continue
		}
		for _, old := range s.feeds {
			if name := old.state.Name; old.configURL == f.URL && !configured[name] && renamed[name] == "" {
				old.state.Name = f.Name
				renamed[name] = f.Name
				s.logged(change{kind: wirefeed.ChangeFeedRenamed, feed: old, oldName: name})
				break
			}
		}
	}
	changed := len(renamed) > 0
	for _, f := range feeds {
		fd := s.feedByName(f.Name)
		if fd == nil {
			s.ensureFeed(f)
			changed = true
			continue
		}
		if fd.configURL == f.URL {
			continue
		}
		st := &fd.state
		fd.configURL, st.ConfigURL, st.URL = f.URL, f.URL, f.URL
		st.ETag, st.LastModified, st.BodyHash, st.Gone = "", "", "", false
		st.NextDue, st.NextDueReason, st.MinInterval, st.ConsecutiveErrors = time.Time{}, "", 0, 0
		st.LastWarning, st.SuspectNotModified = "", 0
		changed = true
	}
	if changed {
		s.gen++
	}
	return renamed, nil
}

// FeedStates returns the state of every stored feed by name.
func (s *Store) FeedStates(ctx context.Context) (map[string]wirefeed.FeedState, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wirefeedtest: feed states: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[int64]int{}
	for _, it := range s.items {
		counts[it.feed.id]++
	}
	out := make(map[string]wirefeed.FeedState, len(s.feeds))
	for _, fd := range s.feeds {
		st := fd.state
		st.Items = counts[fd.id]
		out[st.Name] = st
	}
	return out, nil
}

// HostPauses returns the hosts that asked to be left alone and whose
// pause has not ended at now, by host.
func (s *Store) HostPauses(ctx context.Context, now time.Time) (map[string]wirefeed.HostPause, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wirefeedtest: host pauses: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]wirefeed.HostPause{}
	for h, p := range s.pauses {
		if p.Until.Unix() > now.Unix() {
			out[h] = p
		}
	}
	return out, nil
}

// Generation grows whenever Stories could return something different.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("wirefeedtest: generation: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen, nil
}

// sec is t as the store keeps it: whole seconds, in UTC; the zero time
// stays zero.
func sec(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.Unix(t.Unix(), 0).UTC()
}

// Changes reports the changes after position since (wirefeed.ChangeSource).
func (s *Store) Changes(ctx context.Context, since int64, fn func(wirefeed.IndexChange) error) (int64, error) {
	return s.Lookup().Changes(ctx, since, fn)
}
