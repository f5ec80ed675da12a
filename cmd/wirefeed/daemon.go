package main

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/feedout"
	"github.com/wirefeed/wirefeed/fetcher"
)

// daemon is what `wirefeed serve` runs: the app, its scheduler and the
// HTTP handler, with the config they were built from. A reload swaps the
// config and the handler and updates the scheduler; reloads are
// serialised by the serve loop, which alone calls reload.
type daemon struct {
	logger  *slog.Logger
	level   *slog.LevelVar
	redact  *redactorVar // the log's; may be nil
	app     *app
	sched   *fetcher.Scheduler
	metrics *metrics
	cfg     atomic.Pointer[Config]
	handler atomic.Pointer[feedout.Handler]
	mu      sync.Mutex // afterCycle's static export against a handler swap
}

// newHandler builds the HTTP handler for cfg.
func (d *daemon) newHandler(cfg *Config) *feedout.Handler {
	return newFeedHandler(d.app.store, cfg, d.logger, d.sched.Next, d.nextAttempt, d.ready)
}

// ready is the daemon's readiness (/readyz): fetch cycles run as scheduled
// and a write to the database commits (the disk is not full, the file not
// read-only).
func (d *daemon) ready(ctx context.Context) error {
	if err := d.sched.CheckCycles(time.Now()); err != nil {
		return err
	}
	return d.app.store.WriteProbe(ctx)
}

// nextAttempt is when the daemon will next fetch a feed in state st (zero
// for a feed that is gone): the status page shows what the log says.
func (d *daemon) nextAttempt(st wirefeed.FeedState) time.Time {
	if st.Gone {
		return time.Time{}
	}
	return d.sched.NextAttempt(st.Name, fetcher.EarliestAttempt(st))
}

// afterCycle runs after every scheduled cycle: retention and checkpoint,
// fresh renderings, the static export, the cycle's metrics.
func (d *daemon) afterCycle(ctx context.Context, rep fetcher.Report) {
	cfg := d.cfg.Load()
	d.app.maintain(ctx, duration(cfg.Store.Retention))
	h := d.handler.Load()
	h.Invalidate()
	if cfg.Static.Dir != "" {
		d.mu.Lock()
		if err := writeStatic(ctx, h, cfg.Static.Dir, d.logger); err != nil {
			d.logger.Error("static export", slog.Any("err", err))
		}
		d.mu.Unlock()
	}
	d.metrics.cycleDone(rep)
}

// reload reads the config again and applies it: feeds added, removed,
// renamed or rescheduled, outputs, rules, the server's titles and limits,
// retention, static export and the log level take effect at once. A
// config with problems is refused with all of them, and the running one
// stays. Keys only read at start are named in a warning.
func (d *daemon) reload(ctx context.Context, load func() (*Config, error)) {
	if load == nil {
		return
	}
	old := d.cfg.Load()
	cfg, err := load()
	if err != nil {
		d.metrics.reloads.WithLabelValues("refused").Inc()
		d.logger.Error("config reload refused; the running config stays", slog.String("config", old.path),
			slog.String("problems", strings.ReplaceAll(err.Error(), "\n", "; ")))
		return
	}
	// Feeds and renames first, so the scheduler fetches new feeds under
	// their stored state.
	renamed, err := d.app.store.SyncFeeds(ctx, cfg.DomainFeeds())
	if err == nil && len(renamed) > 0 {
		// Learned boilerplate is kept by feed name.
		err = d.app.engine.LoadBoilerplate(ctx, d.app.store)
	}
	if err != nil {
		d.metrics.reloads.WithLabelValues("refused").Inc()
		d.logger.Error("config reload failed; the running config stays", slog.Any("err", err))
		return
	}
	fresh, err := d.sched.Update(cfg.DomainFeeds(), cfg.Schedule)
	if err != nil { // validated already; kept for safety
		d.metrics.reloads.WithLabelValues("refused").Inc()
		d.logger.Error("config reload refused; the running config stays", slog.Any("err", err))
		return
	}
	d.mu.Lock()
	d.cfg.Store(cfg)
	d.handler.Store(d.newHandler(cfg))
	d.mu.Unlock()
	if d.level != nil {
		_ = d.level.UnmarshalText([]byte(cfg.LogLevel))
	}
	// The secrets of feeds added by the reload are hidden from now on.
	if d.redact != nil {
		d.redact.Store(cfg.Redactor())
	}
	d.app.runner.SetRedactor(cfg.Redactor())
	d.metrics.reloads.WithLabelValues("ok").Inc()

	removed := 0
	now := map[string]bool{}
	for _, f := range cfg.Feeds {
		now[f.Name] = true
	}
	for _, f := range old.Feeds {
		if !now[f.Name] && renamed[f.Name] == "" {
			removed++
		}
	}
	attrs := []any{slog.String("config", cfg.path), slog.Int("feeds", len(cfg.Feeds)),
		slog.Int("new_or_moved", len(fresh)-len(renamed)), slog.Int("removed", removed), slog.Int("renamed", len(renamed))}
	if keys := restartOnlyChanges(old, cfg); len(keys) > 0 {
		d.logger.Warn("config reloaded; some changes take effect only at restart", append(attrs, slog.String("restart_for", strings.Join(keys, ", ")))...)
		return
	}
	d.logger.Info("config reloaded", attrs...)
}

// restartOnlyChanges names the keys that differ between old and cfg but
// are read only at start: the data directory, the listening address and
// the pieces built once (HTTP client, fetch limits, deduplicator, log
// format).
func restartOnlyChanges(old, cfg *Config) []string {
	var keys []string
	diff := func(key string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			keys = append(keys, key)
		}
	}
	diff("data_dir", old.DataDir, cfg.DataDir)
	diff("store.dsn", old.Store.DSN, cfg.Store.DSN)
	diff("store.lease_ttl", old.Store.LeaseTTL, cfg.Store.LeaseTTL)
	diff("server.listen", old.Server.Listen, cfg.Server.Listen)
	diff("server.metrics", old.Server.Metrics, cfg.Server.Metrics)
	diff("allow_private_addresses", old.AllowPrivateAddresses, cfg.AllowPrivateAddresses)
	diff("log_format", old.LogFormat, cfg.LogFormat)
	diff("[fetch]", old.Fetch, cfg.Fetch)
	diff("[dedupe]", old.Dedupe, cfg.Dedupe)
	return keys
}

// gaugeSnapshot answers the metrics read at scrape time.
func (d *daemon) gaugeSnapshot(ctx context.Context) (gaugeValues, error) {
	var v gaugeValues
	if d.app == nil {
		return v, nil
	}
	totals, err := d.app.store.Totals(ctx)
	if err != nil {
		return v, err
	}
	states, err := d.app.store.FeedStates(ctx)
	if err != nil {
		return v, err
	}
	pauses, err := d.app.store.HostPauses(ctx, time.Now())
	if err != nil {
		return v, err
	}
	size, err := d.app.store.Size(ctx)
	if err != nil {
		return v, err
	}
	v.stories, v.items, v.databaseBytes = totals.Stories, totals.Items, size
	v.pausedFeeds = map[string]int{}
	for _, f := range d.cfg.Load().Feeds {
		if st := states[f.Name]; st.ConsecutiveErrors > 0 || st.Gone {
			v.failingFeeds++
		}
		host := fetcher.HostKey(f.URL)
		if _, paused := pauses[host]; paused {
			v.pausedFeeds[host]++
		}
	}
	idx := d.app.engine.Stats()
	v.indexItems, v.indexBytes = idx.Items, idx.Bytes
	if h := d.handler.Load(); h != nil {
		v.cacheBytes = h.CacheBytes()
	}
	return v, nil
}
