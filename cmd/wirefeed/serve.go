package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/feedout"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/store"
)

// app is the wired pipeline: store, deduplicator, client and runner.
type app struct {
	cfg    *Config
	logger *slog.Logger
	store  *store.Store
	client *fetcher.Client
	runner *fetcher.Runner
}

// openApp creates the data directory, opens the database and wires the
// fetch pipeline. The caller closes it.
func openApp(ctx context.Context, cfg *Config, logger *slog.Logger) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	engine := dedupe.New(cfg.dedupeOptions(logger))
	st, err := store.Open(ctx, cfg.DBPath(), store.Options{Matcher: engine, Logger: logger})
	if err != nil {
		return nil, err
	}
	if err := engine.Rebuild(ctx, st); err != nil {
		st.Close()
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
	runner := fetcher.NewRunner(client, st, cfg.runnerOptions(logger))
	return &app{cfg: cfg, logger: logger, store: st, client: client, runner: runner}, nil
}

func (a *app) Close() error {
	a.client.CloseIdleConnections()
	return a.store.Close()
}

// maintain runs after every cycle: retention, then a WAL checkpoint.
func (a *app) maintain(ctx context.Context) {
	if ret := duration(a.cfg.Store.Retention); ret > 0 {
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

func (a *app) feedMeta() feedout.Meta {
	return feedout.Meta{Title: a.cfg.Server.Title, Description: a.cfg.Server.Description, BaseURL: a.cfg.Server.BaseURL, Path: "feed"}
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve -config FILE", "Run the daemon: fetch every feed at start and then on its schedule, and serve\nthe merged feed at /feed.rss, /feed.atom and /feed.json and a status page at /.\nSIGINT or SIGTERM stops it cleanly.", stdout, stderr)
	cf := addConfigFlags(fs, true)
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	cfg, ok := cf.load(stderr)
	if !ok {
		return exitUsage
	}
	logger := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err := serve(ctx, cfg, logger, nil); err != nil {
		logger.Error("wirefeed stopped", slog.Any("err", err))
		return exitFailure
	}
	return exitOK
}

// shutdownGrace is how long fetches in flight may run on after SIGTERM.
const shutdownGrace = 5 * time.Second

// serve runs the daemon until ctx is cancelled. When ready is not nil it
// receives the listening address once the server accepts connections.
func serve(ctx context.Context, cfg *Config, logger *slog.Logger, ready chan<- string) error {
	a, err := openApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.Close(); err != nil {
			logger.Error("closing the database", slog.Any("err", err))
		}
	}()

	var handler *feedout.Handler // set before the scheduler starts
	sched, err := fetcher.NewScheduler(a.runner, cfg.DomainFeeds(), cfg.Schedule, logger, func(ctx context.Context, _ fetcher.Report) {
		a.maintain(ctx)
		handler.Invalidate()
		if cfg.Static.Dir != "" {
			if err := writeStatic(ctx, handler, cfg.Static.Dir, logger); err != nil {
				logger.Error("static export", slog.Any("err", err))
			}
		}
	})
	if err != nil {
		return err
	}
	handler = a.feedHandler(sched.Next)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("server.listen: %w", err)
	}
	logger.Info("wirefeed serving", slog.String("addr", ln.Addr().String()), slog.String("database", cfg.DBPath()), slog.Int("feeds", len(cfg.Feeds)), slog.String("version", versionString()))
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	sched.Start()

	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-srvErr:
		sched.Stop(10 * time.Second)
		return fmt.Errorf("http server: %w", err)
	}
	// Stop taking work first, then let in-flight requests finish. Both
	// waits together stay under Docker's default stop timeout (10 s), after
	// which it would kill the process: fetches not started are dropped at
	// once, fetches in flight get 5 s before they are cancelled and their
	// transactions rolled back.
	sched.Stop(shutdownGrace)
	shutCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		logger.Warn("http shutdown", slog.Any("err", err))
	}
	if err := <-srvErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	logger.Info("stopped cleanly")
	return nil
}
