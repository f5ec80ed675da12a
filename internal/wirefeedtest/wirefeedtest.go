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

// Matcher decides the story of each new item the Store records; it has
// the shape of store.Matcher, which dedupe.Engine and URLMatcher satisfy.
type Matcher interface {
	Match(ctx context.Context, l wirefeed.Lookup, c wirefeed.Candidate) (wirefeed.Decision, error)
	Committed(assigned []wirefeed.Assigned)
	Representative(members []wirefeed.Member) int
}

// Resigner is a Matcher that signs an updated item again (store.Resigner).
type Resigner interface {
	Resign(feed string, it *wirefeed.Item) wirefeed.Decision
}

// URLMatcher is the smallest real Matcher: an item joins the story of the
// latest stored item with the same canonical URL, else starts its own.
// Every decision carries wirefeed.RuleURL; the first member represents a
// story. The zero value is ready to use.
type URLMatcher struct{}

// Match implements Matcher.
func (URLMatcher) Match(ctx context.Context, l wirefeed.Lookup, c wirefeed.Candidate) (wirefeed.Decision, error) {
	id, err := l.StoryByURL(ctx, c.Item.URL)
	return wirefeed.Decision{StoryID: id, Rule: wirefeed.RuleURL}, err
}

// Committed implements Matcher; URLMatcher keeps nothing.
func (URLMatcher) Committed([]wirefeed.Assigned) {}

// Representative implements Matcher: the first member, the earliest.
func (URLMatcher) Representative([]wirefeed.Member) int { return 0 }
