package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/feedout"
)

// generationTTL is how long the daemon's feed handler trusts the store's
// generation before reading it again. The daemon calls Invalidate after its
// own cycles, so this only bounds how late a change made by another process
// (a `wirefeed fetch` from cron on the same database) is served.
const generationTTL = time.Second

// feedHandler builds the merged feed's handler over the app's store, for
// the commands that render without a schedule (fetch, export).
func (a *app) feedHandler() *feedout.Handler {
	return newFeedHandler(a.store, a.cfg, a.logger, nil, nil, nil)
}

// newFeedHandler builds the merged feed's handler for cfg. next, when not
// nil, tells when the next scheduled cycle starts, and nextAttempt when a
// feed will next be fetched (the status page); ready, when not nil, is the
// daemon's readiness check (/readyz).
func newFeedHandler(src feedout.Source, cfg *Config, logger *slog.Logger, next func() time.Time, nextAttempt func(wirefeed.FeedState) time.Time, ready func(context.Context) error) *feedout.Handler {
	return feedout.NewHandler(src, feedout.HandlerOptions{
		Meta:          cfg.feedMeta(),
		DefaultLimit:  cfg.Server.DefaultLimit,
		MaxAge:        duration(cfg.Server.MaxAge),
		NextChange:    next,
		NextAttempt:   nextAttempt,
		Feeds:         cfg.DomainFeeds(),
		Outputs:       cfg.FeedOutputs(),
		Exclude:       feedRules(cfg.Exclude),
		GenerationTTL: generationTTL,
		Logger:        logger,
		Ready:         ready,

		CacheBytes:       cmp.Or(cfg.Server.CacheBytes, -1), // 0 in the config: keep nothing
		MaxResponseBytes: cfg.Server.MaxResponseBytes,
	})
}

func (c *Config) feedMeta() feedout.Meta {
	return feedout.Meta{Title: c.Server.Title, Description: c.Server.Description, BaseURL: c.Server.BaseURL, Path: "feed", Redact: c.Redactor()}
}

// writeStatic exports every output in every format and sources.opml to dir.
func writeStatic(ctx context.Context, h *feedout.Handler, dir string, logger *slog.Logger) error {
	start := time.Now()
	if err := h.WriteStatic(ctx, dir); err != nil {
		return fmt.Errorf("static export to %s: %w", dir, err)
	}
	logger.Info("static export written", slog.String("dir", dir), slog.Duration("took", time.Since(start)))
	return nil
}
