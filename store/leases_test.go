package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/pgtest"
)

// openLeasesDB returns a migrated PostgreSQL database for lease tests.
func openLeasesDB(t *testing.T) *sql.DB {
	t.Helper()
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	db, err := openPostgresDB(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := migratePostgres(ctx, db, math.MaxInt); err != nil {
		t.Fatal(err)
	}
	return db
}

// finish marks l's lease on feed done, as recording the feed does.
func finish(t *testing.T, db *sql.DB, l *leases, feed string) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := l.done(ctx, tx, feed); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func claimOne(t *testing.T, l *leases, feed string, window time.Duration) wirefeed.ClaimState {
	t.Helper()
	st, err := l.claim(context.Background(), []string{feed}, window)
	if err != nil {
		t.Fatal(err)
	}
	return st[0]
}

// TestLeasesGrantEachFeedOnce: instances claiming the same feeds at the same
// moment get each feed exactly once between them.
func TestLeasesGrantEachFeedOnce(t *testing.T) {
	db := openLeasesDB(t)
	const instances, feeds = 4, 40
	var names []string
	for i := range feeds {
		names = append(names, fmt.Sprintf("feed %d", i))
	}
	granted := make([][]string, instances)
	var wg sync.WaitGroup
	for k := range instances {
		l := startLeases(db, fmt.Sprint("instance ", k), time.Minute, slog.New(slog.DiscardHandler))
		t.Cleanup(l.close)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One feed at a time, as a cycle's workers ask, in an order
			// of the instance's own.
			for i := range feeds {
				n := names[(i*(k+1)+k)%feeds]
				st, err := l.claim(context.Background(), []string{n}, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if st[0] == wirefeed.ClaimGranted {
					granted[k] = append(granted[k], n)
				}
			}
		}()
	}
	wg.Wait()
	count := map[string]int{}
	for _, g := range granted {
		for _, n := range g {
			count[n]++
		}
	}
	for _, n := range names {
		if count[n] != 1 {
			t.Errorf("%s granted %d times, want once", n, count[n])
		}
	}
}

// TestLeasesLifecycle: held while its holder lives and renews, done once
// recorded (and granted again only after the window), taken over when its
// holder dies, released at once when its holder closes.
func TestLeasesLifecycle(t *testing.T) {
	db := openLeasesDB(t)
	const ttl = 300 * time.Millisecond
	const window = time.Minute
	a := startLeases(db, "a", ttl, slog.New(slog.DiscardHandler))
	b := startLeases(db, "b", ttl, slog.New(slog.DiscardHandler))
	t.Cleanup(b.close)

	if st := claimOne(t, a, "x", window); st != wirefeed.ClaimGranted {
		t.Fatalf("first claim: %v, want granted", st)
	}
	if st := claimOne(t, a, "x", window); st != wirefeed.ClaimHeld {
		t.Errorf("claiming one's own live lease again: %v, want held", st)
	}
	// a renews every ttl/3: its lease outlives the ttl many times over.
	time.Sleep(3 * ttl)
	if st := claimOne(t, b, "x", window); st != wirefeed.ClaimHeld {
		t.Errorf("a live, renewed lease: %v, want held", st)
	}
	finish(t, db, a, "x")
	if st := claimOne(t, b, "x", window); st != wirefeed.ClaimDone {
		t.Errorf("a feed recorded within the window: %v, want done", st)
	}
	if st := claimOne(t, b, "x", 0); st != wirefeed.ClaimGranted {
		t.Errorf("a feed recorded before the window: %v, want granted", st)
	}
	finish(t, db, b, "x")

	// a dies holding y: it stops renewing and releases nothing.
	if st := claimOne(t, a, "y", window); st != wirefeed.ClaimGranted {
		t.Fatalf("claim y: %v, want granted", st)
	}
	a.stop()
	a.wg.Wait()
	died := time.Now()
	if st := claimOne(t, b, "y", window); st != wirefeed.ClaimHeld {
		t.Errorf("y right after its holder died: %v, want held until its lease expires", st)
	}
	deadline := time.Now().Add(20 * ttl)
	for claimOne(t, b, "y", window) != wirefeed.ClaimGranted {
		if time.Now().After(deadline) {
			t.Fatalf("y not taken over %v after its holder died (lease %v)", time.Since(died), ttl)
		}
		time.Sleep(ttl / 10)
	}
	if took := time.Since(died); took < ttl*9/10 {
		t.Errorf("y taken over %v after its holder died, before its lease of %v expired", took, ttl)
	}
	// A takeover stays in the cycle it was claimed in: once recorded, it
	// is done for the rest of the window.
	finish(t, db, b, "y")
	c := startLeases(db, "c", ttl, slog.New(slog.DiscardHandler))
	if st := claimOne(t, c, "y", window); st != wirefeed.ClaimDone {
		t.Errorf("y after the takeover was recorded: %v, want done", st)
	}
	// A dead holder's late record does not end the new holder's lease.
	if st := claimOne(t, c, "z", 0); st != wirefeed.ClaimGranted {
		t.Fatal(st)
	}
	finish(t, db, a, "z")
	if st := claimOne(t, b, "z", window); st != wirefeed.ClaimHeld {
		t.Errorf("z after another instance's record: %v, want still held by c", st)
	}
	// Closing releases: the feed is granted at once, not after the ttl.
	c.close()
	if st := claimOne(t, b, "z", window); st != wirefeed.ClaimGranted {
		t.Errorf("z after its holder closed: %v, want granted at once", st)
	}
}

// TestLeaseHeldTooLongIsLetGo: a claim whose fetch is never recorded (its
// cycle was cancelled in between) is renewed only up to the longest hold,
// then expires like a dead instance's, though its instance lives on.
func TestLeaseHeldTooLongIsLetGo(t *testing.T) {
	db := openLeasesDB(t)
	// Restored after the leases below stop (cleanups run last first).
	saved := leaseMaxHold
	t.Cleanup(func() { leaseMaxHold = saved })
	leaseMaxHold = 0
	const ttl = 100 * time.Millisecond // held for at most 10 leases: 1s
	a := startLeases(db, "a", ttl, slog.New(slog.DiscardHandler))
	t.Cleanup(a.close)
	b := startLeases(db, "b", ttl, slog.New(slog.DiscardHandler))
	t.Cleanup(b.close)
	if st := claimOne(t, a, "x", time.Minute); st != wirefeed.ClaimGranted {
		t.Fatal(st)
	}
	claimed := time.Now()
	time.Sleep(3 * ttl)
	if st := claimOne(t, b, "x", time.Minute); st != wirefeed.ClaimHeld {
		t.Errorf("x while a renews it: %v, want held", st)
	}
	deadline := time.Now().Add(50 * ttl)
	for claimOne(t, b, "x", time.Minute) != wirefeed.ClaimGranted {
		if time.Now().After(deadline) {
			t.Fatalf("x still held %v after its claim (longest hold %v)", time.Since(claimed), a.maxHold())
		}
		time.Sleep(ttl / 2)
	}
	if took := time.Since(claimed); took < a.maxHold() {
		t.Errorf("x let go %v after its claim, before the longest hold of %v", took, a.maxHold())
	}
}
