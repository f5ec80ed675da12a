package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/store"
)

func TestWriteProbeCommitsAHeartbeat(t *testing.T) {
	st, _ := MustOpen(t, dedupe.New(dedupe.Options{}))
	ctx := context.Background()
	gen, _ := st.Generation(ctx)
	if err := st.WriteProbe(ctx); err != nil {
		t.Fatalf("WriteProbe on a writable database: %v", err)
	}
	var beat int64
	if err := store.DB(st).QueryRow(`SELECT value FROM meta WHERE key = 'ready_probe'`).Scan(&beat); err != nil || beat == 0 {
		t.Errorf("heartbeat row = %d (%v): the probe must commit", beat, err)
	}
	if g, _ := st.Generation(ctx); g != gen {
		t.Errorf("the probe moved the generation from %d to %d: every rendering would be redone", gen, g)
	}
	// Within a second the last answer is given again, without a write.
	if _, err := store.DB(st).Exec(`DELETE FROM meta WHERE key = 'ready_probe'`); err != nil {
		t.Fatal(err)
	}
	if err := st.WriteProbe(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	store.DB(st).QueryRow(`SELECT count(*) FROM meta WHERE key = 'ready_probe'`).Scan(&n)
	if n != 0 {
		t.Error("a second probe within a second wrote again")
	}
}

func TestWriteProbeGivesUpWithItsContext(t *testing.T) {
	st, _ := MustOpen(t, dedupe.New(dedupe.Options{}))
	// Another connection holds the write lock: the probe must answer
	// within its context, not wait for the busy timeout.
	tx, err := store.DB(st).Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE meta SET value = value WHERE key = 'generation'`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = st.WriteProbe(ctx)
	if err == nil {
		t.Fatal("WriteProbe succeeded while another transaction held the write lock")
	}
	if d := time.Since(start); d > 5*time.Second { // gross: the busy timeout is 10 s
		t.Errorf("WriteProbe took %s with a 200ms context", d)
	}
}

// TestReadOnlyStore: a read-only store reads what was committed and
// writes nothing, not even a migration.
func TestReadOnlyStore(t *testing.T) {
	st, path := MustOpen(t, dedupe.New(dedupe.Options{}))
	ctx := context.Background()
	feed := wirefeed.Feed{Name: "Agency", URL: "https://agency.example/rss"}
	if _, err := st.Record(ctx, &wirefeed.Outcome{Feed: feed, Attempted: t0, Status: 200,
		Items: []wirefeed.Item{item("g1", "https://agency.example/1", "Sanctions agreed", wireText, t0)}}); err != nil {
		t.Fatal(err)
	}
	// While the writer is open (its -wal file exists) and after it closed.
	for _, writerOpen := range []bool{true, false} {
		if !writerOpen {
			st.Close()
		}
		ro, err := store.Open(ctx, path, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("writer open %v: %v", writerOpen, err)
		}
		stories, err := ro.Stories(ctx, wirefeed.StoryQuery{})
		if err != nil || len(stories) != 1 || stories[0].Representative.Title != "Sanctions agreed" {
			t.Errorf("writer open %v: stories %+v, %v", writerOpen, stories, err)
		}
		if err := ro.WriteProbe(ctx); !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("WriteProbe on a read-only store = %v, want ErrReadOnly", err)
		}
		if _, err := store.DB(ro).Exec(`UPDATE meta SET value = value + 1 WHERE key = 'generation'`); err == nil {
			t.Error("a read-only store accepted a write")
		}
		ro.Close()
	}
	// A database this version would have to migrate is refused.
	rw, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.DB(rw).Exec(`DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	if _, err := store.Open(ctx, path, store.Options{ReadOnly: true}); err == nil {
		t.Error("a read-only open accepted a database that needs a migration")
	}
}
