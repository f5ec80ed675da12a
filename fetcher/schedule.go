package fetcher

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/wirefeed/wirefeed"
)

// CronParser parses the schedule specs wirefeed accepts: five-field cron
// expressions, descriptors such as @hourly, and @every <duration>.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Scheduler runs fetch cycles on cron schedules: one cron entry per distinct
// schedule, each fetching the feeds that use it. Overlapping ticks of one
// entry are skipped, panics in a cycle are recovered and logged. Each
// cycle spreads its feeds over the Runner's jitter window, at most half the
// schedule's interval, so feeds that share a schedule do not all fire in
// the same second.
type Scheduler struct {
	runner      *Runner
	cron        *cron.Cron
	logger      *slog.Logger
	afterCycle  func(context.Context, Report)
	ctx         context.Context // cancelled when running fetches must stop
	cancel      context.CancelFunc
	drain       context.Context // cancelled when no fetch may start
	stopDrain   context.CancelFunc
	wg          sync.WaitGroup
	mu          sync.Mutex
	stopped     bool
	startupFeed []wirefeed.Feed
	live        liveness // when a cycle last started or ended, for readiness
}

// NewScheduler groups feeds by schedule (a feed without one uses
// globalSpec) and prepares a cron entry for each group. afterCycle, when not
// nil, runs after every cycle (static export, metrics).
func NewScheduler(runner *Runner, feeds []wirefeed.Feed, globalSpec string, logger *slog.Logger, afterCycle func(context.Context, Report)) (*Scheduler, error) {
	if logger == nil {
		logger = slog.Default()
	}
	cl := cronLogger{logger}
	s := &Scheduler{
		runner:      runner,
		cron:        cron.New(cron.WithParser(CronParser), cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)), cron.WithLogger(cl)),
		logger:      logger,
		afterCycle:  afterCycle,
		startupFeed: feeds,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.live.touch(time.Now())
	s.drain, s.stopDrain = context.WithCancel(context.Background())
	groups := map[string][]wirefeed.Feed{}
	var order []string
	for _, f := range feeds {
		spec := f.Schedule
		if spec == "" {
			spec = globalSpec
		}
		if _, ok := groups[spec]; !ok {
			order = append(order, spec)
		}
		groups[spec] = append(groups[spec], f)
	}
	for _, spec := range order {
		group := groups[spec]
		sched, err := CronParser.Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		spread := scheduleSpread(sched, runner.Jitter(), time.Now())
		s.cron.Schedule(sched, cron.FuncJob(func() { s.cycle(group, spread) }))
		s.live.schedules = append(s.live.schedules, sched)
	}
	return s, nil
}

// scheduleSpread is the jitter window for a schedule: jitter, but at most
// half the interval between two of its ticks, so a feed's spread fetch
// never runs into its next tick.
func scheduleSpread(sched cron.Schedule, jitter time.Duration, now time.Time) time.Duration {
	first := sched.Next(now)
	interval := sched.Next(first).Sub(first)
	return max(0, min(jitter, interval/2))
}

// Start runs one cycle over every feed at once (so a fresh daemon has
// something to serve) and then starts the schedules.
func (s *Scheduler) Start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.cycle(s.startupFeed, 0) // at once: a fresh daemon should have something to serve
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.stopped {
			s.cron.Start()
		}
	}()
}

func (s *Scheduler) cycle(feeds []wirefeed.Feed, spread time.Duration) {
	if s.ctx.Err() != nil {
		return
	}
	s.live.touch(time.Now())
	defer func() { s.live.touch(time.Now()) }()
	rep, err := s.runner.RunCycle(s.ctx, feeds, CycleOptions{Spread: spread, Drain: s.drain})
	if err != nil {
		s.logger.Error("fetch cycle failed", slog.Any("err", err))
		return
	}
	s.logger.Info("fetch cycle done",
		slog.Int("feeds", len(rep.Results)),
		slog.Int("fetched", rep.Count(Fetched)),
		slog.Int("not_modified", rep.Count(NotModified)),
		slog.Int("skipped", rep.Count(Skipped)),
		slog.Int("failed", rep.Count(Failed)),
		slog.Duration("took", rep.Duration))
	if s.afterCycle != nil && s.drain.Err() == nil {
		s.afterCycle(s.ctx, rep) // not while shutting down: the next start does it
	}
}

// Stop stops the schedules and waits for running cycles. A running cycle
// starts no more fetches; those in flight get grace to finish, after which
// their context is cancelled (each feed's store transaction then rolls back
// whole) and Stop waits for them to return.
func (s *Scheduler) Stop(grace time.Duration) {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.stopDrain()
	done := s.cron.Stop().Done()
	all := make(chan struct{})
	go func() {
		<-done
		s.wg.Wait()
		close(all)
	}()
	select {
	case <-all:
	case <-time.After(grace):
		s.logger.Warn("cycle still running at shutdown; cancelling it")
		s.cancel()
		<-all
	}
	s.cancel()
}

// cronLogger adapts slog to cron's logger interface.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	c.l.Debug("cron: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, slog.Any("err", err))...)
}

// Next returns when the next scheduled cycle starts: the earliest next run
// of any schedule, or the zero time while the schedules are not running.
func (s *Scheduler) Next() time.Time {
	var next time.Time
	for _, e := range s.cron.Entries() {
		if !e.Next.IsZero() && (next.IsZero() || e.Next.Before(next)) {
			next = e.Next
		}
	}
	return next
}
