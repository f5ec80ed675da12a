package storetest

import (
	"context"

	"github.com/wirefeed/wirefeed"
)

// urlMatcher is the smallest real Matcher: an item joins the story of the
// latest stored item with the same canonical URL, else starts its own. It
// keeps nothing in memory, so any number of stores may use it at once. The
// first member represents a story.
type urlMatcher struct{}

func (urlMatcher) Begin(ctx context.Context, l wirefeed.Lookup) (wirefeed.MatchTx, error) {
	return urlSession{l}, nil
}

func (urlMatcher) Representative([]wirefeed.Member) int { return 0 }

type urlSession struct{ l wirefeed.Lookup }

func (s urlSession) Match(ctx context.Context, c wirefeed.Candidate) (wirefeed.Decision, error) {
	id, err := s.l.StoryByURL(ctx, c.Item.URL)
	rule := wirefeed.RuleURL
	if id == "" {
		rule = wirefeed.RuleNew
	}
	return wirefeed.Decision{StoryID: id, Rule: rule}, err
}

func (s urlSession) Resign(ctx context.Context, feed string, it *wirefeed.Item) (wirefeed.Decision, error) {
	return wirefeed.Decision{Rule: wirefeed.RuleUpdate}, nil
}

func (urlSession) Prepare(context.Context) error { return nil }
func (urlSession) Commit()                       {}
func (urlSession) Abort()                        {}
