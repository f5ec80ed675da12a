package fetcher

import (
	"cmp"
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
// the same second. Update replaces the feeds and schedules while it runs.
type Scheduler struct {
	runner     *Runner
	cron       *cron.Cron
	logger     *slog.Logger
	afterCycle func(context.Context, Report)
	ctx        context.Context // cancelled when running fetches must stop
	cancel     context.CancelFunc
	drain      context.Context // cancelled when no fetch may start
	stopDrain  context.CancelFunc
	wg         sync.WaitGroup
	mu         sync.Mutex
	stopped    bool
	started    bool
	feeds      []wirefeed.Feed
	groups     map[string]*group // by feed name
	entries    []cron.EntryID
	live       liveness // when a cycle last started or ended, for readiness
}

// group is the feeds of one schedule: one cron entry.
type group struct {
	spec   string
	sched  cron.Schedule
	spread time.Duration
	window time.Duration // see CycleOptions.ClaimWindow
	feeds  []wirefeed.Feed
	entry  cron.EntryID
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
		runner:     runner,
		cron:       cron.New(cron.WithParser(CronParser), cron.WithChain(cron.Recover(cl), cron.SkipIfStillRunning(cl)), cron.WithLogger(cl)),
		logger:     logger,
		afterCycle: afterCycle,
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.live.touch(time.Now())
	s.drain, s.stopDrain = context.WithCancel(context.Background())
	if _, err := s.Update(feeds, globalSpec); err != nil {
		return nil, err
	}
	return s, nil
}

// Update makes feeds, with globalSpec for those without a schedule of
// their own, what the Scheduler fetches from now on: feeds no longer listed
// are not fetched again (a cycle already running finishes), changed
// schedules take effect, and feeds that are new or whose URL changed are
// fetched at once (once Start has run). It returns those. A bad schedule
// is an error and changes nothing.
func (s *Scheduler) Update(feeds []wirefeed.Feed, globalSpec string) ([]wirefeed.Feed, error) {
	byName := map[string]*group{}
	bySpec := map[string]*group{}
	var order []*group
	for _, f := range feeds {
		spec := cmp.Or(f.Schedule, globalSpec)
		g := bySpec[spec]
		if g == nil {
			sched, err := CronParser.Parse(spec)
			if err != nil {
				return nil, fmt.Errorf("schedule %q: %w", spec, err)
			}
			now := time.Now()
			g = &group{spec: spec, sched: sched, spread: scheduleSpread(sched, s.runner.Jitter(), now), window: scheduleInterval(sched, now) / 2}
			bySpec[spec] = g
			order = append(order, g)
		}
		g.feeds = append(g.feeds, f)
		byName[f.Name] = g
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var fresh []wirefeed.Feed
	old := map[string]string{}
	for _, f := range s.feeds {
		old[f.Name] = f.URL
	}
	for _, f := range feeds {
		if u, ok := old[f.Name]; !ok || u != f.URL {
			fresh = append(fresh, f)
		}
	}
	for _, id := range s.entries {
		s.cron.Remove(id)
	}
	s.entries = s.entries[:0]
	for _, g := range order {
		g.entry = s.cron.Schedule(g.sched, cron.FuncJob(func() { s.cycle(g.feeds, g.spread) }))
		s.entries = append(s.entries, g.entry)
	}
	s.feeds, s.groups = feeds, byName
	if s.started && !s.stopped && len(fresh) > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.cycle(fresh, 0)
		}()
	}
	return fresh, nil
}

// scheduleSpread is the jitter window for a schedule: jitter, but at most
// half the interval between two of its ticks, so a feed's spread fetch
// never runs into its next tick.
func scheduleSpread(sched cron.Schedule, jitter time.Duration, now time.Time) time.Duration {
	return max(0, min(jitter, scheduleInterval(sched, now)/2))
}

// scheduleInterval is the time between the schedule's next two ticks.
func scheduleInterval(sched cron.Schedule, now time.Time) time.Duration {
	first := sched.Next(now)
	return sched.Next(first).Sub(first)
}

// claimWindow is how long a feed's fetch counts for its cycle when several
// instances share the work: half its schedule's interval. Instances whose
// ticks of one schedule fall within that of each other's fetch it once;
// the next tick, a whole interval later, fetches it again.
func (s *Scheduler) claimWindow(name string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.groups[name]; g != nil {
		return g.window
	}
	return 0
}

// NextAttempt returns when the feed named name will next be fetched if it
// may not be fetched before earliest (see EarliestAttempt): the first tick
// of its schedule at or after earliest, plus the feed's spread offset. It
// returns earliest for a feed the Scheduler does not know.
func (s *Scheduler) NextAttempt(name string, earliest time.Time) time.Time {
	s.mu.Lock()
	g := s.groups[name]
	s.mu.Unlock()
	if g == nil {
		return earliest
	}
	tick := time.Time{}
	for _, e := range s.cron.Entries() {
		if e.ID == g.entry {
			tick = e.Next
		}
	}
	if tick.IsZero() { // not started yet
		tick = g.sched.Next(time.Now())
	}
	for i := 0; tick.Before(earliest) && i < 1_000_000; i++ {
		tick = g.sched.Next(tick)
	}
	return tick.Add(spreadOffset(name, g.spread))
}

// Start runs one cycle over every feed at once (so a fresh daemon has
// something to serve) and then starts the schedules.
func (s *Scheduler) Start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.mu.Lock()
		feeds := s.feeds
		s.mu.Unlock()
		s.cycle(feeds, 0) // at once: a fresh daemon should have something to serve
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.stopped {
			s.started = true
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
	rep, err := s.runner.RunCycle(s.ctx, feeds, CycleOptions{Spread: spread, Drain: s.drain, NextAttempt: s.NextAttempt, ClaimWindow: s.claimWindow})
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
		slog.Int("interrupted", rep.Interrupted()),
		slog.Duration("took", rep.Duration.Round(time.Millisecond)))
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
