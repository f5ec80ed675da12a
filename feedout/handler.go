package feedout

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
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
}

// Limits on query parameters.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
	// maxCached bounds the rendering cache; distinct query strings beyond
	// it flush the cache rather than grow it.
	maxCached = 256
)

// HandlerOptions configures a Handler.
type HandlerOptions struct {
	Meta         Meta
	DefaultLimit int           // entries when the request gives no limit
	MaxAge       time.Duration // Cache-Control max-age for feed responses
	Feeds        []wirefeed.Feed
	Logger       *slog.Logger
}

// Handler serves the merged feed in every format, the status page and a
// health endpoint. It is safe for concurrent use.
type Handler struct {
	src    Source
	opts   HandlerOptions
	logger *slog.Logger
	mux    *http.ServeMux

	mu    sync.Mutex
	cache map[string]*rendering
}

// rendering is one cached response body, valid while the source's
// generation equals gen.
type rendering struct {
	gen      int64
	body     []byte
	gz       []byte
	etag     string
	modified time.Time
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
	h := &Handler{src: src, opts: opts, logger: opts.Logger, cache: map[string]*rendering{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /feed.rss", h.feed(RSS))
	mux.HandleFunc("GET /feed.atom", h.feed(Atom))
	mux.HandleFunc("GET /feed.json", h.feed(JSON))
	mux.HandleFunc("GET /healthz", h.health)
	mux.HandleFunc("GET /{$}", h.status)
	h.mux = mux
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) feed(f Format) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit := h.opts.DefaultLimit
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				http.Error(w, fmt.Sprintf("bad limit %q: want a whole number from 1 to %d", v, MaxLimit), http.StatusBadRequest)
				return
			}
			limit = n
		}
		q := wirefeed.StoryQuery{Limit: limit}
		key := string(f) + "?limit=" + strconv.Itoa(limit)
		rd, err := h.rendering(r.Context(), key, f, q)
		if err != nil {
			h.logger.Error("rendering feed", slog.String("format", string(f)), slog.Any("err", err))
			http.Error(w, "internal error rendering the feed", http.StatusInternalServerError)
			return
		}
		hdr := w.Header()
		hdr.Set("Content-Type", f.ContentType())
		hdr.Set("Vary", "Accept-Encoding")
		hdr.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(h.opts.MaxAge.Seconds())))
		body, etag := rd.body, rd.etag
		if acceptsGzip(r) {
			body, etag = rd.gz, rd.etag[:len(rd.etag)-1]+`-gz"`
			hdr.Set("Content-Encoding", "gzip")
		}
		hdr.Set("ETag", etag)
		http.ServeContent(w, r, "", rd.modified, bytes.NewReader(body))
	}
}

// rendering returns the cached rendering for key, rendering it again when
// the data changed since.
func (h *Handler) rendering(ctx context.Context, key string, f Format, q wirefeed.StoryQuery) (*rendering, error) {
	gen, err := h.src.Generation(ctx)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock() // one rendering at a time: concurrent misses wait instead of piling up
	if rd, ok := h.cache[key]; ok && rd.gen == gen {
		return rd, nil
	}
	rd, err := h.render(ctx, f, q, gen)
	if err != nil {
		return nil, err
	}
	if len(h.cache) >= maxCached {
		clear(h.cache)
	}
	h.cache[key] = rd
	return rd, nil
}

func (h *Handler) render(ctx context.Context, f Format, q wirefeed.StoryQuery, gen int64) (*rendering, error) {
	stories, err := h.src.Stories(ctx, q)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := Render(&buf, f, h.opts.Meta, stories); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &rendering{
		gen:      gen,
		body:     buf.Bytes(),
		gz:       gz.Bytes(),
		etag:     fmt.Sprintf(`"%016x"`, xxhash.Sum64(buf.Bytes())),
		modified: lastUpdated(stories),
	}, nil
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

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	if _, err := h.src.Generation(r.Context()); err != nil {
		http.Error(w, "database unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}
