package feedout

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wirefeed/wirefeed"
)

// Bounds on the q parameter.
const (
	maxQueryRunes = 200
	maxQueryTerms = 10
)

// feedRequest is a feed request's query parameters, checked.
type feedRequest struct {
	query  wirefeed.StoryQuery // Keep is the output's and is set later
	params url.Values          // limit, since, q and source as given, for next links
	key    string              // the resolved values, for the rendering cache
	// cacheable is false for a request worth answering but not keeping:
	// a since= instant (one reader's own), a before= cursor in another
	// form than the one next links carry. before is the cursor in that
	// form, kept only when a cached page links to it.
	cacheable bool
	before    string
	// base is the server's URL as the request reached it (Meta.Home), set
	// for RSS when server.base_url is not.
	base string
}

// parseRequest checks the query parameters of a feed request. Its errors
// are meant for the client: each names the parameter, the bad value and
// what would be accepted. Unknown parameters are ignored (readers add
// cache busters).
func (h *Handler) parseRequest(v url.Values, out *output) (feedRequest, error) {
	req := feedRequest{params: url.Values{}, cacheable: true}
	q := &req.query
	// An output's MaxItems is its default and its ceiling; without one,
	// DefaultLimit is the default and MaxLimit the ceiling.
	q.Limit = h.opts.DefaultLimit
	ceiling := MaxLimit
	if out.MaxItems > 0 {
		q.Limit, ceiling = out.MaxItems, out.MaxItems
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return req, fmt.Errorf("bad limit %q: want a whole number from 1 to %d", s, MaxLimit)
		}
		q.Limit = min(n, ceiling)
		req.params.Set("limit", s)
	}
	if s := v.Get("since"); s != "" {
		t, err := parseSince(s, nowFunc())
		if err != nil {
			return req, err
		}
		q.Since = t
		req.params.Set("since", s)
		if _, err := time.Parse(time.RFC3339, s); err == nil {
			req.cacheable = false
		}
	}
	if s := v.Get("q"); strings.TrimSpace(s) != "" {
		if utf8.RuneCountInString(s) > maxQueryRunes {
			return req, fmt.Errorf("bad q: longer than %d characters", maxQueryRunes)
		}
		terms := splitTerms(s)
		if len(terms) > maxQueryTerms {
			return req, fmt.Errorf("bad q %q: more than %d terms", s, maxQueryTerms)
		}
		q.Terms = terms
		req.params.Set("q", s)
	}
	for _, s := range v["source"] {
		name := s
		if len(h.sources) > 0 {
			var ok bool
			if name, ok = h.sources[strings.ToLower(strings.TrimSpace(s))]; !ok {
				return req, fmt.Errorf("bad source %q: no configured feed has that name (see /sources.opml)", s)
			}
		}
		q.Sources = append(q.Sources, name)
		req.params.Add("source", s)
	}
	sort.Strings(q.Sources)
	if s := v.Get("before"); s != "" {
		c, err := decodeCursor(s)
		if err != nil {
			return req, err
		}
		q.Before = &c
		if req.before = encodeCursor(c); c.ID == "" || req.before != s {
			req.cacheable = false // an RFC 3339 time, or a cursor in a form no next link carries
		}
	}
	key := url.Values{"limit": {strconv.Itoa(q.Limit)}, "terms": q.Terms, "source": q.Sources}
	if !q.Since.IsZero() {
		key.Set("since", strconv.FormatInt(q.Since.Unix(), 10))
	}
	if q.Before != nil {
		key.Set("before", encodeCursor(*q.Before))
	}
	req.key = key.Encode()
	return req, nil
}

// parseSince reads an RFC 3339 time, a date (midnight UTC) or a duration
// back from now. A duration is rounded down to the minute so that repeated
// requests share a cached rendering.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 && d <= 100*365*24*time.Hour {
		return now.Add(-d).UTC().Truncate(time.Minute), nil
	}
	return time.Time{}, fmt.Errorf("bad since %q: want an RFC 3339 time (2023-06-14T10:00:00Z), a date (2023-06-14) or a duration back from now (36h)", s)
}

// splitTerms splits a search on white space; "double quotes" keep a phrase
// together.
func splitTerms(s string) []string {
	var terms []string
	for i, part := range strings.Split(s, `"`) {
		if i%2 == 1 {
			if p := strings.Join(strings.Fields(part), " "); p != "" {
				terms = append(terms, p)
			}
			continue
		}
		terms = append(terms, strings.Fields(part)...)
	}
	return terms
}

// A cursor is written "<unix seconds>.<story id>": the position of the last
// story of a page. before= also takes an RFC 3339 time: every story first
// seen before it.
func encodeCursor(c wirefeed.StoryCursor) string {
	return strconv.FormatInt(c.FirstSeen.Unix(), 10) + "." + c.ID
}

var errBadCursor = errors.New("want the before= value of a next link, or an RFC 3339 time")

func decodeCursor(s string) (wirefeed.StoryCursor, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return wirefeed.StoryCursor{FirstSeen: t.UTC()}, nil
	}
	secs, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(secs, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 200 {
		return wirefeed.StoryCursor{}, fmt.Errorf("bad before %q: %w", s, errBadCursor)
	}
	return wirefeed.StoryCursor{FirstSeen: time.Unix(n, 0).UTC(), ID: id}, nil
}
