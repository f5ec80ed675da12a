package feedout

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/wirefeed/wirefeed"
)

// Source is where the handler reads stories from. Generation must grow
// whenever Stories could return something different.
type Source interface {
	Generation(ctx context.Context) (int64, error)
	Stories(ctx context.Context, q wirefeed.StoryQuery) ([]wirefeed.Story, error)
	FeedStates(ctx context.Context) (map[string]wirefeed.FeedState, error)
	Totals(ctx context.Context) (wirefeed.Totals, error)
}

// Limits on query parameters.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// nowFunc is the clock; tests override it.
var nowFunc = time.Now

// HandlerOptions configures a Handler.
type HandlerOptions struct {
	Meta Meta
	// DefaultLimit is the number of entries of the main feed, and of an
	// output without MaxItems, when the request gives no limit.
	DefaultLimit int
	// MaxAge caps Cache-Control's max-age for feed responses.
	MaxAge time.Duration
	// NextChange, when not nil, returns when the data may next change (the
	// next scheduled fetch cycle), or the zero time when that is unknown.
	// Feed responses may then be cached until that moment, within MaxAge.
	NextChange func() time.Time
	// NextAttempt, when not nil, says when a feed will next be fetched,
	// for the status page; without it the page shows the feed's NextDue.
	NextAttempt func(wirefeed.FeedState) time.Time
	// Feeds are the configured feeds: the status page lists them, the OPML
	// document carries them, ?source= must name one, and output rules read
	// their tags.
	Feeds []wirefeed.Feed
	// Outputs are the named outputs served at /feeds/<name>.<ext>.
	Outputs []Output
	// Exclude applies to every output, the main feed included.
	Exclude Rules
	// GenerationTTL is how long a generation read from the Source is
	// trusted before it is read again. Zero reads it on every request.
	// Invalidate forgets it at once.
	GenerationTTL time.Duration
	// Ready, when not nil, is asked by /readyz after the database was read:
	// the daemon checks there that a write commits and that fetch cycles
	// run. Without it /readyz answers as /healthz does.
	Ready func(context.Context) error
	// CacheBytes bounds the rendering cache (both encodings of every kept
	// response); 0 means DefaultCacheBytes, a negative value keeps
	// nothing.
	CacheBytes int64
	// MaxResponseBytes bounds one feed response: a fuller one is cut to
	// fewer entries, with a next link to the rest (static files just hold
	// fewer). 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int
	Logger           *slog.Logger
}

// Handler serves the merged feed and the named outputs in every format,
// the status page, the sources as OPML and a health endpoint. It is safe
// for concurrent use.
type Handler struct {
	src     Source
	opts    HandlerOptions
	logger  *slog.Logger
	mux     *http.ServeMux
	main    *output
	outputs map[string]*output
	sources map[string]string // lower-cased feed name -> configured name
	opml    *rendering

	gen   atomic.Pointer[genStamp]
	next  atomic.Pointer[nextStamp]
	genMu sync.Mutex // one generation query at a time
	cache *renderCache
	// Concurrent misses for one key wait for the first one's rendering
	// (flights) instead of piling up queries; renderings of different keys
	// run in parallel, at most maxRenders at a time, so a burst of
	// expensive searches cannot starve the main feed for long.
	flightMu sync.Mutex
	flights  map[string]*flight
	renders  chan struct{}
	// searches bounds renderings of uncached searches (?q=) apart from
	// the others: a burst of them can take these slots and no more.
	searches chan struct{}
}

// output is an Output ready to serve.
type output struct {
	Output
	sel *selector
}

// genStamp is a generation and when it was read.
type genStamp struct {
	gen int64
	at  time.Time
}

// flight is a rendering in progress; done is closed when rd or err is set.
type flight struct {
	done chan struct{}
	rd   *rendering
	err  error
}

// maxRenders bounds renderings in progress at once.
const maxRenders = 2

// renderTimeout bounds one rendering. It runs on behalf of every request
// waiting for it, so it does not stop when the first client goes away.
const renderTimeout = time.Minute

// Searches (requests with q=) that are not cached run at most maxSearches
// at a time, each within searchBudget; one that finds every slot taken, or
// runs out of time, is answered 503 with Retry-After. They never take a
// slot of the other renderings, so a burst of them leaves the feeds, whose
// cached responses need no database connection at all, as they were.
const maxSearches = 2

var searchBudget = 3 * time.Second // tests shorten it

// ErrSearchBusy is returned (wrapped) when an uncached search finds every
// search slot taken, or runs out of its time budget.
var ErrSearchBusy = errors.New("feedout: too many searches at once; try again shortly")

// nextStamp is a NextChange answer and when it was asked.
type nextStamp struct {
	next, at time.Time
}

// rendering is one cached response body, valid while the source's
// generation equals gen.
type rendering struct {
	gen          int64
	body         []byte // identity body, as rendered
	identity     variant
	gzip         variant
	etag         string // of the identity body
	modified     time.Time
	lastModified []string // the Last-Modified header, or nil
	next         string   // the cursor of the next page it links to, or ""
}

// variant is one encoding of a rendering with its ready-made headers.
type variant struct {
	body   []byte
	etag   []string
	length []string
}

// NewHandler returns a Handler reading from src.
func NewHandler(src Source, opts HandlerOptions) *Handler {
	if opts.DefaultLimit <= 0 {
		opts.DefaultLimit = DefaultLimit
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Meta.Path == "" {
		opts.Meta.Path = "feed"
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	h := &Handler{src: src, opts: opts, logger: opts.Logger, cache: newRenderCache(opts.CacheBytes),
		outputs: map[string]*output{}, sources: map[string]string{},
		flights: map[string]*flight{}, renders: make(chan struct{}, maxRenders), searches: make(chan struct{}, maxSearches)}
	h.main = &output{Output: Output{Title: opts.Meta.Title, Description: opts.Meta.Description}}
	h.main.sel = newSelector(h.main.Output, opts.Exclude, opts.Feeds)
	for _, o := range opts.Outputs {
		h.outputs[o.Name] = &output{Output: o, sel: newSelector(o, opts.Exclude, opts.Feeds)}
	}
	for _, f := range opts.Feeds {
		h.sources[strings.ToLower(f.Name)] = f.Name
	}
	h.opml = newRendering(0, renderOPML(opts.Meta.Title, opts.Feeds, opts.Meta.Redact), time.Time{})

	mux := http.NewServeMux()
	for _, f := range Formats {
		mux.HandleFunc("GET /"+opts.Meta.Path+"."+string(f), func(w http.ResponseWriter, r *http.Request) {
			h.serveFeed(w, r, h.main, f)
		})
	}
	mux.HandleFunc("GET /feeds/{file}", h.serveOutput)
	mux.HandleFunc("GET /sources.opml", h.serveOPML)
	mux.HandleFunc("GET /healthz", h.health)
	mux.HandleFunc("GET /readyz", h.ready)
	mux.HandleFunc("GET /{$}", h.status)
	h.mux = mux
	return h
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// Invalidate makes the next request read the store's generation again, so
// a change this process just committed is served at once even with a
// GenerationTTL.
func (h *Handler) Invalidate() {
	h.gen.Store(nil)
}

func (h *Handler) serveOutput(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	name, ext, ok := strings.Cut(file, ".")
	out := h.outputs[name]
	if out == nil || !ok {
		names := make([]string, 0, len(h.outputs))
		for n := range h.outputs {
			names = append(names, n)
		}
		sort.Strings(names)
		msg := fmt.Sprintf("no output named %q", name)
		if len(names) > 0 {
			msg += "; outputs: " + strings.Join(names, ", ")
		}
		http.Error(w, msg, http.StatusNotFound)
		return
	}
	f, err := ParseFormat(ext)
	if err != nil || string(f) != ext {
		http.Error(w, fmt.Sprintf("no format %q for output %q: want .rss, .atom or .json", ext, name), http.StatusNotFound)
		return
	}
	h.serveFeed(w, r, out, f)
}

func (h *Handler) serveFeed(w http.ResponseWriter, r *http.Request, out *output, f Format) {
	req, err := h.parseRequest(r.URL.Query(), out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if h.opts.Meta.BaseURL == "" && f == RSS {
		req.base = requestBase(r)
		req.key += "\x00" + req.base
	}
	rd, err := h.rendering(r.Context(), out, f, req, true)
	if errors.Is(err, ErrSearchBusy) {
		h.logger.Warn("search not answered", slog.Any("q", req.query.Terms), slog.Any("err", err))
		w.Header().Set("Retry-After", "2")
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		h.logger.Error("rendering feed", slog.String("output", out.Name), slog.String("format", string(f)), slog.Any("err", err))
		http.Error(w, "internal error rendering the feed", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", f.ContentType())
	hdr.Set("Cache-Control", h.cacheControl())
	h.serveRendering(w, r, rd)
}

// serveRendering answers with rd, gzipped when the client accepts it, with
// an ETag per encoding, honouring If-None-Match, If-Modified-Since and
// HEAD.
//
// It writes the body with one Write instead of http.ServeContent, which
// copies a bytes.Reader through a 32 KB buffer: for a 200-entry feed that
// is eight writes per response, and cost a third of the throughput under
// wrk. Range requests are answered with the whole body, which RFC 9110
// permits; feed readers do not ask for ranges.
func (h *Handler) serveRendering(w http.ResponseWriter, r *http.Request, rd *rendering) {
	hdr := w.Header()
	hdr["Vary"] = varyHeader
	v := &rd.identity
	if acceptsGzip(r) {
		v = &rd.gzip
		hdr["Content-Encoding"] = gzipHeader
	}
	hdr["Etag"] = v.etag
	if rd.lastModified != nil {
		hdr["Last-Modified"] = rd.lastModified
	}
	if notModified(r, v.etag[0], rd.modified) {
		// As http.ServeContent does: a 304 carries the validators and
		// caching headers, not the representation's.
		delete(hdr, "Content-Type")
		delete(hdr, "Content-Encoding")
		delete(hdr, "Last-Modified")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Length"] = v.length
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(v.body)
	}
}

var (
	varyHeader = []string{"Accept-Encoding"}
	gzipHeader = []string{"gzip"}
)

// notModified reports whether a GET or HEAD with these validators may be
// answered 304: If-None-Match, when present, decides alone (weak
// comparison, "*" matches); otherwise If-Modified-Since, to the second.
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		want := strings.TrimPrefix(etag, "W/")
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
				return true
			}
		}
		return false
	}
	ims := r.Header.Get("If-Modified-Since")
	if ims == "" || modified.IsZero() || modified.Unix() == 0 {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !modified.Truncate(time.Second).After(t)
}

// cacheControl lets caches keep a feed until the next scheduled cycle may
// change it, and never longer than MaxAge.
func (h *Handler) cacheControl() string {
	age := h.opts.MaxAge
	if next := h.nextChange(); !next.IsZero() {
		age = min(age, next.Sub(nowFunc()))
	}
	if age < time.Second {
		return "no-cache"
	}
	return "public, max-age=" + strconv.Itoa(int(age/time.Second))
}

// nextChange asks NextChange at most once a second: the scheduler answers
// through its own goroutine, which every feed request should not wait on.
func (h *Handler) nextChange() time.Time {
	if h.opts.NextChange == nil {
		return time.Time{}
	}
	now := nowFunc()
	if n := h.next.Load(); n != nil && now.Sub(n.at) < time.Second && now.Sub(n.at) >= 0 {
		return n.next
	}
	next := h.opts.NextChange()
	h.next.Store(&nextStamp{next: next, at: now})
	return next
}

// generation returns the store's generation, read at most once per
// GenerationTTL.
func (h *Handler) generation(ctx context.Context) (int64, error) {
	ttl := h.opts.GenerationTTL
	if ttl <= 0 {
		return h.src.Generation(ctx)
	}
	if g := h.gen.Load(); g != nil && nowFunc().Sub(g.at) < ttl {
		return g.gen, nil
	}
	h.genMu.Lock()
	defer h.genMu.Unlock()
	if g := h.gen.Load(); g != nil && nowFunc().Sub(g.at) < ttl {
		return g.gen, nil // another request refreshed it while we waited
	}
	at := nowFunc()
	gen, err := h.src.Generation(ctx)
	if err != nil {
		return 0, err
	}
	h.gen.Store(&genStamp{gen: gen, at: at})
	return gen, nil
}

// rendering returns the cached rendering of out in format f for req,
// rendering it again when the data changed since.
func (h *Handler) rendering(ctx context.Context, out *output, f Format, req feedRequest, paginate bool) (*rendering, error) {
	gen, err := h.generation(ctx)
	if err != nil {
		return nil, err
	}
	key := string(f) + "\x00" + out.Name + "\x00" + req.key + "\x00" + strconv.FormatBool(paginate)
	if rd := h.cache.get(key); rd != nil && rd.gen == gen {
		return rd, nil
	}

	h.flightMu.Lock()
	if fl := h.flights[key]; fl != nil {
		h.flightMu.Unlock()
		select {
		case <-fl.done:
			return fl.rd, fl.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	fl := &flight{done: make(chan struct{})}
	h.flights[key] = fl
	h.flightMu.Unlock()
	defer func() {
		h.flightMu.Lock()
		delete(h.flights, key)
		h.flightMu.Unlock()
		close(fl.done)
	}()
	fl.rd, fl.err = h.renderKey(ctx, key, gen, out, f, req, paginate)
	return fl.rd, fl.err
}

// renderKey renders the response for key at generation gen and caches it.
// Its result is shared with every request waiting on the same key, so it
// does not stop when the request that started it goes away; it is bounded
// by renderTimeout instead.
func (h *Handler) renderKey(ctx context.Context, key string, gen int64, out *output, f Format, req feedRequest, paginate bool) (*rendering, error) {
	if len(req.query.Terms) > 0 {
		select {
		case h.searches <- struct{}{}:
			defer func() { <-h.searches }()
		default:
			return nil, ErrSearchBusy
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), searchBudget)
		defer cancel()
		rd, err := h.renderCached(ctx, key, gen, out, f, req, paginate)
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("%w (the search ran out of its %v)", ErrSearchBusy, searchBudget)
		}
		return rd, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
	defer cancel()
	select {
	case h.renders <- struct{}{}:
		defer func() { <-h.renders }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return h.renderCached(ctx, key, gen, out, f, req, paginate)
}

// renderCached renders the response for key unless a rendering at gen is
// cached already, and caches it.
func (h *Handler) renderCached(ctx context.Context, key string, gen int64, out *output, f Format, req feedRequest, paginate bool) (*rendering, error) {
	prev := h.cache.peek(key)
	if prev != nil && prev.gen == gen {
		return prev, nil
	}
	body, stories, next, err := h.render(ctx, out, f, req, paginate)
	if err != nil {
		return nil, err
	}
	rd := newRendering(gen, body, lastUpdated(stories))
	rd.next = next
	if prev != nil {
		switch {
		case prev.etag == rd.etag:
			rd.setModified(prev.modified)
		case !rd.modified.After(prev.modified):
			// The body changed but no shown story is newer (one was
			// pruned, say): Last-Modified must still move on, or clients
			// that revalidate with If-Modified-Since alone would keep
			// the old body.
			rd.setModified(nowFunc().UTC().Truncate(time.Second))
		}
	}
	// Only what many readers ask for is kept: a made-up cursor or a
	// since= instant of one reader's own is answered and forgotten, so
	// junk queries cannot push the main feed out of the cache.
	if req.cacheable && (req.before == "" || h.cache.linked(req.before)) {
		h.cache.put(key, rd)
	}
	return rd, nil
}

// render queries and renders one response body. With paginate, a full
// page links to the next one, whose cursor it also returns. A body over
// MaxResponseBytes is rendered again with fewer stories (and, paginated,
// a next link to the rest).
func (h *Handler) render(ctx context.Context, out *output, f Format, req feedRequest, paginate bool) ([]byte, []wirefeed.Story, string, error) {
	q := req.query
	q.Keep = out.sel.keepFunc()
	if paginate {
		q.Limit++ // one more tells whether there is a next page
	}
	stories, err := h.src.Stories(ctx, q)
	if err != nil {
		return nil, nil, "", err
	}
	meta := h.outputMeta(out)
	meta.Home = req.base
	more := paginate && len(stories) > req.query.Limit
	if more {
		stories = stories[:req.query.Limit]
	}
	for {
		next := ""
		meta.NextURL = ""
		if more {
			last := stories[len(stories)-1]
			next = encodeCursor(wirefeed.StoryCursor{FirstSeen: last.FirstSeen, ID: last.ID})
			meta.NextURL = h.nextURL(meta, f, req, next)
		}
		var buf bytes.Buffer
		if err := Render(&buf, f, meta, stories); err != nil {
			return nil, nil, "", err
		}
		if buf.Len() <= h.opts.MaxResponseBytes || len(stories) == 1 {
			return buf.Bytes(), stories, next, nil
		}
		// Keep the share of the stories that fits, with a margin, and
		// link to the rest.
		n := min(len(stories)-1, max(1, int(int64(len(stories))*int64(h.opts.MaxResponseBytes)*9/10/int64(buf.Len()))))
		h.logger.Warn("feed response over the size limit; serving fewer entries",
			slog.String("output", outputLabel(out)), slog.String("format", string(f)), slog.Int("bytes", buf.Len()),
			slog.Int("limit_bytes", h.opts.MaxResponseBytes), slog.Int("entries", len(stories)), slog.Int("kept", n))
		stories, more = stories[:n], paginate
	}
}

func (h *Handler) outputMeta(out *output) Meta {
	meta := h.opts.Meta
	if out.Name != "" {
		meta.Path = "feeds/" + out.Name
		if out.Title != "" {
			meta.Title = out.Title
		}
		if out.Description != "" {
			meta.Description = out.Description
		}
	}
	return meta
}

// nextURL is the link to the page after cursor: the same request with
// before= set. It is absolute when the base URL is known, and otherwise
// relative to the feed's own URL.
func (h *Handler) nextURL(meta Meta, f Format, req feedRequest, cursor string) string {
	v := url.Values{}
	for k, vs := range req.params {
		v[k] = vs
	}
	v.Set("before", cursor)
	file := path.Base(meta.Path) + "." + string(f)
	if self := selfURL(meta, string(f)); self != "" {
		file = self
	}
	return file + "?" + v.Encode()
}

func newRendering(gen int64, body []byte, modified time.Time) *rendering {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(body) // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	sum := fmt.Sprintf("%016x", xxhash.Sum64(body))
	rd := &rendering{
		gen:      gen,
		body:     body,
		identity: variant{body: body, etag: []string{`"` + sum + `"`}, length: []string{strconv.Itoa(len(body))}},
		gzip:     variant{body: gz.Bytes(), etag: []string{`"` + sum + `-gz"`}, length: []string{strconv.Itoa(gz.Len())}},
		etag:     `"` + sum + `"`,
	}
	rd.setModified(modified)
	return rd
}

// setModified sets the Last-Modified time and its header.
func (rd *rendering) setModified(t time.Time) {
	rd.modified = t
	rd.lastModified = nil
	if !t.IsZero() && t.Unix() != 0 {
		rd.lastModified = []string{t.UTC().Format(http.TimeFormat)}
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				return false
			}
		}
		return true
	}
	return false
}

func (h *Handler) serveOPML(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	h.serveRendering(w, r, h.opml)
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	if _, err := h.src.Generation(r.Context()); err != nil {
		http.Error(w, "database unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// readyTimeout bounds a readiness check; Docker's health check gives up
// after 5 s.
const readyTimeout = 3 * time.Second

// ready answers /readyz: 200 "ready" when the database can be read and
// HandlerOptions.Ready finds nothing wrong (a write commits, cycles run),
// else 503 with the reason. /healthz only says the process answers and
// its database reads, which stays true while the disk is full.
func (h *Handler) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	_, err := h.src.Generation(ctx)
	if err == nil && h.opts.Ready != nil {
		err = h.opts.Ready(ctx)
	}
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		http.Error(w, "not ready: "+h.opts.Meta.Redact.Text(err.Error()), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}
