package fetcher

import (
	"context"
	"hash/fnv"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wirefeed/wirefeed"
)

// Politeness defaults.
const (
	// DefaultConcurrency is how many feeds are fetched at once across all
	// cycles of a Runner.
	DefaultConcurrency = 16
	// DefaultPerHost is how many feeds on one host are fetched at once.
	DefaultPerHost = 2
	// DefaultMaxCacheInterval caps how long a server's Cache-Control
	// max-age, Expires or RSS <ttl> may hold back the next fetch.
	DefaultMaxCacheInterval = 2 * time.Hour
	// DefaultMaxRetryAfter caps how long a Retry-After may pause a host.
	DefaultMaxRetryAfter = 24 * time.Hour
)

// Backoff is the retry policy for failing feeds: the wait after the n-th
// consecutive failure is drawn uniformly from [base/2, base], where base is
// Min·2^(n-1) capped at Max ("equal jitter": failing feeds that failed
// together drift apart, and none waits less than half its base or more than
// Max). A feed is never disabled: it is retried at least every Max.
type Backoff struct {
	Min time.Duration // base wait after the first failure; default 5m
	Max time.Duration // cap; default 6h
}

// Default backoff bounds.
const (
	DefaultBackoffMin = 5 * time.Minute
	DefaultBackoffMax = 6 * time.Hour
)

// Base returns the wait before jitter after the n-th consecutive failure
// (n >= 1).
func (b Backoff) Base(n int) time.Duration {
	if b.Min <= 0 {
		b.Min = DefaultBackoffMin
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Delay returns the wait after the n-th consecutive failure, with u, a
// number in [0, 1), choosing where in [Base/2, Base] it falls.
func (b Backoff) Delay(n int, u float64) time.Duration {
	base := b.Base(n)
	u = min(max(u, 0), 1)
	return base/2 + time.Duration(u*float64(base/2))
}

// hostKey is what the per-host limit and host pauses are keyed by: the
// lower-case host and port of a feed URL.
func hostKey(raw string) string {
	return HostKey(raw)
}

// HostKey is the host a feed URL is limited and paused by: its lower-case
// host[:port], without credentials; "" for a URL that does not parse.
func HostKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Host)
}

// spreadOffset is a feed's fixed place in a window of jitter: the same feed
// gets the same offset every cycle, so its interval stays regular while the
// feeds of one schedule start at different moments.
func spreadOffset(name string, window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(window))
}

// limiter hands out fetch slots: at most global fetches at once, at most
// perHost on one host, none on a paused host. It is shared by every cycle
// of a Runner, so overlapping cycles respect the same limits.
type limiter struct {
	mu      sync.Mutex
	cond    *sync.Cond
	global  int
	perHost int
	active  int
	hosts   map[string]*hostSlot
	// lastPause is the latest end of any pause, so that a worker waiting
	// for a global slot scans the queue for paused hosts only while one
	// may be paused.
	lastPause time.Time
}

type hostSlot struct {
	active int
	pause  wirefeed.HostPause
}

func newLimiter(global, perHost int) *limiter {
	l := &limiter{global: global, perHost: perHost, hosts: map[string]*hostSlot{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// broadcast wakes every waiting worker so it looks at the queue again.
func (l *limiter) broadcast() {
	l.mu.Lock()
	l.cond.Broadcast()
	l.mu.Unlock()
}

func (l *limiter) slot(host string) *hostSlot {
	hs := l.hosts[host]
	if hs == nil {
		hs = &hostSlot{}
		l.hosts[host] = hs
	}
	return hs
}

// pause records that host asked to be left alone until p.Until. A later
// pause wins over an earlier one.
func (l *limiter) pause(p wirefeed.HostPause) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setPause(p)
}

func (l *limiter) setPause(p wirefeed.HostPause) {
	hs := l.slot(p.Host)
	if p.Until.After(hs.pause.Until) {
		hs.pause = p
	}
	if p.Until.After(l.lastPause) {
		l.lastPause = p.Until
	}
	l.cond.Broadcast()
}

// paused returns the pause of host at now, if there is one.
func (l *limiter) paused(host string, now time.Time) (wirefeed.HostPause, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if hs := l.hosts[host]; hs != nil && now.Before(hs.pause.Until) {
		return hs.pause, true
	}
	return wirefeed.HostPause{}, false
}

// release returns a slot taken by acquire, recording first the pause the
// answer asked for, if any, so no waiting worker slips past it.
func (l *limiter) release(host string, p *wirefeed.HostPause) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p != nil {
		l.setPause(*p)
	}
	hs := l.slot(host)
	hs.active--
	l.active--
	if hs.active == 0 && hs.pause.Until.IsZero() {
		delete(l.hosts, host)
	}
	l.cond.Broadcast()
}

// job is one feed waiting in a cycle's queue.
type job struct {
	idx       int // position in the cycle's feed list and results
	feed      wirefeed.Feed
	st        wirefeed.FeedState
	url       string
	host      string
	notBefore time.Time
	claimed   bool // granted by a shared store already (see takeOver)
}

// queue holds a cycle's jobs by host, each host's jobs in start order.
// Only the limiter's lock guards it.
type queue struct {
	hosts []*hostQueue // hosts with waiting jobs, in order of first appearance
	index map[string]*hostQueue
	n     int
}

type hostQueue struct {
	host string
	jobs []*job
}

func (q *queue) add(j *job) {
	if q.index == nil {
		q.index = map[string]*hostQueue{}
	}
	hq := q.index[j.host]
	if hq == nil {
		hq = &hostQueue{host: j.host}
		q.index[j.host] = hq
		q.hosts = append(q.hosts, hq)
	}
	// Keep each host's jobs ordered by start time; jobs mostly arrive in
	// order, so the insertion point is found from the end.
	i := len(hq.jobs)
	for i > 0 && hq.jobs[i-1].notBefore.After(j.notBefore) {
		i--
	}
	hq.jobs = append(hq.jobs, nil)
	copy(hq.jobs[i+1:], hq.jobs[i:])
	hq.jobs[i] = j
	q.n++
}

// pop removes and returns the first job of the hi-th host.
func (q *queue) pop(hi int) *job {
	hq := q.hosts[hi]
	j := hq.jobs[0]
	hq.jobs[0] = nil
	hq.jobs = hq.jobs[1:]
	q.n--
	if len(hq.jobs) == 0 {
		q.hosts = append(q.hosts[:hi], q.hosts[hi+1:]...)
		delete(q.index, hq.host)
	}
	return j
}

// drain removes and returns every job left.
func (q *queue) drain() []*job {
	var out []*job
	for _, hq := range q.hosts {
		out = append(out, hq.jobs...)
	}
	q.hosts, q.index, q.n = nil, nil, 0
	return out
}

// acquire waits for a job of q that may start now: its start time has
// come, its host is below the per-host limit and not paused, and a global
// slot is free. The slot is held until release. A job whose host is paused
// comes back at once with the pause (and no slot) unless force is set. ok
// is false when the queue is empty or ctx is done.
func (l *limiter) acquire(ctx context.Context, q *queue, force bool, now func() time.Time) (j *job, paused *wirefeed.HostPause, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if ctx.Err() != nil || q.n == 0 {
			return nil, nil, false
		}
		t := now()
		var wake time.Time
		full := l.active >= l.global
		for hi := 0; hi < len(q.hosts) && (!full || t.Before(l.lastPause)); hi++ {
			hq := q.hosts[hi]
			hs := l.hosts[hq.host]
			if !force && hs != nil && t.Before(hs.pause.Until) {
				p := hs.pause
				return q.pop(hi), &p, true
			}
			if full {
				continue // still looking for paused hosts to skip
			}
			if hs != nil && hs.active >= l.perHost {
				continue
			}
			if start := hq.jobs[0].notBefore; start.After(t) {
				if wake.IsZero() || start.Before(wake) {
					wake = start
				}
				continue
			}
			hs = l.slot(hq.host)
			hs.active++
			l.active++
			return q.pop(hi), nil, true
		}
		var timer *time.Timer
		if !wake.IsZero() {
			timer = time.AfterFunc(wake.Sub(t), l.broadcast)
		}
		l.cond.Wait()
		if timer != nil {
			timer.Stop()
		}
	}
}
