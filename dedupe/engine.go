// Package dedupe decides which story an incoming item belongs to. It
// recognises the same item (same canonical URL across feeds) and the same
// copy (identical body text after normalisation for comparison), and picks
// the member that represents a story in the merged feed.
//
// The same feed and GUID is handled before dedupe is asked: the store
// treats it as an update of the item it already has.
package dedupe

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/wirefeed/wirefeed"
)

// DefaultMinBodyWords is the shortest body, in words, whose exact text is
// trusted as an identity key. Shorter bodies ("Read more.", a one-line
// teaser) recur across unrelated items.
const DefaultMinBodyWords = 12

// Options configures an Engine.
type Options struct {
	// PreferredSources are feed names whose copy represents a story when
	// they carry it, earliest in the list first (news agencies, say).
	PreferredSources []string
	// MinBodyWords: see DefaultMinBodyWords. Zero takes the default.
	MinBodyWords int
	Logger       *slog.Logger
}

// Engine implements the store's Matcher. Its methods are called by the
// store one at a time; it holds no state between calls yet.
type Engine struct {
	preferred    map[string]int // lower-cased feed name -> rank (0 is best)
	minBodyWords int
	logger       *slog.Logger
}

// New returns an Engine.
func New(opts Options) *Engine {
	if opts.MinBodyWords <= 0 {
		opts.MinBodyWords = DefaultMinBodyWords
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	e := &Engine{preferred: map[string]int{}, minBodyWords: opts.MinBodyWords, logger: opts.Logger}
	for i, name := range opts.PreferredSources {
		key := strings.ToLower(strings.TrimSpace(name))
		if _, ok := e.preferred[key]; !ok {
			e.preferred[key] = i
		}
	}
	return e
}

// BodyHash returns the identity hash of a body text, or 0 when the text is
// too short to identify a story.
func (e *Engine) BodyHash(text string) int64 {
	words := Words(text)
	if len(words) < e.minBodyWords {
		return 0
	}
	h := int64(xxhash.Sum64String(strings.Join(words, " ")))
	if h == 0 {
		h = 1 // 0 means "no hash" in storage
	}
	return h
}

// Match decides the story of a candidate: the story of an item with the
// same canonical URL, else of an item with the same normalised body, else a
// new story.
func (e *Engine) Match(ctx context.Context, l wirefeed.Lookup, c wirefeed.Candidate) (wirefeed.Decision, error) {
	dec := wirefeed.Decision{BodyHash: e.BodyHash(c.Item.Text)}
	if c.Item.URL != "" {
		id, err := l.ClusterByURL(ctx, c.Item.URL)
		if err != nil {
			return dec, fmt.Errorf("dedupe: url lookup: %w", err)
		}
		if id != "" {
			dec.ClusterID, dec.Reason = id, "url"
			return dec, nil
		}
	}
	if dec.BodyHash != 0 {
		id, err := l.ClusterByBodyHash(ctx, dec.BodyHash)
		if err != nil {
			return dec, fmt.Errorf("dedupe: body lookup: %w", err)
		}
		if id != "" {
			dec.ClusterID, dec.Reason = id, "body"
			return dec, nil
		}
	}
	dec.Reason = "new"
	return dec, nil
}

// Committed is told which items were stored in which story.
func (e *Engine) Committed([]wirefeed.Assigned) {}

// Representative returns the index of the member that represents a story:
// a preferred source first (in the configured order), then the fullest
// text, then the earliest published, then the first stored.
func (e *Engine) Representative(ms []wirefeed.Member) int {
	best := 0
	for i := 1; i < len(ms); i++ {
		if e.better(ms[i], ms[best]) {
			best = i
		}
	}
	return best
}

func (e *Engine) better(a, b wirefeed.Member) bool {
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
	if la, lb := len(Words(a.Text)), len(Words(b.Text)); la != lb {
		return la > lb
	}
	if !a.Published.Equal(b.Published) {
		return a.Published.Before(b.Published)
	}
	return a.ItemID < b.ItemID
}
