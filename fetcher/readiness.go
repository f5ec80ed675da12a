package fetcher

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// ErrCyclesStalled is returned (wrapped) by Scheduler.CheckCycles when no
// fetch cycle has started or ended for longer than the schedules allow.
var ErrCyclesStalled = errors.New("fetcher: no recent fetch cycle")

// liveness remembers when the Scheduler last showed signs of life: its
// creation, and the start and end of every cycle.
type liveness struct {
	mu   sync.Mutex
	last time.Time
}

func (l *liveness) touch(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.After(l.last) {
		l.last = t
	}
}

// CheckCycles returns nil when fetch cycles run as scheduled at now: one
// started or ended since the tick that followed the last sign of life, or
// that tick is less than one interval late (a schedule's tick may be
// skipped while a long cycle still runs). A stuck cycle, or a scheduler
// that stopped ticking, gives an error wrapping ErrCyclesStalled.
func (s *Scheduler) CheckCycles(now time.Time) error {
	s.live.mu.Lock()
	last := s.live.last
	s.live.mu.Unlock()
	s.mu.Lock()
	var schedules []cron.Schedule
	seen := map[*group]bool{}
	for _, g := range s.groups {
		if !seen[g] {
			seen[g] = true
			schedules = append(schedules, g.sched)
		}
	}
	s.mu.Unlock()
	var due, late time.Time
	for _, sched := range schedules {
		next := sched.Next(last)
		// Allow one whole interval past the tick: jitter, a skipped tick.
		if l := next.Add(max(time.Minute, sched.Next(next).Sub(next))); late.IsZero() || l.Before(late) {
			due, late = next, l
		}
	}
	if late.IsZero() || now.Before(late) {
		return nil
	}
	return fmt.Errorf("%w: none has started or ended since %s; one was due at %s",
		ErrCyclesStalled, last.UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339))
}
