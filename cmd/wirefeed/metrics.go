package main

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/fetcher"
)

// metrics are the daemon's Prometheus metrics, on a registry of their own
// (not the global default, so tests and a second daemon in one process do
// not collide). Counters are fed from what the pipeline already returns
// (each feed's fetcher.Result, the requests the server answers); gauges
// are read when /metrics is scraped.
type metrics struct {
	reg *prometheus.Registry

	fetches       *prometheus.CounterVec
	fetchDuration prometheus.Histogram
	fetchedBytes  prometheus.Counter
	itemsIngested prometheus.Counter
	itemsMerged   *prometheus.CounterVec
	storiesMerged prometheus.Counter
	requests      *prometheus.CounterVec
	lastCycle     prometheus.Gauge
	lastCycleTook prometheus.Gauge
	reloads       *prometheus.CounterVec
}

// gauges answers the scrape-time questions; the daemon implements it.
type gauges interface {
	gaugeSnapshot(ctx context.Context) (gaugeValues, error)
}

// gaugeValues are read at scrape time.
type gaugeValues struct {
	stories, items, failingFeeds int
	pausedFeeds                  map[string]int // host -> configured feeds on it that are paused
	indexItems, indexBytes       int
	cacheBytes                   int64
	databaseBytes                int64
}

// mergeRules names the deduplicator's rules in the metrics.
var mergeRules = map[wirefeed.MatchRule]string{
	wirefeed.RuleURL: "url", wirefeed.RuleBody: "body", wirefeed.RuleNearDuplicate: "near-copy", wirefeed.RuleTitle: "title",
}

func newMetrics(g gauges, logger *slog.Logger) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wirefeed_fetches_total",
			Help: "Feed fetches by result: fetched, not-modified, failed, skipped (backing off, gone, asked to wait) or interrupted (shutdown)."}, []string{"result"}),
		fetchDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "wirefeed_fetch_duration_seconds",
			Help: "Duration of the HTTP exchange of each attempted fetch.", Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30}}),
		fetchedBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "wirefeed_fetched_bytes_total",
			Help: "Bytes of feed documents received, after decompression."}),
		itemsIngested: prometheus.NewCounter(prometheus.CounterOpts{Name: "wirefeed_items_ingested_total",
			Help: "Items stored for the first time."}),
		itemsMerged: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wirefeed_items_merged_total",
			Help: "New items that joined an existing story, by the rule that matched: url, body (same text), near-copy, title."}, []string{"rule"}),
		storiesMerged: prometheus.NewCounter(prometheus.CounterOpts{Name: "wirefeed_stories_merged_total",
			Help: "Stories folded into an older one because a new item proved them the same."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wirefeed_http_requests_total",
			Help: "HTTP requests answered, by format (rss, atom, json, status, opml, health, metrics, other) and status code."}, []string{"format", "status"}),
		lastCycle: prometheus.NewGauge(prometheus.GaugeOpts{Name: "wirefeed_last_cycle_timestamp_seconds",
			Help: "When the last fetch cycle ended, as a Unix time."}),
		lastCycleTook: prometheus.NewGauge(prometheus.GaugeOpts{Name: "wirefeed_last_cycle_duration_seconds",
			Help: "How long the last fetch cycle took."}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wirefeed_config_reloads_total",
			Help: "Config reloads (SIGHUP) by result: ok or refused."}, []string{"result"}),
	}
	for _, r := range []string{string(fetcher.Fetched), string(fetcher.NotModified), string(fetcher.Failed), string(fetcher.Skipped), "interrupted"} {
		m.fetches.WithLabelValues(r)
	}
	for _, r := range mergeRules {
		m.itemsMerged.WithLabelValues(r)
	}
	m.reg.MustRegister(m.fetches, m.fetchDuration, m.fetchedBytes, m.itemsIngested, m.itemsMerged, m.storiesMerged,
		m.requests, m.lastCycle, m.lastCycleTook, m.reloads,
		&gaugeCollector{g: g, logger: logger},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe counts one feed's result.
func (m *metrics) observe(r fetcher.Result) {
	result := string(r.Status)
	if r.Interrupted {
		result = "interrupted"
	}
	m.fetches.WithLabelValues(result).Inc()
	if r.Status == fetcher.Skipped || r.Interrupted {
		return
	}
	m.fetchDuration.Observe(r.Took.Seconds())
	m.fetchedBytes.Add(float64(r.Bytes))
	m.itemsIngested.Add(float64(r.New))
	for rule, n := range r.Merged {
		if label, ok := mergeRules[rule]; ok {
			m.itemsMerged.WithLabelValues(label).Add(float64(n))
		}
	}
	m.storiesMerged.Add(float64(r.StoriesMerged))
}

// cycleDone records the end of a fetch cycle.
func (m *metrics) cycleDone(rep fetcher.Report) {
	m.lastCycle.Set(float64(rep.Started.Add(rep.Duration).Unix()))
	m.lastCycleTook.Set(rep.Duration.Seconds())
}

// handler serves /metrics.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Timeout: 10 * time.Second})
}

// instrument counts the requests next answers, by format and status.
func (m *metrics) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		m.requests.WithLabelValues(requestFormat(r.URL.Path), strconv.Itoa(sw.status)).Inc()
	})
}

// requestFormat names what a path serves, with few enough values to be a
// label: the feed formats, the status page, OPML, health and metrics.
func requestFormat(p string) string {
	switch p {
	case "/":
		return "status"
	case "/sources.opml":
		return "opml"
	case "/healthz", "/readyz":
		return "health"
	case "/metrics":
		return "metrics"
	}
	switch ext := strings.TrimPrefix(path.Ext(p), "."); ext {
	case "rss", "atom", "json":
		return ext
	}
	return "other"
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// gaugeCollector reads the gauges when /metrics is scraped.
type gaugeCollector struct {
	g      gauges
	logger *slog.Logger
}

var (
	descStories    = prometheus.NewDesc("wirefeed_stories", "Stories (clusters) in the database.", nil, nil)
	descItems      = prometheus.NewDesc("wirefeed_items", "Items in the database.", nil, nil)
	descFailing    = prometheus.NewDesc("wirefeed_feeds_failing", "Configured feeds whose last attempt failed, or that are gone.", nil, nil)
	descPaused     = prometheus.NewDesc("wirefeed_feeds_paused", "Configured feeds on a host that asked to wait (429/503 Retry-After), by host.", []string{"host"}, nil)
	descIndexItems = prometheus.NewDesc("wirefeed_dedupe_index_items", "Items in the deduplicator's in-memory index.", nil, nil)
	descIndexBytes = prometheus.NewDesc("wirefeed_dedupe_index_bytes", "Memory held by the deduplicator's index.", nil, nil)
	descCache      = prometheus.NewDesc("wirefeed_render_cache_bytes", "Bytes of cached feed renderings (both encodings).", nil, nil)
	descDatabase   = prometheus.NewDesc("wirefeed_database_bytes", "Size of the database: SQLite's pages in use and free (WAL not counted), or PostgreSQL's pg_database_size.", nil, nil)
)

func (c *gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStories, descItems, descFailing, descPaused, descIndexItems, descIndexBytes, descCache, descDatabase} {
		ch <- d
	}
}

func (c *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := c.g.gaugeSnapshot(ctx)
	if err != nil {
		c.logger.Warn("metrics: reading the database", slog.Any("err", err))
		ch <- prometheus.NewInvalidMetric(descStories, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descStories, float64(v.stories))
	gauge(descItems, float64(v.items))
	gauge(descFailing, float64(v.failingFeeds))
	for host, n := range v.pausedFeeds {
		gauge(descPaused, float64(n), host)
	}
	gauge(descIndexItems, float64(v.indexItems))
	gauge(descIndexBytes, float64(v.indexBytes))
	gauge(descCache, float64(v.cacheBytes))
	gauge(descDatabase, float64(v.databaseBytes))
}
