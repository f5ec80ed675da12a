// Package wirefeed holds the domain types shared by wirefeed's packages: the
// normalised feed item, the story and the small contracts between the
// fetcher, the deduplicator, the store and the feed renderer.
//
// The package imports nothing of ours, so every other package may depend on
// it without creating cycles.
//
// # Words
//
// Each concept has one word, and every package uses it:
//
//   - A feed is one configured source (Feed). What the store remembers about
//     it between fetches is its state (FeedState); one fetch of it ends in an
//     Outcome.
//   - An item is one entry of a feed, normalised (Item). Its feed knows it by
//     its identity key (Item.IdentityKey: nearly always its GUID). Stored, the
//     deduplicator reads it as a StoredItem; in a story it is a Member.
//   - A story is the set of items that carry the same copy: one piece of news
//     as the outlets that carried it published it. The merged feed shows each
//     story once. Its id (Story.ID, Decision.StoryID, StoredItem.StoryID) is
//     given when its first item is stored and never changes; readers see it
//     as urn:wirefeed:story:<id>. The design notes also call a story a
//     cluster, after the deduplicator's method (it clusters items online);
//     Go names say story. "Cluster" stays only where a name is fixed outside
//     the code: the cluster_id key of the JSON Feed extension, which readers
//     parse, and the database's clusters table and cluster_id columns.
//   - A story's representative is the member whose title, link and content
//     the merged feed shows; its outlets are the feeds of its members.
//   - A rule (MatchRule) is what put an item in its story: the same link, the
//     same body, a near copy, a near-identical title, or none (a new story).
//   - A merge folds younger stories into an older one when a new item shows
//     them to be one story (Decision.Merge); the older id stays.
package wirefeed

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// Feed is one configured source: what the operator wrote in the config file.
type Feed struct {
	Name     string   // unique, human readable; shown in the merged feed
	URL      string   // where the feed is fetched from
	Tags     []string // free-form labels used by output rules
	Schedule string   // cron spec; empty means the global schedule
}

// FeedMeta is what a parsed feed document says about itself.
type FeedMeta struct {
	Title    string
	Link     string
	Language string
	Updated  time.Time
}

// Item is one normalised entry of a feed: plain-text title, absolute
// canonical URL, sanitised HTML, plain text and UTC dates. The fetcher
// produces Items; nothing downstream needs to clean them again.
type Item struct {
	GUID        string    // as the source gave it (or a derived key when it gave none)
	URL         string    // canonical absolute link; may be empty
	Title       string    // plain text, entities decoded, whitespace folded
	Summary     string    // plain text
	Text        string    // plain text of the fullest body the source gave
	ContentHTML string    // sanitised HTML of that body
	Published   time.Time // UTC; first-seen time when the source gave none
	Updated     time.Time // UTC; equals Published when the source gave none
	Authors     []string
	Categories  []string
	// DateMissing records that the source gave no usable date, so
	// Published is the time wirefeed first saw the item.
	DateMissing bool
	// Key identifies the item within its feed when its GUID does not: it
	// is set when entries of one document share a GUID but neither link
	// nor body (GUID and link, see fetcher's normalize). Empty means the
	// GUID is the key, as for nearly every item.
	Key string
}

// IdentityKey returns what identifies the item within its feed: Key when
// set, else the GUID.
func (it *Item) IdentityKey() string {
	if it.Key != "" {
		return it.Key
	}
	return it.GUID
}

// Keyed returns the item as the deduplicator and story ids know it: with
// its identity key as its GUID. It is it itself when the two are the same.
func (it *Item) Keyed() *Item {
	key := it.IdentityKey()
	if key == it.GUID {
		return it
	}
	c := *it
	c.GUID = key
	return &c
}

// Member is one outlet's copy of a story, as stored.
type Member struct {
	ItemID int64
	// Words is the length of the body as the deduplicator counted it when
	// the item was stored (Decision.Words); 0 for a title-only item.
	Words     int
	FeedName  string
	FeedURL   string
	GUID      string
	URL       string
	Title     string
	Summary   string
	Text      string
	HTML      string
	Published time.Time
	FirstSeen time.Time
	Authors   []string
	Category  []string
	// Rule is the deduplicator's rule that put the item in this story
	// (Decision.Rule: RuleNew for the item that started it, RuleURL,
	// RuleBody, RuleNearDuplicate, RuleTitle, marked with WithMerge when it
	// also joined two stories); empty for items stored before it was kept.
	Rule MatchRule
}

// Story is a set of items that carry the same copy, with the member
// chosen to represent it. Its ID never changes once given.
type Story struct {
	ID             string
	FirstSeen      time.Time // when wirefeed first saw any member
	Published      time.Time // earliest member's published date
	Updated        time.Time // when the story last changed (member added, representative changed)
	Representative Member
	Members        []Member // every outlet's copy, earliest first; includes the representative
}

// storyIDEncoding writes story ids in lower-case base32 without padding:
// short, URL- and URN-safe. Its alphabet is in ASCII order (digits first),
// so ids sort as the bytes they encode; ids given before issue 13 used the
// same characters in RFC 4648's order and stay as they are.
var storyIDEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewStoryID is the id a story is given when it is first seen, from the
// time it was first seen and the feed and GUID of the item that started
// it; attempt is 0, then counts up on the rare clash with a stored id.
// Ten bytes, 16 characters: five of the first-seen time in seconds, then
// five of a hash of the rest. Ids of new stories therefore sort after
// those of older ones, so a new story goes to the end of the stories' and
// items' indexes by id rather than to a random page of each: with a
// million items stored, random keys made every new item dirty a page of
// both (issue 13). The id is stored, not recomputed: a story keeps it
// forever, whatever its members become.
func NewStoryID(seen time.Time, feed, guid string, attempt int) string {
	var b [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seen.Unix()))
	h := sha256.New()
	h.Write([]byte(feed))
	h.Write([]byte{0})
	h.Write([]byte(guid))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, int64(attempt), 10))
	h.Sum(b[:8])
	return storyIDEncoding.EncodeToString(b[3:13])
}

// Candidate is an item about to be stored, as the deduplicator sees it.
type Candidate struct {
	Feed string // feed name
	Item *Item
	Seen time.Time // first-seen time of this item
}

// MatchRule names the deduplicator's rule that put an item in its story.
// The store keeps it with the item; the status page and the metrics show
// it. A rule may carry a mark that the item also joined stories
// (WithMerge).
type MatchRule string

// The deduplicator's rules, in the order it tries them.
const (
	RuleURL           MatchRule = "url"            // same canonical URL as a stored item
	RuleBody          MatchRule = "body"           // same body as a stored item, after normalisation
	RuleNearDuplicate MatchRule = "near-duplicate" // a verified near copy of a stored item's body
	RuleTitle         MatchRule = "title"          // a near-identical title, close in time (title-only copies)
	RuleNew           MatchRule = "new"            // none matched: the item starts a story
	// RuleUpdate is the rule of an item signed again after its source
	// changed it (MatchTx.Resign); the item keeps its story.
	RuleUpdate MatchRule = "update"
)

// mergeMark is the suffix of a rule whose item also showed two stories to
// be one.
const mergeMark = "+merge"

// WithMerge returns r marked as the rule of an item that also joined
// stories, which were merged ("title+merge").
func (r MatchRule) WithMerge() MatchRule { return r + mergeMark }

// Base returns r without its merge mark, and whether it had one.
func (r MatchRule) Base() (base MatchRule, merged bool) {
	b, merged := strings.CutSuffix(string(r), mergeMark)
	return MatchRule(b), merged
}

// Decision is the deduplicator's verdict on one candidate.
type Decision struct {
	// StoryID is the story the item joins. Empty means a new story.
	StoryID string
	// Rule says which rule decided: one of the Rule* constants, marked
	// WithMerge when Merge is not empty. The store keeps it with the item
	// (Member.Rule).
	Rule MatchRule
	// BodyHash is the hash of the normalised body text, or 0 when the body is
	// too short to be used as an identity key. The store keeps it so the
	// identical-copy rule can find the item later.
	BodyHash int64
	// Signature is opaque data the deduplicator wants stored with the item
	// (MinHash signatures and the like), returned to it when it rebuilds its
	// index at start.
	Signature []byte
	// Words is the length, in words, of the body the deduplicator compared
	// after removing boilerplate; 0 means the item counts as title-only.
	// The store keeps it so that a story's root (its earliest member with a
	// body) can be found.
	Words int
	// Merge lists stories that this item shows to be the same story as
	// StoryID. The store folds each of them into StoryID: their members
	// move to it, and the merged stories (and their entries in the merged
	// feed) go. StoryID is always the oldest of them, so a story a reader
	// has already seen keeps its id.
	Merge []string
	// Sentences are hashes of the body's sentences (and of the tails of
	// its title, " - Reuters"), recorded for the item's feed so that those
	// recurring across many items of one feed can be learned as that
	// feed's boilerplate (and source suffixes).
	Sentences []int64
	// Learned are hashes of Sentences that this item makes boilerplate (or
	// a source suffix) for its feed. The store keeps them for good.
	Learned []int64
	// Compared is the body as the deduplicator compared it, in a form of
	// its own, or "" (a title-only item). The store keeps it with the
	// item's texts and returns it as StoredItem.Compared, so that when the
	// item is a candidate later its text need not be cleaned again.
	Compared string
}

// StoredItem is an item as the store holds it, with its story, returned
// to the deduplicator for verification.
type StoredItem struct {
	ID             int64
	Feed           string
	GUID           string
	URL            string
	Title          string
	Summary        string
	Text           string
	Published      time.Time
	FirstSeen      time.Time
	StoryID        string
	StoryFirstSeen time.Time // when the item's story was first seen
	Words          int       // Decision.Words as stored
	Compared       string    // Decision.Compared as stored; "" for items stored without
}

// Lookup answers the deduplicator's questions about what is already stored.
// The store implements it inside the transaction that will store the
// candidate, so answers include items stored earlier in the same
// transaction. A method returns "" when nothing matches. (Same feed and
// GUID needs no question: the store treats such an item as an update of the
// one it has and never asks the deduplicator about it.)
type Lookup interface {
	// StoryByURL returns the story of any item with this canonical URL.
	StoryByURL(ctx context.Context, url string) (string, error)
	// StoryByBodyHash returns the story of the most recent item whose
	// normalised body hashes to h.
	StoryByBodyHash(ctx context.Context, h int64) (string, error)
	// Items returns the stored items with these row ids, in any order;
	// ids that are not stored (pruned since) are left out.
	Items(ctx context.Context, ids []int64) ([]StoredItem, error)
	// ItemID returns the row id of feed's item with this GUID, or 0.
	ItemID(ctx context.Context, feed, guid string) (int64, error)
	// StoryRoot returns the row id of the story's earliest member with a
	// body (Decision.Words > 0), or 0 when every member is title-only.
	StoryRoot(ctx context.Context, story string) (int64, error)
	// SentenceCounts returns, for each hash that was recorded for feed
	// (Decision.Sentences), the number of the feed's most recent items
	// that carry it: of the last SentenceItems(matcher) items of the feed
	// that recorded sentences (newest by row id, those stored earlier in
	// the transaction included) and are still stored. Hashes no such item
	// carries are left out.
	SentenceCounts(ctx context.Context, feed string, hashes []int64) (map[int64]int, error)

	// What a deduplicator keeps in memory, and how it catches up with
	// other writers: see IndexChange.
	ChangeSource
}

// FeedState is what the store remembers about a feed between fetches: the
// validators for conditional GET and the feed's health.
type FeedState struct {
	Name              string
	URL               string // where it is fetched now (follows permanent redirects)
	ConfigURL         string // what the config said when URL was set
	Title             string // as the feed calls itself
	ETag              string
	LastModified      string
	BodyHash          string // of the last body parsed, for servers without validators
	LastStatus        int    // HTTP status of the last attempt; 0 for a network error
	LastAttempt       time.Time
	LastSuccess       time.Time
	ConsecutiveErrors int
	LastError         string
	NextDue           time.Time // do not fetch before this (backoff, Retry-After, TTL)
	Gone              bool      // the server answered 410 Gone
	Items             int       // items stored for this feed
	// NextDueReason says why NextDue is set: one of the NextDue* constants,
	// or "" when the feed may be fetched on its schedule.
	NextDueReason NextDueReason
	// MinInterval is the shortest interval between fetches the feed itself
	// asked for (RSS <ttl>), kept across 304 answers that carry no body.
	MinInterval time.Duration
	// LastWarning lists, one per line, problems with the last document
	// read that did not stop it being read (cut short and repaired, GUIDs
	// shared by different items, a redirect to plain http); "" when none.
	LastWarning string
	// SuspectNotModified counts consecutive 304 answers to a conditional
	// GET whose Last-Modified looked wrong (later than the server's Date).
	SuspectNotModified int
}

// NextDueReason says why a feed's NextDue lies in the future; it is stored
// with the feed's state and shown to the operator. The empty reason means
// the feed may be fetched on its schedule.
type NextDueReason string

// Why a feed's NextDue lies in the future.
const (
	NextDueBackoff    NextDueReason = "backoff"     // the feed is failing; retried with exponential backoff
	NextDueRetryAfter NextDueReason = "retry-after" // the server answered 429/503 with Retry-After
	NextDueCache      NextDueReason = "cache"       // Cache-Control max-age, Expires or RSS <ttl> ask for a minimum interval
)

// HostPause is a host that asked wirefeed to wait (429 or 503 with
// Retry-After): no feed on it is fetched before Until.
type HostPause struct {
	Host   string // lower-case host[:port] of the feed URL
	Until  time.Time
	Reason string // what asked for it, e.g. "HTTP 429 Too Many Requests (feed BBC World)"
}

// Outcome is the result of one fetch of one feed, as the store records it.
type Outcome struct {
	Feed        Feed
	Attempted   time.Time
	Status      int // HTTP status; 0 when no response came
	NotModified bool
	ETag        string
	LastMod     string
	BodyHash    string
	MovedTo     string // new permanent URL, when the feed moved
	Meta        FeedMeta
	Items       []Item // empty on error and on 304
	Err         error  // nil on success and on 304
	NextDue     time.Time
	Gone        bool
	// NextDueReason says why NextDue is set (a NextDue* constant).
	NextDueReason NextDueReason
	// MinInterval is the feed's own minimum interval (RSS <ttl>), to be
	// remembered for later 304 answers; zero when it gave none.
	MinInterval time.Duration
	// PauseHost, when set, is a host (lower-case host[:port]) that asked to
	// be left alone until PauseUntil; the store remembers it so that later
	// runs (another `wirefeed fetch` process) honour it too.
	PauseHost   string
	PauseUntil  time.Time
	PauseReason string // what asked for the pause, for the operator
	// Warnings are problems with the fetch that did not make it fail (see
	// FeedState.LastWarning). They replace the feed's last warning when a
	// document was read (not on 304 or an unchanged body).
	Warnings []string
	// SuspectNotModified is the feed's new count of consecutive 304
	// answers to a suspicious validator (FeedState.SuspectNotModified).
	SuspectNotModified int
}

// RecordResult says what recording an Outcome changed.
type RecordResult struct {
	NewItems     int // items not seen before
	UpdatedItems int // known items whose content changed
	NewStories   int // items that started a story of their own
	// Merged counts the new items that joined an existing story, by the
	// deduplicator's rule (its Base: RuleURL, RuleBody, RuleNearDuplicate,
	// RuleTitle).
	Merged map[MatchRule]int
	// StoriesMerged counts stories folded into an older one because a new
	// item proved them the same.
	StoriesMerged int
	// Reissued counts items that came with a GUID not seen before but the
	// canonical link or body of an item the feed already had: the feed
	// reissued the GUID, and the stored item was updated instead of a new
	// one being added.
	Reissued int
}

// StoryQuery selects stories for the merged feed, newest first (by
// FirstSeen, then by ID, both descending). The zero value selects the 50
// newest stories.
type StoryQuery struct {
	Limit int       // at most this many; <= 0 means 50
	Since time.Time // only stories published or updated at or after Since
	// Before, when not nil, selects only stories that sort after this
	// position in newest-first order: the next page after a story.
	Before *StoryCursor
	// Terms must each occur in the title, summary or text of some member
	// of the story: as whole words, in order, compared as
	// internal/searchtext folds them (any case, accents ignored; Chinese,
	// Japanese, Korean and Thai by character); a term ending in '*'
	// matches words that begin with it. A store may bound the work one
	// query spends on terms of several words: the SQLite store checks
	// their order on at most 2,000 stories that have the words but not the
	// phrase, and returns the stories found until then.
	Terms []string
	// Sources, when not empty, keeps only stories that some feed of this
	// list (by name, case-insensitively) carried.
	Sources []string
	// Keep, when not nil, is asked about every story that passed the other
	// conditions; stories it rejects are skipped and do not count towards
	// Limit. Output topic rules are applied this way. It must be safe to
	// call from the goroutine that runs the query.
	Keep func(*Story) bool
}

// Totals counts what the database holds, for the operator's status page.
type Totals struct {
	Stories       int // stories
	MergedStories int // stories carried by more than one item
	Items         int // items from every feed
	// While the search index is rebuilt in the background (after an
	// upgrade changed it), SearchIndexed of SearchToIndex items are
	// indexed, newest first, and searches find only those; SearchToIndex
	// is 0 when the index is complete.
	SearchIndexed, SearchToIndex int
}

// StoryCursor is a position in the newest-first order of stories: the
// story with this ID, first seen at FirstSeen.
type StoryCursor struct {
	FirstSeen time.Time
	ID        string
}
