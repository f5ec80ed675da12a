package fetcher

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// leaseTable is an in-memory table of feed leases with the rules the
// PostgreSQL store keeps (store/leases.go): a feed under a live lease is
// held; a feed claimed less than the window ago is not granted again
// unless its lease expired before it was done; recording the feed's
// outcome marks its lease done.
type leaseTable struct {
	mu     sync.Mutex
	ttl    time.Duration
	leases map[string]*lease
}

type lease struct {
	owner            string
	claimed, expires time.Time
	done             bool
}

func (lt *leaseTable) claim(owner string, names []string, window time.Duration) []wirefeed.ClaimState {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	now := time.Now()
	out := make([]wirefeed.ClaimState, len(names))
	for i, n := range names {
		l := lt.leases[n]
		switch {
		case l != nil && !l.done && l.expires.After(now):
			out[i] = wirefeed.ClaimHeld
		case l == nil || !l.claimed.After(now.Add(-window)):
			lt.leases[n] = &lease{owner: owner, claimed: now, expires: now.Add(lt.ttl)}
			out[i] = wirefeed.ClaimGranted
		case l.done:
			out[i] = wirefeed.ClaimDone
		default: // expired before it was done: taken over, same cycle
			l.owner, l.expires = owner, now.Add(lt.ttl)
			out[i] = wirefeed.ClaimGranted
		}
	}
	return out
}

func (lt *leaseTable) done(owner, name string) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if l := lt.leases[name]; l != nil && l.owner == owner {
		l.done = true
	}
}

// sharedStore is one instance's view of a store shared through a
// leaseTable.
type sharedStore struct {
	*wirefeedtest.Store
	leases *leaseTable
	owner  string
}

func (s *sharedStore) ClaimFeeds(ctx context.Context, names []string, window time.Duration) ([]wirefeed.ClaimState, error) {
	return s.leases.claim(s.owner, names, window), nil
}

func (s *sharedStore) LeaseTTL() time.Duration { return s.leases.ttl }

func (s *sharedStore) Record(ctx context.Context, o *wirefeed.Outcome) (wirefeed.RecordResult, error) {
	res, err := s.Store.Record(ctx, o)
	if err == nil {
		s.leases.done(s.owner, o.Feed.Name)
	}
	return res, err
}

// TestSharedCycleFetchesEachFeedOnce runs the same cycle on three Runners
// that share one store: every feed is fetched by exactly one of them, and
// the others report it skipped, fetched elsewhere.
func TestSharedCycleFetchesEachFeedOnce(t *testing.T) {
	srv := newTestServer(t)
	var feeds []wirefeed.Feed
	for i := range 24 {
		path := fmt.Sprintf("/f%d", i)
		srv.handle(path, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(5 * time.Millisecond)
			w.Write(rssDoc("F", fmt.Sprintf("f%d", i), 2))
		})
		feeds = append(feeds, wirefeed.Feed{Name: fmt.Sprintf("feed %d", i), URL: srv.url(fmt.Sprintf("h%d.test", i%4), path)})
	}
	leases := &leaseTable{ttl: 2 * time.Second, leases: map[string]*lease{}}
	store := wirefeedtest.NewStore(nil)
	reps := make([]Report, 3)
	var wg sync.WaitGroup
	for k := range reps {
		r := newTestRunner(t, &sharedStore{Store: store, leases: leases, owner: fmt.Sprint("instance ", k)}, nil, RunnerOptions{Concurrency: 3})
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := r.RunCycle(context.Background(), feeds, CycleOptions{ClaimWindow: func(string) time.Duration { return time.Minute }})
			if err != nil {
				t.Error(err)
			}
			reps[k] = rep
		}()
	}
	wg.Wait()
	for i, f := range feeds {
		if n := srv.hitCount(fmt.Sprintf("/f%d", i)); n != 1 {
			t.Errorf("%s fetched %d times, want once", f.Name, n)
		}
		fetched := 0
		for k, rep := range reps {
			switch res := rep.Results[i]; {
			case res.Status == Fetched:
				fetched++
			case res.Status == Skipped && strings.Contains(res.Reason, "another instance"):
			default:
				t.Errorf("instance %d: %s: %s %q, want fetched or skipped as fetched elsewhere", k, f.Name, res.Status, res.Reason)
			}
		}
		if fetched != 1 {
			t.Errorf("%s reported fetched by %d instances, want 1", f.Name, fetched)
		}
	}
	// A second cycle within the window fetches nothing again.
	r := newTestRunner(t, &sharedStore{Store: store, leases: leases, owner: "late instance"}, nil, RunnerOptions{})
	rep, err := r.RunCycle(context.Background(), feeds, CycleOptions{ClaimWindow: func(string) time.Duration { return time.Minute }})
	if err != nil {
		t.Fatal(err)
	}
	if n := rep.Count(Fetched); n != 0 {
		t.Errorf("a cycle within the window fetched %d feeds again", n)
	}
}

// TestSharedCycleTakesOverAnExpiredLease: a feed claimed by an instance that
// died (it never records, never renews) is fetched by a live instance once
// the lease expires, within the same cycle; a feed held by a live instance
// that finishes is not fetched twice.
func TestSharedCycleTakesOverAnExpiredLease(t *testing.T) {
	srv := newTestServer(t)
	var feeds []wirefeed.Feed
	for i := range 4 {
		path := fmt.Sprintf("/f%d", i)
		srv.handle(path, serveBytes(rssDoc("F", fmt.Sprintf("f%d", i), 1)))
		feeds = append(feeds, wirefeed.Feed{Name: fmt.Sprintf("feed %d", i), URL: srv.url("a.test", path)})
	}
	const ttl = 300 * time.Millisecond
	leases := &leaseTable{ttl: ttl, leases: map[string]*lease{}}
	store := wirefeedtest.NewStore(nil)
	window := func(string) time.Duration { return time.Minute }
	// The dead instance claimed feed 0 and feed 1 and never came back.
	leases.claim("dead", []string{"feed 0", "feed 1"}, time.Minute)
	// A live instance holds feed 2 and records it a little later.
	leases.claim("live", []string{"feed 2"}, time.Minute)
	live := &sharedStore{Store: store, leases: leases, owner: "live"}
	go func() {
		time.Sleep(ttl / 3)
		live.Record(context.Background(), &wirefeed.Outcome{Feed: feeds[2], Attempted: time.Now(), Status: 304, NotModified: true})
	}()

	start := time.Now()
	r := newTestRunner(t, &sharedStore{Store: store, leases: leases, owner: "survivor"}, nil, RunnerOptions{})
	rep, err := r.RunCycle(context.Background(), feeds, CycleOptions{ClaimWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	for i, want := range []ResultStatus{Fetched, Fetched, Skipped, Fetched} {
		if got := rep.Results[i].Status; got != want {
			t.Errorf("feed %d: %s (%s), want %s", i, got, rep.Results[i].Reason, want)
		}
	}
	for i, want := range []int{1, 1, 0, 1} {
		if n := srv.hitCount(fmt.Sprintf("/f%d", i)); n != want {
			t.Errorf("feed %d fetched %d times, want %d", i, n, want)
		}
	}
	if took < ttl {
		t.Errorf("the cycle ended after %v, before the dead instance's leases (%v) expired", took, ttl)
	}
	if took > 20*ttl {
		t.Errorf("the cycle took %v to take over leases of %v", took, ttl)
	}

	// Without a window (`wirefeed fetch`), a feed held elsewhere is
	// skipped at once rather than waited for.
	leases.claim("busy", []string{"feed 3"}, 0)
	r = newTestRunner(t, &sharedStore{Store: store, leases: leases, owner: "fetch"}, nil, RunnerOptions{})
	rep, err = r.Run(context.Background(), feeds[3:], false)
	if err != nil {
		t.Fatal(err)
	}
	if res := rep.Results[0]; res.Status != Skipped || !strings.Contains(res.Reason, "being fetched by another instance") {
		t.Errorf("a feed held elsewhere: %s %q, want skipped as being fetched elsewhere", res.Status, res.Reason)
	}
}
