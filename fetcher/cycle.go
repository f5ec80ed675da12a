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
	"time"

	"github.com/wirefeed/wirefeed"
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
	now              func() time.Time
	rand             func() float64
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
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // default time.Now; tests override it
	// Rand returns numbers in [0, 1) for backoff jitter; default
	// math/rand/v2's Float64.
	Rand func() float64
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
	return &Runner{
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
	}
}

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
				results[i] = Result{Feed: f.Name, URL: u, Status: Skipped, NextDue: st.NextDue, Reason: why}
				continue
			}
		}
		q.add(&job{idx: i, feed: f, st: st, url: u, host: host, notBefore: rep.Started.Add(spreadOffset(f.Name, opts.Spread))})
	}

	workers := min(r.concurrency, q.n)
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
			results[f.job.idx] = r.record(ctx, f)
		}
	}()
	for range workers {
		fetchers.Add(1)
		go func() {
			defer fetchers.Done()
			r.work(ctx, startCtx, q, opts.Force, results, recorded)
		}()
	}
	fetchers.Wait()
	close(recorded)
	recorder.Wait()

	r.lim.mu.Lock()
	left := q.drain()
	r.lim.mu.Unlock()
	for _, j := range left {
		if ctx.Err() == nil {
			results[j.idx] = Result{Feed: j.feed.Name, URL: j.url, Status: Skipped, NextDue: j.st.NextDue, Reason: "not started: shutting down"}
			continue
		}
		results[j.idx] = Result{Feed: j.feed.Name, URL: j.url, Status: Failed, Err: fmt.Errorf("feed %q: not fetched: %w", j.feed.Name, ctx.Err())}
	}
	rep.Results = results
	rep.Duration = r.now().Sub(rep.Started)
	return rep, nil
}

// skipReason says why a feed is not fetched now, or "" when it is due.
func (r *Runner) skipReason(st wirefeed.FeedState, host string, now time.Time) string {
	if st.Gone {
		return "feed is gone (HTTP 410); fix its URL in the config or fetch with --force"
	}
	due := st.NextDue
	if st.NextDueReason == wirefeed.NextDueCache {
		// A cache hint is a minimum interval, not a deadline: a tick that
		// comes a little early (the previous fetch waited in the queue)
		// should not push the fetch a whole schedule period later.
		due = due.Add(-min(time.Minute, st.NextDue.Sub(st.LastAttempt)/10))
	}
	if now.Before(due) {
		until := st.NextDue.UTC().Format(time.RFC3339)
		switch st.NextDueReason {
		case wirefeed.NextDueRetryAfter:
			return "server asked to wait (Retry-After) until " + until
		case wirefeed.NextDueCache:
			return "server asked not to refetch before " + until + " (Cache-Control, Expires or <ttl>)"
		default:
			s := fmt.Sprintf("backing off after %d consecutive failures until %s", st.ConsecutiveErrors, until)
			if st.LastError != "" {
				s += "; last error: " + st.LastError
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
}

// work takes jobs from q until it is empty or startCtx is done: it holds a
// fetch slot only for the HTTP exchange (bounded by ctx), then parses and
// hands the outcome to the recorder.
func (r *Runner) work(ctx, startCtx context.Context, q *queue, force bool, results []Result, recorded chan<- *fetched) {
	for {
		j, paused, ok := r.lim.acquire(startCtx, q, force, r.now)
		if !ok {
			return
		}
		if paused != nil {
			results[j.idx] = Result{Feed: j.feed.Name, URL: j.url, Status: Skipped, NextDue: paused.Until, Reason: pausedReason(*paused)}
			continue
		}
		o, resp, err := r.exchange(ctx, j)
		r.lim.release(j.host, r.hostPause(j, o, err))
		r.finish(j, o, resp, err)
		recorded <- &fetched{job: j, outcome: o}
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
	o.NextDue = o.Attempted.Add(delay)
	o.Err = fmt.Errorf("feed %q: %w", j.feed.Name, o.Err)
}

// record stores one outcome and logs it.
func (r *Runner) record(ctx context.Context, f *fetched) Result {
	j, o := f.job, f.outcome
	res := Result{Feed: j.feed.Name, URL: j.url, HTTP: o.Status, Items: len(o.Items), NextDue: o.NextDue}
	rec, recErr := r.store.Record(ctx, o)
	if recErr != nil {
		r.logger.Error("recording fetch outcome", slog.String("feed", j.feed.Name), slog.Any("err", recErr))
		// The transaction rolled back whole, feed state included. Record
		// the failure on its own, so the feed shows as failing and backs
		// off instead of looking healthy and being refetched every cycle;
		// its validators are kept, so the items come again next time.
		failed := &wirefeed.Outcome{Feed: o.Feed, Attempted: o.Attempted, Status: o.Status,
			Err: fmt.Errorf("feed %q: storing the fetched items: %w", j.feed.Name, recErr), NextDueReason: wirefeed.NextDueBackoff}
		if o.Err != nil {
			failed.Err, failed.NextDue, failed.NextDueReason, failed.Gone = o.Err, o.NextDue, o.NextDueReason, o.Gone
		} else {
			failed.NextDue = o.Attempted.Add(r.backoff.Delay(j.st.ConsecutiveErrors+1, r.rand()))
		}
		if _, err := r.store.Record(ctx, failed); err != nil {
			r.logger.Error("recording the failure", slog.String("feed", j.feed.Name), slog.Any("err", err))
		}
		o.Err, o.NextDue, o.Items = failed.Err, failed.NextDue, nil
	}
	res.New, res.Err, res.NextDue = rec.NewItems, o.Err, o.NextDue
	switch {
	case o.Err != nil:
		res.Status = Failed
		if o.Gone {
			r.logger.Error("feed is gone (HTTP 410); not fetched again until its URL changes or fetch --force",
				slog.String("feed", j.feed.Name), slog.String("url", j.url))
		} else {
			r.logger.Warn("feed failed", slog.String("feed", j.feed.Name), slog.String("url", j.url),
				slog.Int("consecutive", j.st.ConsecutiveErrors+1), slog.Time("next_attempt", o.NextDue), slog.Any("err", o.Err))
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
			slog.Time("until", o.PauseUntil), slog.String("feed", j.feed.Name))
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
					slog.String("url", j.url), slog.String("warning", w))
				continue
			}
			r.warnOnce(j.feed.Name, kind, "feed read with a warning", slog.String("feed", j.feed.Name),
				slog.String("url", j.url), slog.String("warning", w))
		}
		if rec.Reissued > 0 {
			r.warnOnce(j.feed.Name, "reissued", "feed gave new GUIDs to items it had already (same link or body); updating those items instead of adding them again",
				slog.String("feed", j.feed.Name), slog.Int("items", rec.Reissued))
		}
	}
	if o.MovedTo != "" && o.Err == nil {
		r.logger.Info("feed moved permanently; following", slog.String("feed", j.feed.Name),
			slog.String("from", j.url), slog.String("to", o.MovedTo))
	}
	return res
}
