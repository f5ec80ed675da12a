package fetcher

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wirefeed/wirefeed"
)

// Claimer is a Store shared by several instances (wirefeed serve on
// PostgreSQL) that hands out each feed to one of them per cycle. The
// Runner claims a feed just before fetching it; recording its outcome ends
// the claim. A feed another instance holds is watched: if its holder dies,
// its lease expires and the feed is claimed again, here or elsewhere.
type Claimer interface {
	// ClaimFeeds asks to fetch the named feeds, and answers for each, in
	// order. A feed claimed (by anyone) less than window ago is not
	// granted again unless its lease expired before it was recorded.
	ClaimFeeds(ctx context.Context, names []string, window time.Duration) ([]wirefeed.ClaimState, error)
	// LeaseTTL is how long a claim lasts without renewal (the store renews
	// the claims of a live instance); zero means the store is not shared
	// and every feed is the caller's.
	LeaseTTL() time.Duration
}

// claimer returns the Runner's store as a Claimer when it shares work.
func (r *Runner) claimer() Claimer {
	if c, ok := r.store.(Claimer); ok && c.LeaseTTL() > 0 {
		return c
	}
	return nil
}

// sharing is a cycle's side of shared work: the claimer, each feed's claim
// window, and the jobs held by other instances, watched until they are
// done or taken over.
type sharing struct {
	claimer Claimer
	window  func(feed string) time.Duration
	mu      sync.Mutex
	watched []*job
}

// claimPoll is how often a cycle asks again about feeds other instances
// hold: a quarter of the lease, within bounds, so that a dead instance's
// feeds are taken over soon after its leases expire.
func claimPoll(ttl time.Duration) time.Duration {
	return min(max(ttl/4, 100*time.Millisecond), 5*time.Second)
}

func (s *sharing) windowOf(name string) time.Duration {
	if s.window == nil {
		return 0
	}
	return s.window(name)
}

// claim asks for one job's feed. A job held elsewhere is watched.
func (s *sharing) claim(ctx context.Context, j *job) (wirefeed.ClaimState, error) {
	st, err := s.claimer.ClaimFeeds(ctx, []string{j.feed.Name}, s.windowOf(j.feed.Name))
	if err != nil {
		return 0, fmt.Errorf("feed %q: claiming it: %w", j.feed.Name, err)
	}
	if len(st) != 1 {
		return 0, fmt.Errorf("feed %q: claiming it: %d answers for one feed", j.feed.Name, len(st))
	}
	if st[0] == wirefeed.ClaimHeld {
		s.mu.Lock()
		s.watched = append(s.watched, j)
		s.mu.Unlock()
	}
	return st[0], nil
}

// takeWatched removes and returns the watched jobs.
func (s *sharing) takeWatched() []*job {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.watched
	s.watched = nil
	return w
}

// skipped is the result of a job another instance fetched, or held when
// the cycle ended.
func skippedElsewhere(j *job, st wirefeed.ClaimState) Result {
	why := "fetched by another instance in this cycle"
	if st == wirefeed.ClaimHeld {
		why = "being fetched by another instance"
	}
	return Result{Feed: j.feed.Name, URL: j.url, Status: Skipped, NextDue: j.st.NextDue, Reason: why, Before: j.st, Gone: j.st.Gone}
}
