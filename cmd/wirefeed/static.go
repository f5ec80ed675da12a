package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/wirefeed/wirefeed/feedout"
)

// generationTTL is how long the daemon's feed handler trusts the store's
// generation before reading it again. The daemon calls Invalidate after its
// own cycles, so this only bounds how late a change made by another process
// (a `wirefeed fetch` from cron on the same database) is served.
const generationTTL = time.Second

// feedHandler builds the merged feed's handler over the app's store.
// next, when not nil, tells when the next scheduled cycle starts; ready,
// when not nil, is the daemon's readiness check (/readyz).
func (a *app) feedHandler(next func() time.Time, ready func(context.Context) error) *feedout.Handler {
	return feedout.NewHandler(a.store, feedout.HandlerOptions{
		Meta:          a.feedMeta(),
		DefaultLimit:  a.cfg.Server.DefaultLimit,
		MaxAge:        duration(a.cfg.Server.MaxAge),
		NextChange:    next,
		Feeds:         a.cfg.DomainFeeds(),
		Outputs:       a.cfg.FeedOutputs(),
		Exclude:       feedRules(a.cfg.Exclude),
		GenerationTTL: generationTTL,
		Logger:        a.logger,
		Ready:         ready,

		CacheBytes:       cmp.Or(a.cfg.Server.CacheBytes, -1), // 0 in the config: keep nothing
		MaxResponseBytes: a.cfg.Server.MaxResponseBytes,
	})
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
