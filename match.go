package wirefeed

import (
	"context"
	"errors"
	"time"
)

// Matcher decides which story each new item joins. A store asks it inside
// its write transactions, one matching session per transaction (Begin), so
// that every decision belongs to exactly one transaction and sees exactly
// what that transaction sees; and outside any session, which member
// represents a story.
//
// Several stores may write to one database at the same time (a `wirefeed
// serve` and a cron `wirefeed fetch` on one SQLite file; several instances
// on one PostgreSQL database), each with its own Matcher. A Matcher that
// keeps state in memory (an index of recent items, learned boilerplate)
// brings it up to date in Begin from what the store's ChangeSource reports,
// so it never decides on a picture older than the transaction's.
type Matcher interface {
	// Begin opens the matching session of a write transaction; l answers
	// questions inside that transaction. The store calls it once the
	// transaction holds the database's write lock (or, on a database
	// that allows several writers, the matching lock), before any
	// Match or Resign, and ends the session with Commit or Abort. One
	// session at a time: Begin waits for the previous one to end.
	Begin(ctx context.Context, l Lookup) (MatchTx, error)
	// Representative returns the index of the member that represents a
	// story. It is given members without their texts (ids, feeds,
	// titles, dates and Words) and must choose by a rule that does not
	// depend on their order, a strict total order: when a story only
	// gains members the store asks about its current representative and
	// the newcomers alone.
	Representative(members []Member) int
}

// DefaultSentenceItems is how many of a feed's most recent items a
// store's Lookup.SentenceCounts counts for a Matcher that does not say
// otherwise (SentenceWindow).
const DefaultSentenceItems = 64

// SentenceWindow is implemented by a Matcher that wants
// Lookup.SentenceCounts to count another number of each feed's most recent
// items than DefaultSentenceItems.
type SentenceWindow interface {
	// SentenceItems returns how many of a feed's most recent items
	// (those that recorded Decision.Sentences) the counts cover.
	SentenceItems() int
}

// SentenceItems returns how many of a feed's most recent items a store
// counts sentences over for m: what m says if it is a SentenceWindow
// (and says a positive number), else DefaultSentenceItems.
func SentenceItems(m Matcher) int {
	if w, ok := m.(SentenceWindow); ok {
		if n := w.SentenceItems(); n > 0 {
			return n
		}
	}
	return DefaultSentenceItems
}

// MatchTx is a matching session: the decisions of one write transaction.
// Decisions may depend on earlier decisions of the same session (an item
// joins the story of an item matched just before it; a sentence becomes
// boilerplate on the fourth item that carries it), and on nothing that the
// transaction does not see. Nothing a session decides outlives it unless
// the transaction commits: after Abort the Matcher is as it was before
// Begin.
//
// A store calls, in this order: Begin; Match and Resign for the items it
// stores; Prepare, inside the transaction, once everything is written;
// then, after the transaction committed, Commit, or after it rolled back
// (or if anything failed before), Abort. Commit and Abort end the session;
// calling either again, or Abort after Commit, does nothing, so a store may
// defer Abort.
type MatchTx interface {
	// Match decides the story of a new item.
	Match(ctx context.Context, c Candidate) (Decision, error)
	// Resign signs an item that was stored before and has changed (same
	// feed and GUID, another title, text or URL). The item keeps its
	// story; the store keeps the Decision's Signature, BodyHash and
	// Words in place of the old ones.
	Resign(ctx context.Context, feed string, it *Item) (Decision, error)
	// Prepare is called inside the transaction after everything is
	// written, before the store commits: the session reads, through the
	// Lookup, what the transaction changed (its ChangeSource changes), to
	// take it into account at Commit.
	Prepare(ctx context.Context) error
	// Commit ends the session after the store committed its
	// transaction: what Prepare read takes effect.
	Commit()
	// Abort ends the session after the store rolled its transaction back
	// (or will): the session's decisions leave no trace.
	Abort()
}

// ChangeSource is what a store reports to Matchers that keep state in
// memory, so that each of several writers can bring its state up to date
// with what the others committed. It is part of every Lookup (answered
// inside the write transaction) and the store offers it outside any
// transaction for start-up.
//
// Positions are those of a sequence that the database keeps: every change
// a transaction commits (an item's signature stored, replaced or deleted, a
// sentence learned as boilerplate, a feed renamed or deleted) takes the
// next position, and transactions that change what a Matcher keeps are
// serialised, so a writer that has applied every change up to position p
// and reads the changes after p misses nothing.
type ChangeSource interface {
	// ScanSignatures calls fn for every item first seen at or after since
	// that has a signature (Decision.Signature), by the UTC day it was
	// first seen and, within a day, in the order the items were stored.
	// It returns the position of the last change the scan reflects: the
	// changes after it are those Changes reports.
	ScanSignatures(ctx context.Context, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error)
	// ScanBoilerplate calls fn for every sentence learned as a feed's
	// boilerplate (Decision.Learned). What it reports may be newer than
	// the last ScanSignatures; learning is never undone except by
	// ChangeFeedDeleted, so applying a learned sentence twice is harmless.
	ScanBoilerplate(ctx context.Context, fn func(feed string, hash int64) error) error
	// Changes calls fn for every change committed after position since,
	// in the order they were committed, and returns the position of the
	// last one (since itself when there is none). It returns an error
	// wrapping ErrChangesLost when the store no longer keeps every change
	// after since: the caller must load its state again (ScanSignatures,
	// ScanBoilerplate).
	Changes(ctx context.Context, since int64, fn func(IndexChange) error) (int64, error)
}

// ErrChangesLost is returned by ChangeSource.Changes for a position older
// than the changes the store still keeps.
var ErrChangesLost = errors.New("wirefeed: changes since that position are no longer kept")

// ChangeKind says what an IndexChange changed.
type ChangeKind uint8

// The kinds of IndexChange.
const (
	// ChangeSigned: item ItemID, first seen at Seen, was stored with a
	// signature, which Signature holds (nil when it has been deleted
	// since).
	ChangeSigned ChangeKind = iota + 1
	// ChangeResigned: item ItemID's signature was replaced (Resign);
	// Signature is the one stored now (nil when deleted since).
	ChangeResigned
	// ChangeUnsigned: item ItemID's signature was deleted with the item
	// (retention, a feed pruned). Seen is midnight of the UTC day the item
	// was first seen.
	ChangeUnsigned
	// ChangeLearned: Feed learned Hash as boilerplate (or a source
	// suffix). Feed is the feed's name now ("" when it has been deleted
	// since).
	ChangeLearned
	// ChangeFeedRenamed: the feed called OldFeed is now called Feed (its
	// name now, after any later renames).
	ChangeFeedRenamed
	// ChangeFeedDeleted: the feed called OldFeed was deleted, with its
	// items and learned boilerplate.
	ChangeFeedDeleted
)

// IndexChange is one committed change to what a Matcher may keep in
// memory; see ChangeSource.
type IndexChange struct {
	Pos       int64 // its position in the change sequence
	Kind      ChangeKind
	ItemID    int64
	Seen      time.Time // when the item was first seen
	Signature []byte
	Feed      string
	OldFeed   string
	Hash      int64
}
