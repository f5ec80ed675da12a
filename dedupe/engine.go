// Package dedupe decides which story an incoming item belongs to. It
// recognises the same item (same canonical URL across feeds), the same copy
// (identical body after normalisation) and, above all, the same wire copy
// republished with edits: boilerplate added, dateline and credits changed,
// headline rewritten, cut to its first paragraphs or to a one-sentence
// summary, a sentence inserted or dropped, typography and markup changed.
// Two different reports of the same event are not the same story.
//
// How an item is compared:
//
//   - Its body is normalised (normalize.go, extract.go, furniture.go,
//     script.go): markup and entities are removed; when the body is a
//     whole web page, the article is taken out of it; the repeated
//     headline, known site furniture in many languages, photo captions, a
//     leading dateline and byline, agency credits and URLs are removed, and
//     so is every sentence learned as the feed's boilerplate (one that
//     recurs in BoilerplateStories or more of the feed's recent items,
//     SentenceItems). What is
//     left is folded (case, accents, the letter variants copy desks change)
//     and cut into tokens: words, or character bigrams in scripts without
//     spaces. Its token 5-shingles are what is compared. A body of fewer
//     than minBodyWords words (counted per script) makes the item
//     title-only.
//   - MinHash signatures of the body, of its lede (first 20 words) and of
//     the title find candidates in an in-memory LSH index of the items first
//     seen within the window (minhash.go, index.go).
//   - Each candidate is verified exactly on the shingle sets, with the
//     candidate's text read from the store: the same copy has Jaccard
//     similarity ≥ Jaccard, or the shorter body is contained in the longer
//     one (containment ≥ Containment), and either way the two open alike
//     (the lede rule: the shorter one's first 20 words are in the longer
//     one's first part), and beyond an opening they share, the shorter has
//     a good part of the rest in common with the longer (the rest rule).
//     That is
//     how a summary or a cut copy joins its article while a shared quote, a
//     "See also" line, a common footer or the shared opening of two live
//     blogs does not.
//
// Clustering is online and never chains weak links. An item joins the
// story of its best verified match (between stories that a short item fits
// alike, the one whose titles match its own), and only if it is also
// loosely similar (at half the thresholds) to that story's root, its
// earliest member with a body, so a digest that quotes two stories cannot
// pull the second into the first; and only if its body contradicts no
// member (they open alike, then differ) unless a fuller copy in the story
// holds both, so a summary of a shared opening cannot glue two live blogs.
// An item that verifies strongly against several stories merges those
// whose roots are the same copy as the root of its best match and whose
// members do not contradict each other (and the stories made only of
// title-only items that its title matches): the oldest story keeps its id
// and the others become aliases of it (the store moves their members), so
// a story a reader has already seen never comes back under a new id, and
// the merged feed shows it once.
//
// A title-only item joins a story only on strong evidence: a near-identical
// title (trigram similarity ≥ TitleSimilarity once wire slugs and the site's
// or source's name are removed, at least five words counted per script;
// title.go), published within TitleWindow of a member of that story, from
// another feed, or from the same aggregator pool naming another source
// (each feed learns its recurring title suffixes like boilerplate).
// Otherwise it stays alone. The rule is symmetric: an item with a body whose
// body matches nothing may join a story made only of title-only items on
// the same evidence. Independent reports of one event have titles too close
// (0.58-0.87) for titles to decide more.
//
// What is kept where. The in-memory index holds, for each item first seen
// within the window, its row id, a flags byte and its band keys in a day
// bucket (about 450 bytes per item on average, at most about 760); texts stay in the store, and
// verification reads the candidates it needs through the Lookup of the
// recording transaction. The store keeps each item's signature, the words
// its cleaned body had (0: title-only), the sentence and title-suffix
// hashes of each feed's items (deleted with their items) and the learned
// boilerplate and source suffixes (kept for good, as one set of hashes).
// Rebuild loads the signatures of the window and the learned boilerplate at
// start, without recomputing anything from text, so decisions after a
// restart equal decisions without one. Items stored by an earlier version
// keep the signatures its normalisation made (the same for ASCII text; for
// text with accents or in scripts without spaces they find fewer
// candidates until they leave the window); verification always reads their
// text again, so no decision rests on a stale signature. A signature is
// made when an item is first stored and made again when the item is
// updated (same feed and GUID; see Resign): the update keeps its story, and
// its old index entry is retired.
//
// The representative of a story is chosen by Representative: a preferred
// source (in configured order), then the fullest clean text, then the
// earliest published, then the first stored.
//
// The same feed and GUID is handled before dedupe is asked: the store
// treats it as an update of the item it already has.
package dedupe

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wirefeed/wirefeed"
)

// Defaults of Options.
const (
	// DefaultMinBodyWords is the shortest body, in words, whose exact text
	// is trusted as an identity key. Shorter bodies ("Read more.", a
	// one-line teaser) recur across unrelated items.
	DefaultMinBodyWords = 12
	// DefaultWindow is how far back items are compared.
	DefaultWindow = 72 * time.Hour
	// DefaultJaccard is the shingle Jaccard similarity at which two bodies
	// are the same copy. Two different articles stay far below it: over
	// 5,565 pairs of real distinct articles even containment stayed under
	// 0.38.
	DefaultJaccard = 0.5
	// DefaultContainment is the share of the shorter body's shingles that
	// must be found in the longer one for a summary or cut copy to join.
	DefaultContainment = 0.7
	// DefaultTitleSimilarity is the title trigram similarity a title-only
	// item needs to join a story.
	DefaultTitleSimilarity = 0.9
	// DefaultTitleWindow is the largest gap between the published dates of
	// a title-only item and the member it joins.
	DefaultTitleWindow = 24 * time.Hour
	// DefaultBoilerplateStories is in how many of a feed's recent items
	// (Engine.SentenceItems) a sentence must occur to be learned as that
	// feed's boilerplate.
	DefaultBoilerplateStories = 4
)

// Fixed parameters of the comparison.
const (
	// minBodyWords: a cleaned body shorter than this is no evidence; the
	// item counts as title-only.
	minBodyWords = 8
	// minShared is the fewest shingles two bodies must share to match.
	minShared = 4
	// minLede is the share of the shorter body's lede that must be found
	// near the start of the longer one for a containment match.
	minLede = 0.5
	// rootFactor scales the thresholds for the loose similarity every
	// member must have with its story's root.
	rootFactor = 0.5
	// titleMinWords: shorter titles ("Live updates") never join by title.
	titleMinWords = 5
	// maxBodyCandidates and maxTitleCandidates bound the verification work
	// per item: candidates are ranked by the bands they share.
	maxBodyCandidates  = 12
	maxTitleCandidates = 8
)

// nowFunc is the clock used by Rebuild; tests override it.
var nowFunc = time.Now

// Options configures an Engine. Zero fields take the defaults above.
type Options struct {
	// PreferredSources are feed names whose copy represents a story when
	// they carry it, earliest in the list first (news agencies, say).
	PreferredSources []string
	// MinBodyWords: see DefaultMinBodyWords.
	MinBodyWords int
	// Window: items first seen up to this long before a candidate (rounded
	// up to whole UTC days) are compared with it.
	Window time.Duration
	// Jaccard and Containment: see DefaultJaccard, DefaultContainment.
	Jaccard     float64
	Containment float64
	// TitleSimilarity and TitleWindow: the title-only rule.
	TitleSimilarity float64
	TitleWindow     time.Duration
	// BoilerplateStories: see DefaultBoilerplateStories.
	BoilerplateStories int
	Logger             *slog.Logger
}

// Engine implements wirefeed.Matcher. It keeps an in-memory index of the
// signatures of recent items and the feeds' learned boilerplate; texts stay
// in the store and are read through the Lookup during a matching session
// (session.go). Each session starts by bringing the index up to date with
// every change the store committed since the Engine last looked, whoever
// wrote it, so several processes, each with its own Engine, can write to
// one database. It is safe for concurrent use; sessions run one at a time.
type Engine struct {
	sess      sync.Mutex // held from Begin to the end of the session
	mu        sync.Mutex // guards what follows
	opt       Options
	preferred map[string]int // lower-cased feed name -> rank (0 is best)
	days      int64          // day buckets compared besides the candidate's own day
	logger    *slog.Logger

	idx     index
	learned learnedSet // committed boilerplate sentences per feed
	// pos is the position in the store's change sequence (see
	// wirefeed.ChangeSource) that idx and learned reflect; -1 when they
	// must be loaded whole at the next session.
	pos int64
	tx  txState // what the session in progress has matched
}

// learnedSet maps a feed name to its boilerplate sentence hashes.
type learnedSet map[string]map[uint64]struct{}

func (s learnedSet) add(feed string, h uint64) {
	m := s[feed]
	if m == nil {
		m = map[uint64]struct{}{}
		s[feed] = m
	}
	m[h] = struct{}{}
}

func (s learnedSet) has(feed string, h uint64) bool {
	_, ok := s[feed][h]
	return ok
}

// txState holds what the matching session in progress has decided, which
// the index and the learned set do not have: they take it from the store's
// change sequence once the transaction has committed.
type txState struct {
	lk      wirefeed.Lookup
	items   []pendingItem
	learned learnedSet
	// byKey lists the pending items under each of their band keys (as the
	// index would), so that an item meets the session's earlier items
	// through its probes, not by comparison with each of them. Each key
	// heads a chain in listed (1 + its index), newest item first: one
	// slice for the session, not one per key.
	byKey  map[uint32]int32
	listed []keyLink
}

// keyLink is one pending item listed under a band key: the item's index
// in txState.items, and 1 + the index in txState.listed of the key's
// previous link, 0 at the end of the chain.
type keyLink struct{ item, next int32 }

// addPending adds a matched item to the session's pending items.
func (t *txState) addPending(feed, guid string, sig signature) {
	if t.byKey == nil {
		t.byKey = map[uint32]int32{}
	}
	n := int32(len(t.items))
	var buf [64]uint32
	for _, k := range sig.keys(buf[:0]) {
		t.listed = append(t.listed, keyLink{item: n, next: t.byKey[k]})
		t.byKey[k] = int32(len(t.listed))
	}
	t.items = append(t.items, pendingItem{feed: feed, guid: guid, sig: sig})
}

// pendingUnder calls fn with each pending item listed under band key k,
// newest first.
func (t *txState) pendingUnder(k uint32, fn func(item int32)) {
	for at := t.byKey[k]; at != 0; at = t.listed[at-1].next {
		fn(t.listed[at-1].item)
	}
}

type pendingItem struct {
	feed, guid string
	id         int64 // resolved through the Lookup when first needed
	sig        signature
}

// New returns an Engine with an empty index; call Rebuild to load it.
func New(opts Options) *Engine {
	if opts.MinBodyWords <= 0 {
		opts.MinBodyWords = DefaultMinBodyWords
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Jaccard <= 0 {
		opts.Jaccard = DefaultJaccard
	}
	if opts.Containment <= 0 {
		opts.Containment = DefaultContainment
	}
	if opts.TitleSimilarity <= 0 {
		opts.TitleSimilarity = DefaultTitleSimilarity
	}
	if opts.TitleWindow <= 0 {
		opts.TitleWindow = DefaultTitleWindow
	}
	if opts.BoilerplateStories <= 0 {
		opts.BoilerplateStories = DefaultBoilerplateStories
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	e := &Engine{
		opt:       opts,
		preferred: map[string]int{},
		days:      int64((opts.Window + day - 1) / day),
		logger:    opts.Logger,
		learned:   learnedSet{},
		pos:       -1,
	}
	for i, name := range opts.PreferredSources {
		key := strings.ToLower(strings.TrimSpace(name))
		if _, ok := e.preferred[key]; !ok {
			e.preferred[key] = i
		}
	}
	return e
}

// bodyHash is the identity hash of a body: it hashes the tokens left after
// cleaning (furniture and the feed's learned boilerplate removed), so the
// same copy in different furniture has the same hash. 0 means the body is
// too short (in words) to identify a story ("no hash" in storage).
func (e *Engine) bodyHash(c *cleaned, words int) int64 {
	if words < e.opt.MinBodyWords {
		return 0
	}
	return int64(sequenceHash(c.words))
}

// prepared is an item ready for comparison.
type prepared struct {
	body     shingled
	bodyHash int64    // identity hash of the cleaned body (see bodyHash)
	words    int      // cleaned body length in words (see script.go); 0 when title-only
	fresh    []uint64 // sentence hashes for boilerplate learning
	tails    []uint64 // title tail hashes for source suffix learning
	title    string   // the title as compared (see title.go)
	source   string   // the learned source suffixes its title names
	grams    []uint64 // title trigrams; see titleGrams
	sig      signature
	compared string // the body as compared (compared.go); "" when title-only
}

// bodyText is the text an item is compared by: its body, or its summary
// when it has no body.
func bodyText(text, summary string) string {
	if strings.TrimSpace(text) != "" {
		return text
	}
	return summary
}

// prepare normalises and signs an item of feed. Sentences and title tails
// learned for the feed, committed or in this transaction, are left out.
func (e *Engine) prepare(feed, title, text string) prepared {
	p, c := e.shingleBody(feed, title, text, nil)
	if g := p.titleGrams(); g != nil {
		p.sig.title = make([]uint32, titleHashes)
		minhash(p.sig.title, g)
	}
	if p.words == 0 {
		return p
	}
	p.bodyHash = e.bodyHash(&c, p.words)
	p.sig.body = make([]uint32, bodyHashes)
	p.sig.lede = make([]uint32, ledeHashes)
	minhashBody(p.sig.body, p.body.set)
	minhash(p.sig.lede, p.body.ledeSet())
	return p
}

// prepareTitle fills in what the title rule compares (its trigrams when
// first asked for: see titleGrams).
func (e *Engine) prepareTitle(p *prepared, feed, title string) {
	ti := e.titleOf(feed, title)
	p.title, p.source, p.tails = ti.key, ti.source, ti.tails
	p.grams = nil
}

// titleGrams returns the trigrams of the prepared title, computed once:
// most stored items prepared for verification are never compared by
// title.
func (p *prepared) titleGrams() []uint64 {
	if p.grams == nil && p.title != "" {
		p.grams = titleGrams(p.title)
	}
	return p.grams
}

// shingleBody cleans and shingles a body and prepares the title, without
// signing them: all that verification needs. It also returns the cleaned
// body.
func (e *Engine) shingleBody(feed, title, text string, trace *bodyTrace) (prepared, cleaned) {
	var p prepared
	e.prepareTitle(&p, feed, title)
	c := cleanBodyKeyed(text, title, p.title, func(h uint64) bool {
		return e.learned.has(feed, h) || e.tx.learned.has(feed, h)
	}, trace)
	words := wordsOf(c.bodyUnits())
	if words < minBodyWords {
		return p, c
	}
	p.words = words
	p.fresh = c.fresh
	p.body = shingle(c.words, c.units)
	p.compared = encodeCompared(p.title, c.sentences)
	return p, c
}

// prepareStored prepares a stored item's body for verification, as its
// feed's boilerplate now stands. The result is cached for the Match.
func (e *Engine) prepareStored(it wirefeed.StoredItem, cache map[int64]*prepared) *prepared {
	if p := cache[it.ID]; p != nil {
		return p
	}
	p, ok := e.preparedFromCompared(it)
	if !ok {
		p, _ = e.shingleBody(it.Feed, it.Title, bodyText(it.Text, it.Summary), nil)
	}
	cache[it.ID] = &p
	return &p
}

// Match decides the story of a candidate: the story of an item with the
// same canonical URL, else of an item with the same normalised body, else
// of its best verified near-duplicate, else a new story.
// It is called with e.mu held, inside a session.
func (e *Engine) match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	l := e.tx.lk
	p := e.prepare(c.Feed, c.Item.Title, bodyText(c.Item.Text, c.Item.Summary))
	dec := wirefeed.Decision{BodyHash: p.bodyHash, Words: p.words}
	if err := e.identity(ctx, l, c, &dec); err != nil {
		return dec, err
	}
	if dec.StoryID == "" {
		// An exact copy of a stored item (a feed that changes its GUIDs
		// republishes its items this way) says nothing new about the
		// feed's boilerplate; counting it would teach the feed its own
		// stories. Anything else is counted before it is compared, so
		// that the item that makes a title tail a learned source suffix
		// is already compared without it.
		if err := e.learn(ctx, l, c.Feed, c.Item.Title, &p, &dec); err != nil {
			return dec, err
		}
		v, err := e.near(ctx, l, c, &p)
		if err != nil {
			return dec, err
		}
		dec.StoryID, dec.Merge, dec.Rule = v.story, v.merge, v.rule
	}
	if dec.StoryID == "" {
		dec.Rule = wirefeed.RuleNew
	}
	dec.Signature = p.sig.encode()
	dec.Compared = p.compared
	e.tx.addPending(c.Feed, c.Item.GUID, p.sig)
	return dec, nil
}

// identity applies the same-URL and same-body rules.
func (e *Engine) identity(ctx context.Context, l wirefeed.Lookup, c wirefeed.Candidate, dec *wirefeed.Decision) error {
	if c.Item.URL != "" {
		id, err := l.StoryByURL(ctx, c.Item.URL)
		if err != nil {
			return fmt.Errorf("dedupe: url lookup: %w", err)
		}
		if id != "" {
			dec.StoryID, dec.Rule = id, wirefeed.RuleURL
			return nil
		}
	}
	if dec.BodyHash != 0 {
		id, err := l.StoryByBodyHash(ctx, dec.BodyHash)
		if err != nil {
			return fmt.Errorf("dedupe: body lookup: %w", err)
		}
		if id != "" {
			dec.StoryID, dec.Rule = id, wirefeed.RuleBody
		}
	}
	return nil
}

// learn fills in the sentences and title tails a new item records for its
// feed, and those that thereby become the feed's boilerplate or source
// suffixes: sentences now found in BoilerplateStories of the feed's items,
// tails in sourceItems. Items are counted whatever story they join, so a
// footer that made a feed's items look alike is learned all the same.
func (e *Engine) learn(ctx context.Context, l wirefeed.Lookup, feed, title string, p *prepared, dec *wirefeed.Decision) error {
	if len(p.fresh)+len(p.tails) == 0 {
		return nil
	}
	hs := make([]int64, 0, len(p.fresh)+len(p.tails))
	for _, h := range p.fresh {
		hs = append(hs, int64(h))
	}
	for _, h := range p.tails {
		if !slices.Contains(hs, int64(h)) {
			hs = append(hs, int64(h))
		}
	}
	counts, err := l.SentenceCounts(ctx, feed, hs)
	if err != nil {
		return fmt.Errorf("dedupe: sentence counts: %w", err)
	}
	dec.Sentences = hs
	tails := false
	for i, h := range hs {
		need := e.opt.BoilerplateStories
		if i >= len(p.fresh) {
			need = min(need, sourceItems)
		}
		if counts[h]+1 >= need {
			dec.Learned = append(dec.Learned, h)
			e.tx.learned.add(feed, uint64(h))
			tails = tails || i >= len(p.fresh)
		}
	}
	if tails { // the title loses a tail it has just taught its feed
		old := p.title
		e.prepareTitle(p, feed, title)
		if g := p.titleGrams(); p.title != old && g != nil && p.sig.title != nil {
			minhash(p.sig.title, g)
		}
	}
	return nil
}

func (e *Engine) index(id int64, seen time.Time, sig *signature) {
	d := dayOf(seen)
	if n := len(e.idx.buckets); n > 0 && d < e.idx.buckets[n-1].day-e.days {
		return // out of the window already (an old item updated): Rebuild would not load it either
	}
	var flags uint8
	if !sig.bodied() {
		flags |= flagTitleOnly
	}
	e.idx.add(id, d, flags, sig.keys(nil))
}

// resign signs an updated item again. Its story does not change, and
// nothing is learned from it. It is called with e.mu held.
func (e *Engine) resign(feed string, it *wirefeed.Item) wirefeed.Decision {
	p := e.prepare(feed, it.Title, bodyText(it.Text, it.Summary))
	return wirefeed.Decision{Rule: wirefeed.RuleUpdate, BodyHash: p.bodyHash, Signature: p.sig.encode(), Words: p.words, Compared: p.compared}
}

// SignatureSource is what Rebuild reads: the signatures and learned
// boilerplate the store keeps (store.Store implements it, and so does every
// wirefeed.Lookup; see wirefeed.ChangeSource).
type SignatureSource interface {
	// ScanSignatures calls fn for every item first seen at or after since
	// that has a signature, in the order the items were stored, and
	// returns the position in the store's change sequence the scan
	// reflects.
	ScanSignatures(ctx context.Context, since time.Time, fn func(id int64, seen time.Time, sig []byte) error) (int64, error)
	// ScanBoilerplate calls fn for every learned boilerplate sentence.
	ScanBoilerplate(ctx context.Context, fn func(feed string, hash int64) error) error
}

// Rebuild replaces the index and learned boilerplate with what src holds:
// the signatures of items first seen within the window, as stored, never
// recomputed from text. Decisions after a Rebuild equal decisions the
// Engine would have made had it run all along. A matching session does the
// same by itself when the Engine has never loaded its state (or the store
// no longer keeps the changes since it last looked); Rebuild lets a
// program load it before it starts fetching.
func (e *Engine) Rebuild(ctx context.Context, src SignatureSource) error {
	e.sess.Lock()
	defer e.sess.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.load(ctx, src)
}

// load replaces the index and learned boilerplate with what src holds.
func (e *Engine) load(ctx context.Context, src SignatureSource) error {
	start := time.Now()
	e.idx = index{}
	e.learned = learnedSet{}
	e.tx = txState{}
	e.pos = -1
	since := time.Unix((dayOf(nowFunc())-e.days)*int64(day/time.Second), 0).UTC()
	bad := 0
	pos, err := src.ScanSignatures(ctx, since, func(id int64, seen time.Time, b []byte) error {
		sig, err := decodeSignature(b)
		if err != nil {
			bad++
			return nil
		}
		e.index(id, seen, &sig)
		return nil
	})
	if err != nil {
		e.idx = index{}
		return fmt.Errorf("dedupe: rebuild: %w", err)
	}
	// Learned boilerplate is read after the signatures' position: what
	// it adds beyond it is learned again, harmlessly, on catching up.
	if err := e.loadBoilerplate(ctx, src); err != nil {
		e.idx, e.learned = index{}, learnedSet{}
		return err
	}
	e.pos = pos
	e.logger.Debug("dedupe index rebuilt", slog.Int("items", e.idx.len()), slog.Int("skipped", bad),
		slog.Int("bytes", e.idx.bytes()), slog.Duration("took", time.Since(start)))
	return nil
}

// LoadBoilerplate loads only the learned boilerplate from src, for tools
// (wirefeed explain) that compare items without the index.
func (e *Engine) LoadBoilerplate(ctx context.Context, src SignatureSource) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.learned = learnedSet{}
	return e.loadBoilerplate(ctx, src)
}

func (e *Engine) loadBoilerplate(ctx context.Context, src SignatureSource) error {
	err := src.ScanBoilerplate(ctx, func(feed string, h int64) error {
		e.learned.add(feed, uint64(h))
		return nil
	})
	if err != nil {
		return fmt.Errorf("dedupe: loading boilerplate: %w", err)
	}
	return nil
}

// Stats describes the index.
type Stats struct {
	Items int // items indexed
	Bytes int // memory held by the index
}

// Stats returns the size of the index.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Stats{Items: e.idx.len(), Bytes: e.idx.bytes()}
}

// Representative returns the index of the member that represents a story:
// a preferred source first (in the configured order), then the fullest
// clean text (words left after boilerplate removal), then the earliest
// published, then the first stored. A member's clean length is the Words
// the store kept from the decision (counted once, when the item arrived);
// only a member without it but with a text is cleaned again here.
func (e *Engine) Representative(ms []wirefeed.Member) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	words := make([]int, len(ms))
	for i, m := range ms {
		if m.Words > 0 || (m.Text == "" && m.Summary == "") {
			words[i] = m.Words
			continue
		}
		c := cleanBody(bodyText(m.Text, m.Summary), m.Title, func(h uint64) bool {
			return e.learned.has(m.FeedName, h)
		}, nil)
		words[i] = wordsOf(c.bodyUnits())
	}
	best := 0
	for i := 1; i < len(ms); i++ {
		if e.better(ms[i], words[i], ms[best], words[best]) {
			best = i
		}
	}
	return best
}

func (e *Engine) better(a wirefeed.Member, wa int, b wirefeed.Member, wb int) bool {
	ra, aok := e.preferred[strings.ToLower(a.FeedName)]
	rb, bok := e.preferred[strings.ToLower(b.FeedName)]
	switch {
	case aok && !bok:
		return true
	case bok && !aok:
		return false
	case aok && bok && ra != rb:
		return ra < rb
	}
	if wa != wb {
		return wa > wb
	}
	if !a.Published.Equal(b.Published) {
		return a.Published.Before(b.Published)
	}
	return a.ItemID < b.ItemID
}

// byRank orders hits by shared bands, most first, then newest item first.
func byRank(count func(hit) int) func(a, b hit) int {
	return func(a, b hit) int {
		if c := cmp.Compare(count(b), count(a)); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	}
}

// top returns at most n hits that count selects, best ranked first.
func top(hs []hit, n int, count func(hit) int, keep func(hit) bool) []hit {
	var out []hit
	for _, h := range hs {
		if count(h) > 0 && keep(h) {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, byRank(count))
	if len(out) > n {
		out = out[:n]
	}
	return out
}
