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
	"os/signal"
	"syscall"
	"time"

	"github.com/wirefeed/wirefeed/fetcher"
)

// runServe is `wirefeed serve`: the daemon (serveWith), with SIGHUP
// reloading its config.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", "serve -config FILE", "Run the daemon: fetch every feed at start and then on its schedule, and serve\nthe merged feed at /feed.rss, /feed.atom and /feed.json, a status page at /\nand Prometheus metrics at /metrics.\nSIGHUP reloads the config (an invalid one is refused and the running one\nstays); SIGINT or SIGTERM stops it cleanly.", stdout, stderr)
	cf := addConfigFlags(fs, true)
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	// SIGHUP's default action ends the process: take it over before
	// anything else.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	cfg, ok := cf.load(stderr)
	if !ok {
		return exitUsage
	}
	level, red := new(slog.LevelVar), new(redactorVar)
	red.Store(cfg.Redactor())
	logger := newLeveledLogger(stderr, level, cfg.LogLevel, cfg.LogFormat, red)
	reload := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-hup:
				select {
				case reload <- struct{}{}:
				default: // one is pending already
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	err := serveWith(ctx, cfg, serveOptions{logger: logger, level: level, redact: red, reload: reload, load: func() (*Config, error) {
		return cf.loadErr()
	}})
	if err != nil {
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
	return serveWith(ctx, cfg, serveOptions{logger: logger, ready: ready})
}

// serveOptions are the daemon's connections to its process.
type serveOptions struct {
	logger *slog.Logger
	level  *slog.LevelVar // set on reload; may be nil
	redact *redactorVar   // the log's redactor, set on reload; may be nil
	ready  chan<- string
	// reload receives a value when the config should be read again with
	// load (SIGHUP).
	reload <-chan struct{}
	load   func() (*Config, error)
}

func serveWith(ctx context.Context, cfg *Config, opts serveOptions) error {
	logger := opts.logger
	d := &daemon{logger: logger, level: opts.level, redact: opts.redact}
	d.cfg.Store(cfg)
	d.metrics = newMetrics(d, logger)
	a, err := openApp(ctx, cfg, logger, d.metrics.observe)
	if err != nil {
		return err
	}
	d.app = a
	defer func() {
		if err := a.Close(); err != nil {
			logger.Error("closing the database", slog.Any("err", err))
		}
	}()

	d.sched, err = fetcher.NewScheduler(a.runner, cfg.DomainFeeds(), cfg.Schedule, logger, d.afterCycle)
	if err != nil {
		return err
	}
	d.handler.Store(d.newHandler(cfg))
	mux := http.NewServeMux()
	if cfg.Server.Metrics {
		mux.Handle("GET /metrics", d.metrics.handler())
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { d.handler.Load().ServeHTTP(w, r) }))
	srv := &http.Server{
		Handler:           d.metrics.instrument(mux),
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
	logger.Info("wirefeed serving", slog.String("addr", ln.Addr().String()), slog.String("database", cfg.DatabaseName()),
		slog.Int("feeds", len(cfg.Feeds)), slog.String("version", versionString()))
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	if opts.ready != nil {
		opts.ready <- ln.Addr().String()
	}
	// Requests are served while the deduplicator's index loads: the merged
	// feed, the status page and /healthz read only the database, which is
	// complete. Fetching needs the index, so the schedule starts after it.
	if err := loadIndex(ctx, a); err != nil {
		shutCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutCtx)
		return err
	}
	idx := a.engine.Stats()
	logger.Info("dedupe index loaded; fetching starts", slog.Int("items", idx.Items), slog.Int("bytes", idx.Bytes))
	d.sched.Start()

	for done := false; !done; {
		select {
		case <-ctx.Done():
			logger.Info("shutting down")
			done = true
		case <-opts.reload:
			d.reload(ctx, opts.load)
		case err := <-srvErr:
			d.sched.Stop(10 * time.Second)
			return fmt.Errorf("http server: %w", err)
		}
	}
	// Stop taking work first, then let in-flight requests finish. Both
	// waits together stay under Docker's default stop timeout (10 s), after
	// which it would kill the process: fetches not started are dropped at
	// once, fetches in flight get 5 s before they are cancelled and their
	// transactions rolled back.
	d.sched.Stop(shutdownGrace)
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
