package fetcher

import (
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrBodyTooLarge is returned (wrapped) when a response body, after
// decompression, exceeds the client's cap.
var ErrBodyTooLarge = errors.New("fetcher: response body too large")

// Request is one conditional GET of a feed.
type Request struct {
	URL          string
	ETag         string // sent as If-None-Match when set
	LastModified string // sent as If-Modified-Since when set
}

// Response is what came back. Body is decompressed and capped; it is nil
// when NotModified is set.
type Response struct {
	StatusCode   int
	NotModified  bool
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
	// FinalURL is the URL the body was served from after redirects.
	FinalURL string
	// MovedTo is set when every redirect on the way was permanent (301/308):
	// the feed has moved and its stored URL should follow. It is never set
	// for a move from https to plain http (see Downgraded).
	MovedTo string
	// Downgraded is set when an https URL was redirected to plain http. The
	// redirect was followed for this fetch; the stored URL stays https.
	Downgraded bool
	// Date is the server's Date header; zero when it sent none or an
	// unreadable one.
	Date time.Time
	// CacheFor is how long the server said the document stays fresh
	// (Cache-Control max-age, else Expires minus Date); zero when it said
	// nothing or forbade caching. It is read on 304 answers too.
	CacheFor time.Duration
	Header   http.Header
}

// StatusError is returned for a response whose status is neither 2xx nor
// 304. RetryAfter is the server's Retry-After, when it gave a usable one
// (at most maxRetryAfterAsked).
type StatusError struct {
	URL        string
	StatusCode int
	RetryAfter time.Duration
	// Pause, when set, is how long the Runner actually waits before the
	// feed's next attempt: the Retry-After capped by its limit, or the
	// feed's backoff when that is longer. The message tells this one.
	Pause time.Duration
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("fetcher: %s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	switch {
	case e.RetryAfter <= 0:
	case e.Pause <= 0 || e.Pause == e.RetryAfter:
		s += fmt.Sprintf(" (retry after %s)", shortDuration(e.RetryAfter))
	default:
		s += fmt.Sprintf(" (retry after %s; the server asked for %s)", shortDuration(e.Pause), shortDuration(e.RetryAfter))
	}
	return s
}

// shortDuration writes d to the second without zero units: "24h", "1h30m",
// "90s" rather than "24h0m0s".
func shortDuration(d time.Duration) string {
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// maxRetryAfterAsked bounds a Retry-After as read, before the Runner's own
// cap: a date in the year 9999 must not overflow into "2562047h47m".
const maxRetryAfterAsked = 30 * 24 * time.Hour

// Get performs a conditional GET. Non-2xx answers other than 304 come back
// as a *StatusError. The body is read completely, decompressed and capped
// before Get returns, so the connection is always released.
func (c *Client) Get(ctx context.Context, r Request) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("fetcher: %s: %w", r.URL, err)
	}
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5")
	// Asking for gzip ourselves turns off the transport's transparent
	// decompression, which is what we want: the cap must apply to the
	// decompressed stream, and we decide how to read it.
	req.Header.Set("Accept-Encoding", "gzip")
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}

	permanent := true
	client := *c.http
	inner := c.http.CheckRedirect
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if next.Response != nil && next.Response.StatusCode != http.StatusMovedPermanently && next.Response.StatusCode != http.StatusPermanentRedirect {
			permanent = false
		}
		return inner(next, via)
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetcher: %s: %w", r.URL, unwrapURLError(err))
	}
	defer resp.Body.Close()

	out := &Response{
		StatusCode:   resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FinalURL:     resp.Request.URL.String(),
		CacheFor:     cacheLifetime(resp.Header, time.Now()),
		Header:       resp.Header,
	}
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		out.Date = date
	}
	if from, err := url.Parse(r.URL); err == nil && strings.EqualFold(from.Scheme, "https") && resp.Request.URL.Scheme == "http" {
		out.Downgraded = true
	}
	if permanent && out.FinalURL != r.URL && !out.Downgraded {
		out.MovedTo = out.FinalURL
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		// An HTTP-date Retry-After is read against the server's own Date,
		// so a clock difference between us and the server does not matter.
		now := time.Now()
		if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			now = date
		}
		return out, &StatusError{URL: r.URL, StatusCode: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
	}

	body, err := c.readBody(resp)
	if err != nil {
		return out, fmt.Errorf("fetcher: %s: %w", r.URL, err)
	}
	out.Body = body
	return out, nil
}

// readBody reads the body, decompressing gzip (and deflate, which some
// servers send unasked), and stops at the cap, which applies to the
// decompressed bytes.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	var r io.Reader = resp.Body
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	case "deflate":
		zr, err := zlib.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("deflate: %w", err)
		}
		defer zr.Close()
		r = zr
	default:
		return nil, fmt.Errorf("unsupported Content-Encoding %q", enc)
	}
	// One byte more than the cap tells a body over it; the config refuses
	// absurd caps, and this keeps 2^63-1 from overflowing all the same.
	body, err := io.ReadAll(io.LimitReader(r, min(c.maxBodyBytes, math.MaxInt64-1)+1))
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if int64(len(body)) > c.maxBodyBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, c.maxBodyBytes)
	}
	return body, nil
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP-date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfterAsked/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxRetryAfterAsked).Round(time.Second)
		}
	}
	return 0
}

// cacheLifetime reads how long a response stays fresh: Cache-Control
// max-age, else Expires relative to Date (or now). no-cache and no-store
// mean no lifetime at all.
func cacheLifetime(h http.Header, now time.Time) time.Duration {
	if cc := h.Values("Cache-Control"); len(cc) > 0 {
		maxAge := int64(-1)
		for _, directive := range strings.Split(strings.Join(cc, ","), ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-cache", "no-store":
				return 0
			case "max-age":
				secs, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(value), `"`), 10, 64)
				if err != nil || secs < 0 {
					secs = 0
				}
				maxAge = secs
			}
		}
		if maxAge >= 0 {
			return time.Duration(min(maxAge, int64(365*24*3600))) * time.Second
		}
	}
	exp := h.Get("Expires")
	if exp == "" {
		return 0
	}
	t, err := http.ParseTime(exp)
	if err != nil {
		return 0 // "0", "-1" and garbage mean already expired
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	if d := t.Sub(now); d > 0 {
		return d
	}
	return 0
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the
// method and URL that our own prefix already names.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
