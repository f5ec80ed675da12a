package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/store"
)

// app is the wired pipeline: store, deduplicator, client and runner.
type app struct {
	cfg    *Config
	logger *slog.Logger
	store  *store.Store
	engine *dedupe.Engine
	client *fetcher.Client
	runner *fetcher.Runner
}

// openApp creates the data directory, opens the database and wires the
// fetch pipeline; observe, when not nil, sees every feed's result. The
// deduplicator's index is empty until loadIndex fills it, and nothing may
// be fetched before. The caller closes the app.
func openApp(ctx context.Context, cfg *Config, logger *slog.Logger, observe func(fetcher.Result)) (*app, error) {
	if cfg.Store.DSN == "" {
		if err := checkDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	engine := dedupe.New(cfg.dedupeOptions(logger))
	st, err := store.Open(ctx, cfg.Database(), cfg.storeOptions(engine, logger))
	if err != nil {
		return nil, err
	}
	if _, err := st.SyncFeeds(ctx, cfg.DomainFeeds()); err != nil {
		st.Close()
		return nil, err
	}
	ua := cfg.Fetch.UserAgent
	if ua == "" {
		ua = userAgent()
	}
	client := fetcher.NewClient(fetcher.ClientOptions{
		Timeout:      duration(cfg.Fetch.Timeout),
		MaxBodyBytes: cfg.Fetch.MaxBodyBytes,
		MaxRedirects: cfg.Fetch.MaxRedirects,
		UserAgent:    ua,
		AllowPrivate: cfg.AllowPrivateAddresses,
	})
	ro := cfg.runnerOptions(logger)
	ro.Observe = observe
	runner := fetcher.NewRunner(client, st, ro)
	return &app{cfg: cfg, logger: logger, store: st, engine: engine, client: client, runner: runner}, nil
}

// loadIndex rebuilds the deduplicator's index from the signatures of the
// window; a variable so that tests can hold start-up at this point.
var loadIndex = func(ctx context.Context, a *app) error {
	return a.engine.Rebuild(ctx, a.store)
}

func (a *app) Close() error {
	a.client.CloseIdleConnections()
	return a.store.Close()
}

// maintain runs after every cycle: retention, then a WAL checkpoint.
func (a *app) maintain(ctx context.Context, retention time.Duration) {
	if ret := retention; ret > 0 {
		n, err := a.store.Prune(ctx, time.Now().Add(-ret))
		if err != nil {
			a.logger.Error("pruning old items", slog.Any("err", err))
		} else if n > 0 {
			a.logger.Info("pruned old items", slog.Int64("items", n))
		}
	}
	if err := a.store.Checkpoint(ctx); err != nil {
		a.logger.Warn("checkpointing the database", slog.Any("err", err))
	}
}

// openExisting opens the database for a command that only reads it,
// read-only (it may belong to the daemon's user) and without creating one
// where there is none; problems are printed to stderr.
func openExisting(ctx context.Context, cfg *Config, cmd string, stderr io.Writer) (*store.Store, error) {
	if cfg.Store.DSN != "" {
		st, err := store.Open(ctx, cfg.Database(), store.Options{ReadOnly: true})
		if err != nil {
			fmt.Fprintf(stderr, "wirefeed %s: %v\n", cmd, err)
		}
		return st, err
	}
	if _, err := os.Stat(cfg.DBPath()); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("no database at %s (run wirefeed fetch or serve first)", cfg.DBPath())
		} else {
			err = readError(cfg.DBPath(), err)
		}
		fmt.Fprintf(stderr, "wirefeed %s: %v\n", cmd, err)
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DBPath(), store.Options{ReadOnly: true})
	if err != nil {
		err = readError(cfg.DBPath(), err)
		fmt.Fprintf(stderr, "wirefeed %s: %v\n", cmd, err)
	}
	return st, err
}
