// Package wirefeedtest holds in-memory fakes of wirefeed's contracts, for
// the tests of a package that consumes them when the SQLite store is not
// what the test is about: URLMatcher, the smallest real Matcher, and Store,
// which records fetch outcomes (what fetcher's Runner needs), answers the
// deduplicator's Lookup while it records, and serves stories and feed
// states (what feedout's Handler reads).
//
// The fakes follow the store's rules, and this package's tests check them
// against the real store outcome by outcome. A test about storage itself
// (transactions, migrations, search, reissued GUIDs) belongs with the real
// store.
package wirefeedtest

import (
	"context"

	"github.com/wirefeed/wirefeed"
)

// URLMatcher is the smallest real Matcher (wirefeed.Matcher): an item
// joins the story of the latest stored item with the same canonical URL,
// else starts its own (wirefeed.RuleURL, or wirefeed.RuleNew); the first
// member represents a story; an updated item gets no signature. The zero
// value is ready to use.
type URLMatcher struct{}

// Begin implements wirefeed.Matcher.
func (URLMatcher) Begin(_ context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	return urlSession{l}, nil
}

// Representative implements wirefeed.Matcher: the first member, the
// earliest.
func (URLMatcher) Representative([]wirefeed.Member) int { return 0 }

// urlSession is a URLMatcher's matching session; it keeps nothing.
type urlSession struct{ l wirefeed.Lookup }

func (s urlSession) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	id, err := s.l.StoryByURL(ctx, c.Item.URL)
	rule := wirefeed.RuleURL
	if id == "" {
		rule = wirefeed.RuleNew
	}
	return wirefeed.Decision{StoryID: id, Rule: rule}, err
}

func (urlSession) Resign(context.Context, string, *wirefeed.Item) (wirefeed.Decision, error) {
	return wirefeed.Decision{Rule: wirefeed.RuleUpdate}, nil
}

func (urlSession) Prepare(context.Context) error { return nil }
func (urlSession) Commit()                       {}
func (urlSession) Abort()                        {}
