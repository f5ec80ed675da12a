package store

import (
	"context"
	"fmt"
	"time"
)

// probeEvery is how often WriteProbe really writes; calls in between get
// the last answer, so a client polling readiness cannot turn it into a
// stream of commits.
const probeEvery = time.Second

// WriteProbe proves that a write reaches the database: it commits a
// heartbeat row (meta key 'ready_probe', the time in unix seconds), which
// fails when the disk is full, the file or its directory became read-only,
// or the lock cannot be had within ctx. A rolled-back write would prove
// none of that: SQLite writes nothing to the file until commit. It does
// not move the generation, so no rendering is invalidated. It writes at
// most once a second and returns the last result in between.
func (s *Store) WriteProbe(ctx context.Context) error {
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	now := nowFunc()
	if !s.probeAt.IsZero() && now.Sub(s.probeAt) < probeEvery && now.Sub(s.probeAt) >= 0 {
		return s.probeErr
	}
	s.probeAt, s.probeErr = now, s.writeProbe(ctx, now)
	return s.probeErr
}

func (s *Store) writeProbe(ctx context.Context, now time.Time) error {
	if s.readOnly {
		return fmt.Errorf("store: write probe: %w", ErrReadOnly)
	}
	// Wait for the process's own writer as long as ctx allows, not
	// longer: a readiness check must answer, not queue.
	for !s.wmu.TryLock() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("store: write probe: waiting for the writer: %w", ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: write probe: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.stmts.text(`INSERT INTO meta (key, value) VALUES ('ready_probe', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`), now.Unix()); err != nil {
		return fmt.Errorf("store: write probe: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: write probe: commit: %w", err)
	}
	return nil
}
