package fetcher

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wirefeed/wirefeed"
)

// A Last-Modified in the future (a server whose clock was wrong once) sent
// back as If-Modified-Since makes servers that compare dates answer 304
// for good: the feed silently stops. So a Last-Modified later than the
// server's own Date (or our clock, when it sends no Date) is never kept;
// and a stored one that the server keeps answering 304 to although it is
// later than the answer's Date (stored by an older version, or our clock
// moved) is dropped after SuspectNotModifiedLimit answers: the feed is
// fetched once without validators.

// SuspectNotModifiedLimit is how many consecutive 304 answers to a
// suspicious Last-Modified are taken before the feed is fetched
// unconditionally.
const SuspectNotModifiedLimit = 3

// validatorSkew is how far a Last-Modified may lie after the reference
// date before it is suspicious: clocks and rounding differ by seconds.
const validatorSkew = time.Minute

// suspectValidator reports whether lastModified (as sent) lies after the
// server's Date (or now, when the server sent none).
func suspectValidator(lastModified string, date, now time.Time) bool {
	if strings.TrimSpace(lastModified) == "" {
		return false
	}
	lm, err := http.ParseTime(lastModified)
	if err != nil {
		return false // not a date: servers compare such validators as strings
	}
	ref := date
	if ref.IsZero() {
		ref = now
	}
	return lm.After(ref.Add(validatorSkew))
}

// keepValidator returns the Last-Modified to store for a response: lm, or
// "" when it lies after the server's Date (or our clock), with a warning.
func (r *Runner) keepValidator(j *job, o *wirefeed.Outcome, resp *Response, lm string) string {
	if !suspectValidator(lm, resp.Date, o.Attempted) {
		return lm
	}
	ref := resp.Date
	if ref.IsZero() {
		ref = o.Attempted
	}
	r.warnOnce(j.feed.Name, warnFutureValidator, "server sent a Last-Modified later than its own Date; not keeping it as a validator",
		slog.String("feed", j.feed.Name), slog.String("last_modified", lm), slog.Time("date", ref))
	o.Warnings = append(o.Warnings, fmt.Sprintf("%s Last-Modified %q is later than the server's date %s; not kept as a validator",
		warnFutureValidator, lm, ref.UTC().Format(time.RFC3339)))
	return ""
}

// Kinds of warnings, the first word of each warning line: a kind is logged
// once per feed by a Runner (the feed's state shows every fetch's).
const (
	warnTruncated         = "truncated:"
	warnGUIDCollision     = "guid-collision:"
	warnFutureValidator   = "validator:"
	warnRedirectDowngrade = "redirect:"
)

// warned remembers which warnings a Runner has logged for which feed.
type warned struct {
	mu   sync.Mutex
	seen map[string]bool
}

// warnOnce logs msg at warn level the first time kind comes up for feed.
func (r *Runner) warnOnce(feed, kind, msg string, attrs ...any) {
	r.warned.mu.Lock()
	if r.warned.seen == nil {
		r.warned.seen = map[string]bool{}
	}
	k := feed + "\x00" + kind
	first := !r.warned.seen[k]
	r.warned.seen[k] = true
	r.warned.mu.Unlock()
	if first {
		r.logger.Warn(msg, attrs...)
	}
}
