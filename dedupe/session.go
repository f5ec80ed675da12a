package dedupe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wirefeed/wirefeed"
)

// Matching sessions. The store opens one per write transaction (Begin) and
// ends it with Commit or Abort. A session first catches up: it reads,
// through the transaction, every change the store committed after the
// position the Engine last saw (items stored, re-signed or deleted,
// sentences learned, feeds renamed or deleted: wirefeed.ChangeSource),
// whoever committed them: this process, a cron `wirefeed fetch` next to
// `wirefeed serve`, another instance on the same database. The transaction
// holds the write lock, so nothing else commits until it ends, and the
// session decides on exactly what the transaction sees.
//
// What a session decides stays in the session (txState) until it ends: the
// items it matched are candidates for the items after them, the sentences
// it learned are boilerplate for them. The index takes nothing from the
// session itself: Prepare reads back, inside the transaction, the changes
// the transaction made (as the next session would read anybody else's),
// and Commit applies them. So the index never holds what the database does
// not, and an aborted session leaves no trace. (A store that does not call
// Prepare loses nothing: the next session reads those changes.)

// Begin implements wirefeed.Matcher: it waits for the previous session to
// end, brings the index and learned boilerplate up to date with what l's
// transaction sees, and opens a session on l.
func (e *Engine) Begin(ctx context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	e.sess.Lock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.catchUp(ctx, l); err != nil {
		e.sess.Unlock()
		return nil, err
	}
	e.tx = txState{lk: l, learned: learnedSet{}}
	return &session{e: e}, nil
}

// catchUp applies the changes committed after e.pos, or loads everything
// when the Engine has nothing to catch up from.
func (e *Engine) catchUp(ctx context.Context, l wirefeed.Lookup) error {
	if e.pos >= 0 {
		bad := 0
		pos, err := l.Changes(ctx, e.pos, func(c wirefeed.IndexChange) error {
			if !e.apply(c) {
				bad++
			}
			return nil
		})
		if bad > 0 {
			e.logger.Warn("dedupe: items not indexed: their signatures cannot be read", slog.Int("items", bad))
		}
		switch {
		case err == nil:
			e.pos = pos
			e.expire()
			return nil
		case !errors.Is(err, wirefeed.ErrChangesLost):
			// Some changes may have been applied: what the index
			// holds is no longer known to match any position.
			e.pos = -1
			return fmt.Errorf("dedupe: catching up: %w", err)
		}
		e.logger.Info("dedupe: loading the index again: changes since it was last brought up to date are no longer kept",
			slog.Int64("position", e.pos))
	}
	return e.load(ctx, l)
}

// apply applies one committed change; false when a signature cannot be
// read.
func (e *Engine) apply(c wirefeed.IndexChange) bool {
	switch c.Kind {
	case wirefeed.ChangeSigned, wirefeed.ChangeResigned:
		if c.Kind == wirefeed.ChangeResigned {
			e.idx.retire(c.ItemID, dayOf(c.Seen))
		}
		if c.Signature == nil {
			return true // deleted since; a later change says so
		}
		sig, err := decodeSignature(c.Signature)
		if err != nil {
			return false
		}
		e.index(c.ItemID, c.Seen, &sig)
	case wirefeed.ChangeUnsigned:
		e.idx.retire(c.ItemID, dayOf(c.Seen))
	case wirefeed.ChangeLearned:
		if c.Feed != "" {
			e.learned.add(c.Feed, uint64(c.Hash))
		}
	case wirefeed.ChangeFeedRenamed:
		if c.Feed != "" {
			for h := range e.learned[c.OldFeed] {
				e.learned.add(c.Feed, h)
			}
		}
		delete(e.learned, c.OldFeed)
	case wirefeed.ChangeFeedDeleted:
		delete(e.learned, c.OldFeed)
	}
	return true
}

// expire drops the day buckets that fell out of the window.
func (e *Engine) expire() {
	if n := len(e.idx.buckets); n > 0 {
		e.idx.expire(e.idx.buckets[n-1].day - e.days)
	}
}

// session is a matching session of an Engine (wirefeed.MatchTx).
type session struct {
	e    *Engine
	done bool // guarded by e.mu
	// staged are the transaction's own changes, read by Prepare, and
	// stagedPos the position of the last of them.
	staged    []wirefeed.IndexChange
	stagedPos int64
	prepared  bool
}

// Match decides the story of a candidate: the story of an item with the
// same canonical URL, else of an item with the same normalised body, else
// of its best verified near-duplicate, else a new story.
func (s *session) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.done {
		return wirefeed.Decision{}, errSessionEnded
	}
	return s.e.match(ctx, c)
}

// Resign signs an updated item again: its story does not change, and
// nothing is learned from it.
func (s *session) Resign(_ context.Context, feed string, it *wirefeed.Item) (wirefeed.Decision, error) {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.done {
		return wirefeed.Decision{}, errSessionEnded
	}
	return s.e.resign(feed, it), nil
}

// Prepare reads what the transaction changed: the changes after the
// position the session caught up to are the transaction's own, since it
// holds the write lock.
func (s *session) Prepare(ctx context.Context) error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.done {
		return errSessionEnded
	}
	s.staged = s.staged[:0]
	pos, err := s.e.tx.lk.Changes(ctx, s.e.pos, func(c wirefeed.IndexChange) error {
		s.staged = append(s.staged, c)
		return nil
	})
	if err != nil {
		return fmt.Errorf("dedupe: reading the transaction's changes: %w", err)
	}
	s.stagedPos, s.prepared = pos, true
	return nil
}

// Commit ends the session: what Prepare read goes into the index (without
// Prepare, the next session reads it).
func (s *session) Commit() { s.end(true) }

// Abort ends the session and forgets what it decided.
func (s *session) Abort() { s.end(false) }

func (s *session) end(commit bool) {
	s.e.mu.Lock()
	if s.done {
		s.e.mu.Unlock()
		return
	}
	s.done = true
	if commit && s.prepared {
		bad := 0
		for _, c := range s.staged {
			if !s.e.apply(c) {
				bad++
			}
		}
		if bad > 0 {
			s.e.logger.Warn("dedupe: items not indexed: their signatures cannot be read", slog.Int("items", bad))
		}
		s.e.pos = s.stagedPos
		s.e.expire()
	}
	s.e.tx = txState{}
	s.e.mu.Unlock()
	s.e.sess.Unlock()
}

var errSessionEnded = errors.New("dedupe: the matching session has ended")

// retire marks the index entry of item id, indexed on day d, as no longer
// there. Its table entries stay until the bucket expires; queries skip it.
// (A rare event, an item re-signed or deleted inside the window, so the
// day's items are searched, newest first.)
func (ix *index) retire(id int64, d int64) {
	b := ix.find(d)
	if b == nil {
		return
	}
	for slot := len(b.ids) - 1; slot >= 0; slot-- {
		if b.ids[slot] == id && b.flags[slot]&flagRetired == 0 {
			b.flags[slot] |= flagRetired
			return
		}
	}
}
