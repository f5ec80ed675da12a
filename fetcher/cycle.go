package fetcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/wirefeed/wirefeed"
)

// Store is what a Runner needs from storage: the remembered state of every
// feed, and a place to record each outcome (items and feed state in one
// transaction).
type Store interface {
	FeedStates(ctx context.Context) (map[string]wirefeed.FeedState, error)
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
}

// ResultStatus classifies a feed's result in a cycle.
type ResultStatus string

// The possible ResultStatus values.
const (
	Fetched     ResultStatus = "fetched"
	NotModified ResultStatus = "not-modified"
	Skipped     ResultStatus = "skipped" // backing off or asked to wait; not attempted
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

// Backoff is the retry policy for failing feeds.
type Backoff struct {
	Min time.Duration // delay after the first failure
	Max time.Duration // cap
}

// Delay returns the wait after the n-th consecutive failure (n >= 1).
func (b Backoff) Delay(n int) time.Duration {
	if b.Min <= 0 {
		b.Min = time.Minute
	}
	if b.Max <= 0 {
		b.Max = 6 * time.Hour
	}
	d := b.Min
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Runner fetches a set of feeds once, with bounded concurrency, and records
// every outcome in the Store. It is safe for concurrent use; two cycles that
// overlap each fetch their own feeds.
type Runner struct {
	client      *Client
	store       Store
	limits      Limits
	concurrency int
	backoff     Backoff
	logger      *slog.Logger
	now         func() time.Time
}

// RunnerOptions configures a Runner.
type RunnerOptions struct {
	Concurrency int // feeds fetched at once; default 8
	Limits      Limits
	Backoff     Backoff
	Logger      *slog.Logger     // default slog.Default()
	Now         func() time.Time // default time.Now; tests override it
}

// NewRunner returns a Runner that fetches with client and records in store.
func NewRunner(client *Client, store Store, opts RunnerOptions) *Runner {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Runner{
		client:      client,
		store:       store,
		limits:      opts.Limits,
		concurrency: opts.Concurrency,
		backoff:     opts.Backoff,
		logger:      opts.Logger,
		now:         opts.Now,
	}
}

// Run fetches every feed in feeds once. Feeds that are backing off, gone,
// or asked to wait are skipped unless force is set. It returns when every
// feed is done or ctx is cancelled; an error is returned only when the store
// cannot be read at all.
func (r *Runner) Run(ctx context.Context, feeds []wirefeed.Feed, force bool) (Report, error) {
	rep := Report{Started: r.now()}
	states, err := r.store.FeedStates(ctx)
	if err != nil {
		return rep, fmt.Errorf("fetch cycle: %w", err)
	}
	results := make([]Result, len(feeds))
	sem := make(chan struct{}, r.concurrency)
	var wg sync.WaitGroup
	for i, f := range feeds {
		st := states[f.Name]
		now := r.now()
		if !force && (st.Gone || now.Before(st.NextDue)) {
			results[i] = Result{Feed: f.Name, URL: fetchURL(f, st), Status: Skipped, NextDue: st.NextDue}
			if st.Gone {
				results[i].Err = errors.New("feed is gone (HTTP 410); remove it from the config or fetch with --force")
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			results[i] = Result{Feed: f.Name, URL: fetchURL(f, st), Status: Failed, Err: ctx.Err()}
			continue
		}
		wg.Add(1)
		go func(i int, f wirefeed.Feed, st wirefeed.FeedState) {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = r.fetchOne(ctx, f, st)
		}(i, f, st)
	}
	wg.Wait()
	rep.Results = results
	rep.Duration = r.now().Sub(rep.Started)
	return rep, nil
}

// fetchURL is the URL a feed is fetched from: the stored one when the feed
// moved permanently and the config still names the old address.
func fetchURL(f wirefeed.Feed, st wirefeed.FeedState) string {
	if st.URL != "" && st.ConfigURL == f.URL {
		return st.URL
	}
	return f.URL
}

func (r *Runner) fetchOne(ctx context.Context, f wirefeed.Feed, st wirefeed.FeedState) Result {
	u := fetchURL(f, st)
	res := Result{Feed: f.Name, URL: u}
	o := &wirefeed.Outcome{Feed: f, Attempted: r.now().UTC()}
	if st.ConfigURL != f.URL {
		st.ETag, st.LastModified, st.BodyHash = "", "", "" // validators belong to the old URL
	}

	resp, err := r.client.Get(ctx, Request{URL: u, ETag: st.ETag, LastModified: st.LastModified})
	if resp != nil {
		o.Status = resp.StatusCode
		o.MovedTo = resp.MovedTo
		res.HTTP = resp.StatusCode
	}
	switch {
	case err != nil:
		o.Err = err
	case resp.NotModified:
		o.NotModified = true
		o.ETag, o.LastMod = st.ETag, st.LastModified
		if resp.ETag != "" {
			o.ETag = resp.ETag
		}
		if resp.LastModified != "" {
			o.LastMod = resp.LastModified
		}
		o.BodyHash = st.BodyHash
	default:
		o.ETag, o.LastMod = resp.ETag, resp.LastModified
		sum := sha256.Sum256(resp.Body)
		o.BodyHash = hex.EncodeToString(sum[:16])
		if o.BodyHash == st.BodyHash && o.ETag == "" && o.LastMod == "" {
			// Same bytes from a server without validators: nothing to parse.
			o.NotModified = true
			break
		}
		doc, perr := Parse(resp.Body, resp.ContentType, u, o.Attempted, r.limits)
		if perr != nil {
			o.Err = perr
			o.BodyHash = "" // parse again next time, the parser may have been fixed
			break
		}
		o.Meta, o.Items = doc.Meta, doc.Items
	}

	if o.Err != nil {
		var se *StatusError
		if errors.As(o.Err, &se) && se.StatusCode == http.StatusGone {
			o.Gone = true
		}
		delay := r.backoff.Delay(st.ConsecutiveErrors + 1)
		if errors.As(o.Err, &se) && se.RetryAfter > delay {
			delay = se.RetryAfter
		}
		o.NextDue = o.Attempted.Add(delay)
		o.Err = fmt.Errorf("feed %q: %w", f.Name, o.Err)
	}

	rec, recErr := r.store.Record(ctx, o)
	if recErr != nil {
		r.logger.Error("recording fetch outcome", slog.String("feed", f.Name), slog.Any("err", recErr))
		if o.Err == nil {
			o.Err = fmt.Errorf("feed %q: %w", f.Name, recErr)
		}
	}
	res.Items, res.New, res.NextDue, res.Err = len(o.Items), rec.NewItems, o.NextDue, o.Err
	switch {
	case o.Err != nil:
		res.Status = Failed
		r.logger.Warn("feed failed", slog.String("feed", f.Name), slog.String("url", u), slog.Int("consecutive", st.ConsecutiveErrors+1), slog.Time("next_attempt", o.NextDue), slog.Any("err", o.Err))
	case o.NotModified:
		res.Status = NotModified
		r.logger.Debug("feed not modified", slog.String("feed", f.Name))
	default:
		res.Status = Fetched
		r.logger.Info("feed fetched", slog.String("feed", f.Name), slog.Int("items", len(o.Items)), slog.Int("new", rec.NewItems), slog.Int("new_stories", rec.NewStories))
	}
	if o.MovedTo != "" {
		r.logger.Info("feed moved permanently; following", slog.String("feed", f.Name), slog.String("from", u), slog.String("to", o.MovedTo))
	}
	return res
}
