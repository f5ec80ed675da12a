package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/wirefeed/wirefeed"
)

// Shared work on PostgreSQL (issue 11): several `wirefeed serve` instances
// on one database fetch each feed once per cycle. An instance claims a feed
// just before fetching it (ClaimFeeds), for a lease of LeaseTTL that a
// goroutine of the store renews while the instance lives; recording the
// feed's outcome marks the lease done, in the same transaction. So:
//
//   - a feed under a live lease is held: another instance is fetching it;
//   - a feed claimed less than a cycle's window ago and done is not fetched
//     again in that cycle;
//   - a feed whose lease expired before it was done (its holder died, or
//     stopped renewing) is granted to the next instance that asks: taken
//     over, within the same cycle.
//
// Rows are locked with FOR UPDATE SKIP LOCKED: instances claiming at the
// same moment never wait for each other; a feed whose row another instance
// is claiming right now counts as held. Lease times are the database's
// clock (now()), so instances' clocks need not agree.

// DefaultLeaseTTL is how long a claim on a feed lasts without renewal: how
// soon a dead instance's feeds are taken over.
const DefaultLeaseTTL = time.Minute

// leases is an instance's side of the feed_leases table.
type leases struct {
	db     *sql.DB
	owner  string
	ttl    time.Duration
	logger *slog.Logger
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// newInstanceID names this process in the leases it holds: host, pid and a
// random part (a restarted process is another instance).
func newInstanceID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// startLeases returns owner's leases on db and starts renewing them every
// third of ttl, until close.
func startLeases(db *sql.DB, owner string, ttl time.Duration, logger *slog.Logger) *leases {
	ctx, cancel := context.WithCancel(context.Background())
	l := &leases{db: db, owner: owner, ttl: ttl, logger: logger, stop: cancel}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rctx, rcancel := context.WithTimeout(ctx, ttl/3)
			if err := l.renew(rctx); err != nil && ctx.Err() == nil {
				l.logger.Warn("could not renew this instance's feed leases; other instances take its feeds over when they expire",
					slog.Duration("lease", l.ttl), slog.Any("err", err))
			}
			rcancel()
		}
	}()
	return l
}

// micros is d in whole microseconds, as the lease queries take intervals.
func micros(d time.Duration) int64 { return d.Microseconds() }

const (
	qLeaseRows = `INSERT INTO feed_leases (feed, owner, claimed, expires, done)
		SELECT name, '', '-infinity', '-infinity', true FROM unnest($1::text[]) AS name
		ON CONFLICT (feed) DO NOTHING`
	// qLeaseClaim locks the rows it can ($1: names) without waiting,
	// grants those that are free ($2: owner, $3: window, $4: ttl, both
	// in microseconds), and answers for each row it locked: whether it
	// was granted, and whether it was done within the window.
	qLeaseClaim = `WITH cur AS (
			SELECT feed, claimed, expires, done FROM feed_leases WHERE feed = ANY($1::text[])
			FOR UPDATE SKIP LOCKED
		), took AS (
			UPDATE feed_leases l
			SET owner = $2,
			    claimed = CASE WHEN c.done OR c.claimed <= now() - $3 * interval '1 microsecond' THEN now() ELSE c.claimed END,
			    expires = now() + $4 * interval '1 microsecond',
			    done = false
			FROM cur c
			WHERE l.feed = c.feed
			  AND (c.done OR c.expires <= now())
			  AND (c.claimed <= now() - $3 * interval '1 microsecond' OR NOT c.done)
			RETURNING l.feed
		)
		SELECT c.feed, c.feed IN (SELECT feed FROM took), c.done AND c.claimed > now() - $3 * interval '1 microsecond' FROM cur c`
	qLeaseDone = `UPDATE feed_leases SET done = true, expires = now() WHERE feed = $1 AND owner = $2 AND NOT done`
	// qLeaseRenew renews the instance's leases ($1) for another ttl ($2),
	// except those claimed longer than maxHold ($3) ago: a claim whose
	// fetch is never recorded (the cycle was cancelled in between) is let
	// go, not held for as long as the instance lives.
	qLeaseRenew = `UPDATE feed_leases SET expires = now() + $2 * interval '1 microsecond'
		WHERE owner = $1 AND NOT done AND claimed > now() - $3 * interval '1 microsecond'`
	// qLeaseDrop lets one lease ($1: feed, $2: owner) go at once, without
	// marking it done: the fetch could not be stored, and whoever asks
	// next (this instance included) may fetch the feed again.
	qLeaseDrop    = `UPDATE feed_leases SET owner = '', expires = now() WHERE feed = $1 AND owner = $2 AND NOT done`
	qLeaseRelease = `UPDATE feed_leases SET expires = now() WHERE owner = $1 AND NOT done`
)

// claim answers ClaimFeeds.
func (l *leases) claim(ctx context.Context, names []string, window time.Duration) ([]wirefeed.ClaimState, error) {
	out := make([]wirefeed.ClaimState, len(names))
	if len(names) == 0 {
		return out, nil
	}
	if _, err := l.db.ExecContext(ctx, qLeaseRows, names); err != nil {
		return nil, fmt.Errorf("store: claim feeds: %w", err)
	}
	rows, err := l.db.QueryContext(ctx, qLeaseClaim, names, l.owner, micros(window), micros(l.ttl))
	if err != nil {
		return nil, fmt.Errorf("store: claim feeds: %w", err)
	}
	defer rows.Close()
	got := map[string]wirefeed.ClaimState{}
	for rows.Next() {
		var feed string
		var granted, done bool
		if err := rows.Scan(&feed, &granted, &done); err != nil {
			return nil, fmt.Errorf("store: claim feeds: %w", err)
		}
		switch {
		case granted:
			got[feed] = wirefeed.ClaimGranted
		case done:
			got[feed] = wirefeed.ClaimDone
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim feeds: %w", err)
	}
	for i, n := range names {
		out[i] = got[n]
		if out[i] == 0 {
			out[i] = wirefeed.ClaimHeld // a live lease, or being claimed right now
		}
	}
	return out, nil
}

// done marks, inside the transaction that records feed's outcome, this
// instance's lease on it done.
func (l *leases) done(ctx context.Context, tx execer, feed string) error {
	if _, err := tx.ExecContext(ctx, qLeaseDone, feed, l.owner); err != nil {
		return fmt.Errorf("ending the lease: %w", err)
	}
	return nil
}

// execer runs a statement; *sql.Tx is one.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// leaseMaxHold is how long after its claim a lease is renewed at most
// (or ten leases, if longer): far longer than a fetch and its record take
// (the fetch timeout is 30s by default). Tests shorten it.
var leaseMaxHold = 10 * time.Minute

func (l *leases) maxHold() time.Duration { return max(leaseMaxHold, 10*l.ttl) }

func (l *leases) renew(ctx context.Context) error {
	_, err := l.db.ExecContext(ctx, qLeaseRenew, l.owner, micros(l.ttl), micros(l.maxHold()))
	return err
}

// drop lets this instance's lease on feed go, after its outcome could not
// be recorded.
func (l *leases) drop(ctx context.Context, feed string) error {
	_, err := l.db.ExecContext(ctx, qLeaseDrop, feed, l.owner)
	return err
}

// close stops renewing and lets the leases still held expire at once, so
// that the other instances take those feeds over without waiting.
func (l *leases) close() {
	l.stop()
	l.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.db.ExecContext(ctx, qLeaseRelease, l.owner); err != nil {
		l.logger.Warn("could not release this instance's feed leases; they expire by themselves", slog.Any("err", err))
	}
}
