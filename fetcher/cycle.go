package fetcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/redact"
)

// Store is what a Runner needs from storage: the remembered state of every
// feed and host, and a place to record each outcome (items and feed state
// in one transaction).
type Store interface {
	FeedStates(ctx context.Context) (map[string]wirefeed.FeedState, error)
	HostPauses(ctx context.Context, now time.Time) (map[string]wirefeed.HostPause, error)
	Record(ctx context.Context, o *wirefeed.Outcome) (wirefeed.RecordResult, error)
}

// Result is what happened to one feed in a cycle.
type Result struct {
	Feed    string
	URL     string
	Status  ResultStatus
	HTTP    int
	Items   int // items in the document
	New     int // items not seen before
	Err     error
	NextDue time.Time
	// Reason says why a feed was skipped: backing off, gone, asked to
	// wait, host paused. Empty for other statuses.
	Reason string
	// Bytes is the size of the document received (decompressed); 0 for a
	// 304, an error or a feed not attempted.
	Bytes int
	// Took is how long the HTTP exchange lasted; 0 for a feed not
	// attempted.
	Took time.Duration
	// Merged counts the new items that joined an existing story, by the
	// deduplicator's rule (see wirefeed.RecordResult).
	Merged map[wirefeed.MatchRule]int
	// StoriesMerged counts stories folded into older ones by this fetch.
	StoriesMerged int
	// Before is the feed's state before this cycle, for telling what
	// changed (newly failing, recovered, gone).
	Before wirefeed.FeedState
	// Gone is set when the feed answered 410 Gone (or, skipped, is gone).
	Gone bool
	// Interrupted is set when the cycle's context ended before the
	// outcome was stored: nothing about the feed was recorded (the daemon
	// is stopping, or `wirefeed fetch` was interrupted).
	Interrupted bool
}

// Cause is the result's error without the feed's name and URL, which a
// report or a log line shows beside it; "" when there is no error.
func (r Result) Cause() string {
	if r.Err == nil {
		return ""
	}
	return failureCause(r.Err, r.Feed, r.URL)
}

// Failing reports whether the feed is failing after this cycle: it failed
// now, or it was skipped while backing off after failures or gone. An
// interrupted fetch changes nothing, so it says what the feed was before.
func (r Result) Failing() bool {
	switch {
	case r.Interrupted, r.Status == Skipped:
		return r.Before.ConsecutiveErrors > 0 || r.Before.Gone
	default:
		return r.Status == Failed
	}
}

// ResultStatus classifies a feed's result in a cycle.
type ResultStatus string

// The possible ResultStatus values.
const (
	Fetched     ResultStatus = "fetched"
	NotModified ResultStatus = "not-modified"
	Skipped     ResultStatus = "skipped" // backing off, gone or asked to wait; not attempted
	Failed      ResultStatus = "failed"
)

// Report summarises a cycle.
type Report struct {
	Started  time.Time
	Duration time.Duration
	Results  []Result
}

// Count returns how many feeds ended with status s.
func (r Report) Count(s ResultStatus) int {
	n := 0
	for _, res := range r.Results {
		if res.Status == s {
			n++
		}
	}
	return n
}

// Interrupted returns how many feeds' outcomes were not stored because
// the cycle's context ended.
func (r Report) Interrupted() int {
	n := 0
	for _, res := range r.Results {
		if res.Interrupted {
			n++
		}
	}
	return n
}

// Runner fetches a set of feeds once, politely, and records every outcome
// in the Store: at most Concurrency fetches at once and PerHost on one host
// (shared by every cycle of the Runner), hosts that answered 429/503 with
// Retry-After paused, failing feeds backed off, server cache hints honoured
// as a minimum interval. It is safe for concurrent use.
type Runner struct {
	client           *Client
	store            Store
	limits           Limits
	lim              *limiter
	concurrency      int
	backoff          Backoff
	maxCacheInterval time.Duration
	maxRetryAfter    time.Duration
	jitter           time.Duration
	logger           *slog.Logger
	redactor         atomic.Pointer[redact.Redactor]
	now              func() time.Time
	rand             func() float64
	observe          func(Result)
	warned           warned
}

// RunnerOptions configures a Runner. Zero fields take defaults.
type RunnerOptions struct {
	// Concurrency is how many feeds are fetched at once, across every
	// cycle of the Runner; default DefaultConcurrency.
	Concurrency int
	// PerHost is how many feeds on one host are fetched at once; default
	// DefaultPerHost.
	PerHost int
	Limits  Limits
	Backoff Backoff
	// MaxCacheInterval caps how long Cache-Control max-age, Expires or an
	// RSS <ttl> may hold back a feed's next fetch; default
	// DefaultMaxCacheInterval; negative ignores those hints.
	MaxCacheInterval time.Duration
	// MaxRetryAfter caps a Retry-After; default DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// Jitter is the window over which a scheduled cycle spreads the start
	// of its feeds (see CycleOptions.Spread); zero spreads nothing.
	Jitter time.Duration
	Logger *slog.Logger // default slog.Default()
	// Redact hides the secrets of feed URLs in errors (and so in the
	// feed's recorded last error), in skip reasons and in log lines; nil
	// redacts userinfo and redact.DefaultParams.
	Redact *redact.Redactor
	Now    func() time.Time // default time.Now; tests override it
	// Rand returns numbers in [0, 1) for backoff jitter; default
	// math/rand/v2's Float64.
	Rand func() float64
	// Observe, when not nil, is called with every feed's Result as soon as
	// it is known (skipped feeds at the start of a cycle, fetched ones as
	// they are stored), for metrics and progress. It is called from
	// several goroutines and must be safe for that.
	Observe func(Result)
}

// NewRunner returns a Runner that fetches with client and records in store.
func NewRunner(client *Client, store Store, opts RunnerOptions) *Runner {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.PerHost <= 0 {
		opts.PerHost = DefaultPerHost
	}
	if opts.MaxCacheInterval == 0 {
		opts.MaxCacheInterval = DefaultMaxCacheInterval
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	r := &Runner{
		client:           client,
		store:            store,
		limits:           opts.Limits,
		lim:              newLimiter(opts.Concurrency, opts.PerHost),
		concurrency:      opts.Concurrency,
		backoff:          opts.Backoff,
		maxCacheInterval: opts.MaxCacheInterval,
		maxRetryAfter:    opts.MaxRetryAfter,
		jitter:           opts.Jitter,
		logger:           opts.Logger,
		now:              opts.Now,
		rand:             opts.Rand,
		observe:          opts.Observe,
	}
	r.redactor.Store(opts.Redact)
	return r
}

// SetRedactor replaces what hides the secrets of feed URLs in the Runner's
// errors and log lines (a config reload that adds feeds).
func (r *Runner) SetRedactor(red *redact.Redactor) { r.redactor.Store(red) }

// redact returns the current Redactor; nil redacts the default parameters.
func (r *Runner) redact() *redact.Redactor { return r.redactor.Load() }

// recordBuffer is how many fetched and parsed feeds may wait for the
// store's writer; about 60 KB each for a 30-item feed.
const recordBuffer = 256

// Jitter returns the spread window the Runner was configured with, for the
// Scheduler.
func (r *Runner) Jitter() time.Duration { return r.jitter }

// CycleOptions tunes one cycle.
type CycleOptions struct {
	// Force fetches feeds that are backing off, gone, or asked to wait
	// (Retry-After, cache hints, paused hosts).
	Force bool
	// Spread delays each feed's start by a fixed offset in [0, Spread)
	// derived from its name, so that many feeds on one schedule do not
	// hit their servers in the same second. A one-off `wirefeed fetch`
	// uses none.
	Spread time.Duration
	// Drain, when done, stops the cycle from starting more fetches: feeds
	// not yet started are reported skipped, fetches in flight finish (until
	// the cycle's own context ends). The daemon drains on shutdown, so a
	// cycle waiting out its spread does not hold up SIGTERM.
	Drain context.Context
	// NextAttempt, when not nil, turns a feed's next due time into the time
	// it will really be attempted (the daemon's schedules), for the log;
	// without it the log says the due time, which is what `wirefeed fetch`
	// honours.
	NextAttempt func(name string, earliest time.Time) time.Time
	// ClaimWindow, on a store shared by several instances (Claimer), is
	// how long a feed's fetch counts for the cycle it was claimed in: a
	// feed claimed less than that ago, by any instance, is not fetched
	// again (the daemon's schedules give half their interval). Nil means
	// zero: every feed not being fetched elsewhere at this moment is
	// fetched (`wirefeed fetch`).
	ClaimWindow func(feed string) time.Duration
}

// Run fetches every feed in feeds once, at once (no spread). Feeds that are
// backing off, gone, or asked to wait are skipped unless force is set. See
// RunCycle.
func (r *Runner) Run(ctx context.Context, feeds []wirefeed.Feed, force bool) (Report, error) {
	return r.RunCycle(ctx, feeds, CycleOptions{Force: force})
}

// RunCycle fetches every feed in feeds once. It returns when every feed is
// done or ctx is cancelled (feeds not started then are reported failed
// with ctx's error); an error is returned only when the store cannot be
// read at all. Every outcome is recorded by one goroutine, in the order
// fetches finish, so the store's single writer never holds a fetch slot.
func (r *Runner) RunCycle(ctx context.Context, feeds []wirefeed.Feed, opts CycleOptions) (Report, error) {
	rep := Report{Started: r.now()}
	states, err := r.store.FeedStates(ctx)
	if err != nil {
		return rep, fmt.Errorf("fetch cycle: %w", err)
	}
	pauses, err := r.store.HostPauses(ctx, rep.Started)
	if err != nil {
		return rep, fmt.Errorf("fetch cycle: %w", err)
	}
	for _, p := range pauses {
		r.lim.pause(p)
	}

	results := make([]Result, len(feeds))
	q := &queue{}
	for i, f := range feeds {
		st := states[f.Name]
		u := fetchURL(f, st)
		host := hostKey(u)
		if !opts.Force {
			if why := r.skipReason(st, host, rep.Started); why != "" {
				results[i] = Result{Feed: f.Name, URL: u, Status: Skipped, NextDue: st.NextDue, Reason: why, Before: st, Gone: st.Gone}
				r.notify(results[i])
				continue
			}
		}
		q.add(&job{idx: i, feed: f, st: st, url: u, host: host, notBefore: rep.Started.Add(spreadOffset(f.Name, opts.Spread))})
	}

	var sh *sharing
	if c := r.claimer(); c != nil {
		sh = &sharing{claimer: c, window: opts.ClaimWindow}
	}
	// The buffer lets fetching run ahead of the store's single writer for
	// a while (a burst of 200s), so a busy writer does not idle the fetch
	// slots; its bound caps the parsed documents held in memory.
	recorded := make(chan *fetched, min(q.n, recordBuffer))
	// startCtx ends when no more fetches may start: the cycle is cancelled
	// or drained.
	startCtx, stopStarts := context.WithCancel(ctx)
	defer stopStarts()
	if opts.Drain != nil {
		defer context.AfterFunc(opts.Drain, stopStarts)()
	}
	stopWake := context.AfterFunc(startCtx, r.lim.broadcast)
	defer stopWake()
	var fetchers, recorder sync.WaitGroup
	recorder.Add(1)
	go func() {
		defer recorder.Done()
		for f := range recorded {
			// Whatever else waits is recorded with it, in one
			// transaction when the store can (see BatchRecorder).
			batch := []*fetched{f}
		more:
			for len(batch) < maxRecordBatch {
				select {
				case g, ok := <-recorded:
					if !ok {
						break more
					}
					batch = append(batch, g)
				default:
					break more
				}
			}
			recs := r.storeBatch(ctx, batch)
			for i, f := range batch {
				results[f.job.idx] = r.record(ctx, f, recs[i], opts.NextAttempt)
				r.notify(results[f.job.idx])
			}
		}
	}()
	runWorkers := func() {
		r.lim.mu.Lock()
		workers := min(r.concurrency, q.n)
		r.lim.mu.Unlock()
		for range workers {
			fetchers.Add(1)
			go func() {
				defer fetchers.Done()
				r.work(ctx, startCtx, q, opts.Force, sh, results, recorded)
			}()
		}
		fetchers.Wait()
	}
	runWorkers()
	if sh != nil {
		r.takeOver(startCtx, sh, q, rep.Started, results, runWorkers)
	}
	close(recorded)
	recorder.Wait()

	r.lim.mu.Lock()
	left := q.drain()
	r.lim.mu.Unlock()
	for _, j := range left {
		if ctx.Err() == nil {
			results[j.idx] = Result{Feed: j.feed.Name, URL: j.url, Status: Skipped, NextDue: j.st.NextDue, Reason: "not started: shutting down", Before: j.st, Gone: j.st.Gone}
		} else {
			results[j.idx] = Result{Feed: j.feed.Name, URL: j.url, Status: Failed, Err: fmt.Errorf("feed %q: not fetched: %w", j.feed.Name, ctx.Err()),
				Before: j.st, Interrupted: true}
		}
		r.notify(results[j.idx])
	}
	rep.Results = results
	rep.Duration = r.now().Sub(rep.Started)
	return rep, nil
}

// takeOver waits, after the cycle's own fetches, for the feeds that other
// instances were fetching: each is asked for again every claimPoll until
// it is done (by its holder) or granted here (its holder's lease expired:
// the holder died), and a granted one is fetched here. A feed still held
// when its claim window has passed since the cycle started, or when the
// cycle is drained, is left to the next cycle.
func (r *Runner) takeOver(startCtx context.Context, sh *sharing, q *queue, started time.Time, results []Result, runWorkers func()) {
	poll := claimPoll(sh.claimer.LeaseTTL())
	for {
		watched := sh.takeWatched()
		now := r.now()
		byWindow := map[time.Duration][]*job{}
		for _, j := range watched {
			w := sh.windowOf(j.feed.Name)
			if startCtx.Err() != nil || now.Sub(started) >= w {
				results[j.idx] = skippedElsewhere(j, wirefeed.ClaimHeld)
				r.notify(results[j.idx])
				continue
			}
			byWindow[w] = append(byWindow[w], j)
		}
		if len(byWindow) == 0 {
			return
		}
		t := time.NewTimer(poll)
		select {
		case <-startCtx.Done():
		case <-t.C:
		}
		t.Stop()
		granted := 0
		for w, jobs := range byWindow {
			names := make([]string, len(jobs))
			for i, j := range jobs {
				names[i] = j.feed.Name
			}
			var st []wirefeed.ClaimState
			var err error
			if startCtx.Err() == nil {
				st, err = sh.claimer.ClaimFeeds(startCtx, names, w)
			}
			if err == nil && len(st) != len(jobs) {
				err = fmt.Errorf("%d answers for %d feeds", len(st), len(jobs))
			}
			if err != nil || startCtx.Err() != nil {
				if err != nil {
					r.logger.Warn("could not ask the store about feeds other instances are fetching", slog.Int("feeds", len(jobs)), slog.Any("err", err))
				}
				sh.mu.Lock()
				sh.watched = append(sh.watched, jobs...)
				sh.mu.Unlock()
				continue
			}
			for i, j := range jobs {
				switch st[i] {
				case wirefeed.ClaimGranted:
					r.logger.Info("taking over a feed whose holder's lease expired", slog.String("feed", j.feed.Name))
					j.claimed, j.notBefore = true, time.Time{}
					r.lim.mu.Lock()
					q.add(j)
					r.lim.mu.Unlock()
					granted++
				case wirefeed.ClaimDone:
					results[j.idx] = skippedElsewhere(j, wirefeed.ClaimDone)
					r.notify(results[j.idx])
				default:
					sh.mu.Lock()
					sh.watched = append(sh.watched, j)
					sh.mu.Unlock()
				}
			}
		}
		if granted > 0 {
			runWorkers()
		}
	}
}

// EarliestAttempt is the earliest time a cycle may fetch a feed in state
// st: its NextDue, except that a cache hint is a minimum interval, not a
// deadline, so a tick that comes a little early (the previous fetch waited
// in the queue) still fetches rather than pushing the fetch a whole
// schedule period later.
func EarliestAttempt(st wirefeed.FeedState) time.Time {
	if st.NextDueReason == wirefeed.NextDueCache {
		return st.NextDue.Add(-min(time.Minute, st.NextDue.Sub(st.LastAttempt)/10))
	}
	return st.NextDue
}

// skipReason says why a feed is not fetched now, or "" when it is due.
func (r *Runner) skipReason(st wirefeed.FeedState, host string, now time.Time) string {
	if st.Gone {
		return "feed is gone (HTTP 410); fix its URL in the config or fetch with --force"
	}
	if now.Before(EarliestAttempt(st)) {
		until := st.NextDue.UTC().Format(time.RFC3339)
		switch st.NextDueReason {
		case wirefeed.NextDueRetryAfter:
			return "server asked to wait (Retry-After) until " + until
		case wirefeed.NextDueCache:
			return "server asked not to refetch before " + until + " (Cache-Control, Expires or <ttl>)"
		default:
			s := fmt.Sprintf("backing off after %d consecutive failures until %s", st.ConsecutiveErrors, until)
			if st.LastError != "" {
				s += "; last error: " + r.redact().Text(st.LastError)
			}
			return s
		}
	}
	if p, ok := r.lim.paused(host, now); ok {
		return pausedReason(p)
	}
	return ""
}

func pausedReason(p wirefeed.HostPause) string {
	return fmt.Sprintf("host %s asked to wait until %s (%s)", p.Host, p.Until.UTC().Format(time.RFC3339), p.Reason)
}

// fetched is a feed whose exchange is over, on its way to the store.
type fetched struct {
	job     *job
	outcome *wirefeed.Outcome
	took    time.Duration // the HTTP exchange
	bytes   int           // the body received
}

// notify hands a result to the Observe hook.
func (r *Runner) notify(res Result) {
	if r.observe != nil {
		r.observe(res)
	}
}

// work takes jobs from q until it is empty or startCtx is done: it holds a
// fetch slot only for the HTTP exchange (bounded by ctx), then parses and
// hands the outcome to the recorder.
func (r *Runner) work(ctx, startCtx context.Context, q *queue, force bool, sh *sharing, results []Result, recorded chan<- *fetched) {
	for {
		j, paused, ok := r.lim.acquire(startCtx, q, force, r.now)
		if !ok {
			return
		}
		if paused != nil {
			results[j.idx] = Result{Feed: j.feed.Name, URL: j.url, Status: Skipped, NextDue: paused.Until, Reason: pausedReason(*paused), Before: j.st, Gone: j.st.Gone}
			r.notify(results[j.idx])
			continue
		}
		if sh != nil && !j.claimed {
			// Shared work: the feed is this instance's to fetch only if
			// the store grants it. A feed held elsewhere is watched
			// (takeOver) and has no result yet.
			st, err := sh.claim(ctx, j)
			if err != nil || st != wirefeed.ClaimGranted {
				r.lim.release(j.host, nil)
				switch {
				case err != nil:
					r.logger.Warn("feed not fetched: the store could not be asked for it", slog.String("feed", j.feed.Name), slog.Any("err", err))
					results[j.idx] = Result{Feed: j.feed.Name, URL: j.url, Status: Failed, Err: err, NextDue: j.st.NextDue, Before: j.st, Interrupted: true}
					r.notify(results[j.idx])
				case st == wirefeed.ClaimDone:
					results[j.idx] = skippedElsewhere(j, st)
					r.notify(results[j.idx])
				}
				continue
			}
		}
		start := r.now()
		o, resp, err := r.exchange(ctx, j)
		took := r.now().Sub(start)
		r.lim.release(j.host, r.hostPause(j, o, err))
		r.finish(j, o, resp, err)
		f := &fetched{job: j, outcome: o, took: took}
		if resp != nil {
			f.bytes = len(resp.Body)
		}
		recorded <- f
	}
}

// fetchURL is the URL a feed is fetched from: the stored one when the feed
// moved permanently and the config still names the old address.
func fetchURL(f wirefeed.Feed, st wirefeed.FeedState) string {
	if st.URL != "" && st.ConfigURL == f.URL {
		return st.URL
	}
	return f.URL
}

// exchange performs the conditional GET of one feed.
func (r *Runner) exchange(ctx context.Context, j *job) (*wirefeed.Outcome, *Response, error) {
	o := &wirefeed.Outcome{Feed: j.feed, Attempted: r.now().UTC()}
	st := j.st
	if st.ConfigURL != j.feed.URL {
		st.ETag, st.LastModified = "", "" // validators belong to the old URL
	}
	if st.SuspectNotModified >= SuspectNotModifiedLimit {
		// The server keeps answering 304 to a validator that cannot be
		// right: ask without validators once, and start afresh.
		r.logger.Warn("feed answered 304 repeatedly to a Last-Modified later than the server's own date; fetching it unconditionally",
			slog.String("feed", j.feed.Name), slog.String("last_modified", st.LastModified), slog.Int("answers", st.SuspectNotModified))
		st.ETag, st.LastModified = "", ""
	}
	resp, err := r.client.Get(ctx, Request{URL: j.url, ETag: st.ETag, LastModified: st.LastModified})
	if resp != nil {
		o.Status = resp.StatusCode
		o.MovedTo = resp.MovedTo
	}
	return o, resp, err
}

// hostPause decides whether an answer pauses the feed's whole host: 429
// always (for Retry-After, or the feed's backoff when the server gave
// none), 503 when it came with Retry-After.
func (r *Runner) hostPause(j *job, o *wirefeed.Outcome, err error) *wirefeed.HostPause {
	var se *StatusError
	if !errors.As(err, &se) || j.host == "" {
		return nil
	}
	wait := min(se.RetryAfter, r.maxRetryAfter)
	switch {
	case se.StatusCode == http.StatusTooManyRequests:
		if wait <= 0 {
			wait = r.backoff.Base(j.st.ConsecutiveErrors + 1)
		}
	case se.StatusCode == http.StatusServiceUnavailable && wait > 0:
	default:
		return nil
	}
	p := &wirefeed.HostPause{
		Host:   j.host,
		Until:  o.Attempted.Add(wait),
		Reason: fmt.Sprintf("HTTP %d %s for feed %q", se.StatusCode, http.StatusText(se.StatusCode), j.feed.Name),
	}
	o.PauseHost, o.PauseUntil, o.PauseReason = p.Host, p.Until, p.Reason
	return p
}

// finish turns an exchange into a complete Outcome: the document parsed
// (unless the server said 304 or sent the same bytes again), the next
// attempt scheduled (backoff, Retry-After, cache hints), the error named
// after the feed.
func (r *Runner) finish(j *job, o *wirefeed.Outcome, resp *Response, err error) {
	st := j.st
	if st.ConfigURL != j.feed.URL {
		st.BodyHash, st.MinInterval = "", 0
	}
	var cacheFor, ttl time.Duration
	switch {
	case err != nil:
		o.Err = err
	case resp.NotModified:
		o.NotModified = true
		o.ETag, o.LastMod = st.ETag, st.LastModified
		if resp.ETag != "" {
			o.ETag = resp.ETag
		}
		if lm := r.keepValidator(j, o, resp, resp.LastModified); lm != "" {
			o.LastMod = lm
		}
		// The validator sent is kept through one doubtful answer (the
		// server's clock may be the wrong one today), not through many.
		if suspectValidator(st.LastModified, resp.Date, o.Attempted) {
			o.SuspectNotModified = st.SuspectNotModified + 1
		}
		o.BodyHash = st.BodyHash
		cacheFor, ttl = resp.CacheFor, st.MinInterval
	default:
		o.ETag, o.LastMod = resp.ETag, r.keepValidator(j, o, resp, resp.LastModified)
		cacheFor = resp.CacheFor
		sum := sha256.Sum256(resp.Body)
		o.BodyHash = hex.EncodeToString(sum[:16])
		if o.BodyHash == st.BodyHash {
			// The same bytes again, from a server without validators or
			// one that ignores them: nothing new to parse.
			o.NotModified = true
			ttl = st.MinInterval
			break
		}
		doc, perr := Parse(resp.Body, resp.ContentType, resp.FinalURL, o.Attempted, r.limits)
		if perr != nil {
			o.Err = perr
			o.BodyHash = "" // parse again next time, the parser may have been fixed
			break
		}
		o.Meta, o.Items, ttl = doc.Meta, doc.Items, doc.TTL
		o.Warnings = append(o.Warnings, doc.Warnings...)
	}
	if resp != nil && resp.Downgraded {
		o.Warnings = append(o.Warnings, fmt.Sprintf("%s redirected from https to plain http (%s): followed for this fetch only, the stored URL stays https",
			warnRedirectDowngrade, resp.FinalURL))
	}
	for i, w := range o.Warnings {
		o.Warnings[i] = r.redact().Text(w) // stored, shown and logged like errors
	}

	if o.Err == nil {
		o.MinInterval = ttl
		if hint := min(max(cacheFor, ttl), r.maxCacheInterval); hint > 0 {
			o.NextDue, o.NextDueReason = o.Attempted.Add(hint), wirefeed.NextDueCache
		}
		return
	}
	var se *StatusError
	isStatus := errors.As(o.Err, &se)
	if isStatus && se.StatusCode == http.StatusGone {
		o.Gone = true
	}
	delay := r.backoff.Delay(st.ConsecutiveErrors+1, r.rand())
	o.NextDueReason = wirefeed.NextDueBackoff
	if isStatus && se.RetryAfter > 0 {
		if wait := min(se.RetryAfter, r.maxRetryAfter); wait >= delay {
			delay, o.NextDueReason = wait, wirefeed.NextDueRetryAfter
		}
	}
	if o.PauseHost != "" && o.PauseUntil.After(o.Attempted.Add(delay)) {
		delay, o.NextDueReason = o.PauseUntil.Sub(o.Attempted), wirefeed.NextDueRetryAfter
	}
	if isStatus && se.RetryAfter > 0 {
		se.Pause = delay // the message tells the pause applied, not the one asked
	}
	o.NextDue = o.Attempted.Add(delay)
	// Errors from net/http quote the URL, credentials and all: the error
	// is stored as the feed's last error, logged and printed.
	o.Err = r.redact().Error(fmt.Errorf("feed %q: %w", j.feed.Name, o.Err))
}

// BatchRecorder is a Store that records several outcomes in one
// transaction (store.Store does); the Runner then records what waits for
// the writer together. Results and errors come one per outcome, in order,
// as Record would return them.
type BatchRecorder interface {
	RecordBatch(ctx context.Context, outs []*wirefeed.Outcome) ([]wirefeed.RecordResult, []error)
}

// maxRecordBatch bounds the outcomes recorded together.
const maxRecordBatch = 16

// storedOutcome is what storing one outcome gave; done is false when it
// was not stored because the cycle's context had ended.
type storedOutcome struct {
	res  wirefeed.RecordResult
	err  error
	done bool
}

// storeBatch stores the outcomes of batch, together when the store can.
func (r *Runner) storeBatch(ctx context.Context, batch []*fetched) []storedOutcome {
	out := make([]storedOutcome, len(batch))
	if ctx.Err() != nil {
		return out
	}
	if br, ok := r.store.(BatchRecorder); ok && len(batch) > 1 {
		outs := make([]*wirefeed.Outcome, len(batch))
		for i, f := range batch {
			outs[i] = f.outcome
		}
		res, errs := br.RecordBatch(ctx, outs)
		for i := range out {
			out[i] = storedOutcome{res: res[i], err: errs[i], done: true}
		}
		return out
	}
	for i, f := range batch {
		if ctx.Err() != nil {
			break
		}
		res, err := r.store.Record(ctx, f.outcome)
		out[i] = storedOutcome{res: res, err: err, done: true}
	}
	return out
}

// record takes in one outcome storeBatch stored and logs it: one line per
// fetch, the error once, without the feed and URL it names already. When the cycle's
// context has ended (shutdown) nothing is stored, the feed is reported
// interrupted, and nothing is logged above debug: the next run fetches it
// again.
func (r *Runner) record(ctx context.Context, f *fetched, stored storedOutcome, nextAttempt func(string, time.Time) time.Time) Result {
	j, o := f.job, f.outcome
	res := Result{Feed: j.feed.Name, URL: j.url, HTTP: o.Status, Items: len(o.Items), NextDue: o.NextDue,
		Bytes: f.bytes, Took: f.took, Before: j.st}
	if ctx.Err() != nil && !stored.done {
		return r.interrupted(res, ctx.Err())
	}
	rec, recErr := stored.res, stored.err
	if recErr != nil && ctx.Err() != nil {
		return r.interrupted(res, recErr)
	}
	if recErr != nil {
		// The transaction rolled back whole, feed state included. Record
		// the failure on its own, so the feed shows as failing and backs
		// off instead of looking healthy and being refetched every cycle;
		// its validators are kept, so the items come again next time.
		failed := &wirefeed.Outcome{Feed: o.Feed, Attempted: o.Attempted, Status: o.Status,
			Err: r.redact().Error(fmt.Errorf("feed %q: storing the fetched items: %w", j.feed.Name, recErr)), NextDueReason: wirefeed.NextDueBackoff}
		if o.Err != nil {
			failed.Err, failed.NextDue, failed.NextDueReason, failed.Gone = o.Err, o.NextDue, o.NextDueReason, o.Gone
		} else {
			failed.NextDue = o.Attempted.Add(r.backoff.Delay(j.st.ConsecutiveErrors+1, r.rand()))
		}
		if _, err := r.store.Record(ctx, failed); err != nil {
			if ctx.Err() != nil {
				return r.interrupted(res, err)
			}
			r.logger.Error("recording the failure", slog.String("feed", j.feed.Name), slog.Any("err", err))
		}
		o.Err, o.NextDue, o.NextDueReason, o.Items = failed.Err, failed.NextDue, failed.NextDueReason, nil
	}
	res.New, res.Err, res.NextDue, res.Gone = rec.NewItems, o.Err, o.NextDue, o.Gone
	res.Merged, res.StoriesMerged = rec.Merged, rec.StoriesMerged
	// As stored, and as the status page shows it.
	next := EarliestAttempt(wirefeed.FeedState{NextDue: o.NextDue.UTC().Truncate(time.Second),
		LastAttempt: o.Attempted.UTC().Truncate(time.Second), NextDueReason: o.NextDueReason})
	if nextAttempt != nil {
		next = nextAttempt(j.feed.Name, next)
	}
	switch {
	case o.Err != nil:
		res.Status = Failed
		if o.Gone {
			r.logger.Error("feed is gone (HTTP 410); not fetched again until its URL changes or fetch --force",
				slog.String("feed", j.feed.Name), slog.String("url", r.redact().URL(j.url)))
		} else {
			r.logger.Warn("feed failed", slog.String("feed", j.feed.Name), slog.String("url", r.redact().URL(j.url)),
				slog.Int("consecutive", j.st.ConsecutiveErrors+1), slog.String("next_attempt", next.UTC().Format(time.RFC3339)),
				slog.String("err", failureCause(o.Err, j.feed.Name, j.url)))
		}
	case o.NotModified:
		res.Status = NotModified
		r.logger.Debug("feed not modified", slog.String("feed", j.feed.Name))
	default:
		res.Status = Fetched
		r.logger.Info("feed fetched", slog.String("feed", j.feed.Name), slog.Int("items", len(o.Items)),
			slog.Int("new", rec.NewItems), slog.Int("new_stories", rec.NewStories))
	}
	if o.PauseHost != "" {
		r.logger.Warn("host asked to wait; pausing every feed on it", slog.String("host", o.PauseHost),
			slog.Time("until", o.PauseUntil.UTC().Truncate(time.Second)), slog.String("feed", j.feed.Name))
	}
	if o.Err == nil {
		for _, w := range o.Warnings {
			kind, _, _ := strings.Cut(w, " ")
			switch kind {
			case warnFutureValidator:
				continue // logged when it was found
			case warnRedirectDowngrade:
				// A downgrade happens on every fetch it is followed in,
				// and each is worth a line.
				r.logger.Warn("feed redirected from https to plain http; followed for this fetch only", slog.String("feed", j.feed.Name),
					slog.String("url", r.redact().URL(j.url)), slog.String("warning", w))
				continue
			}
			r.warnOnce(j.feed.Name, kind, "feed read with a warning", slog.String("feed", j.feed.Name),
				slog.String("url", r.redact().URL(j.url)), slog.String("warning", w))
		}
		if rec.Reissued > 0 {
			r.warnOnce(j.feed.Name, "reissued", "feed gave new GUIDs to items it had already (same link or body); updating those items instead of adding them again",
				slog.String("feed", j.feed.Name), slog.Int("items", rec.Reissued))
		}
	}
	if o.MovedTo != "" && o.Err == nil {
		r.logger.Info("feed moved permanently; following", slog.String("feed", j.feed.Name),
			slog.String("from", r.redact().URL(j.url)), slog.String("to", r.redact().URL(o.MovedTo)))
	}
	return res
}

// interrupted reports a fetch whose outcome was not stored because the
// cycle's context ended.
func (r *Runner) interrupted(res Result, err error) Result {
	r.logger.Debug("fetch interrupted; nothing recorded", slog.String("feed", res.Feed), slog.Any("err", err))
	res.Status, res.Interrupted = Failed, true
	res.Err = fmt.Errorf("feed %q: interrupted, nothing recorded: %w", res.Feed, err)
	res.NextDue, res.New, res.Items = res.Before.NextDue, 0, 0
	return res
}

// failureCause is a feed's error without the feed's name and URL, which
// the log line carries as attributes of their own.
func failureCause(err error, feed, url string) string {
	msg := strings.TrimPrefix(err.Error(), fmt.Sprintf("feed %q: ", feed))
	msg = strings.TrimPrefix(msg, "fetcher: "+url+": ")
	// The URL in the message may be redacted (credentials, secret
	// parameters): any URL there is the feed's. A URL holds no ": ".
	if rest, ok := strings.CutPrefix(msg, "fetcher: "); ok && (strings.HasPrefix(rest, "http://") || strings.HasPrefix(rest, "https://")) {
		if _, cause, ok := strings.Cut(rest, ": "); ok {
			return cause
		}
	}
	return strings.TrimPrefix(msg, "fetcher: ")
}
