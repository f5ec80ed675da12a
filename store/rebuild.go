package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// The search index is rebuilt in the background when it was built with
// another normalisation (searchVersion), or never: with a million items
// the rebuild takes minutes, and a daemon that served nothing meanwhile
// failed its health checks and was restarted, which threw the rebuild
// away. Open only starts it (startSearchRebuild): it empties the index
// and records in meta the highest item id (search_rebuild_to) and a
// cursor (search_rebuild_cursor: the items from it up to rebuild_to are
// indexed). A goroutine then indexes the items below the cursor, newest
// first (recent stories, which feeds show first, are searchable first),
// a chunk of items per transaction that also moves the cursor: a crash
// loses at most a chunk's work, and the next Open resumes from the
// cursor. The last chunk sets search_version and removes the rest.
//
// Meanwhile the write path indexes new items (their ids are above
// rebuild_to) and updated items above the cursor; it leaves an updated
// item below the cursor to the rebuild, which indexes the text it has
// then (a contentless FTS5 index would otherwise hold it twice). A search
// answers from what is indexed.
const (
	metaRebuildTo     = "search_rebuild_to"
	metaRebuildCursor = "search_rebuild_cursor"
	metaRebuildDone   = "search_rebuild_done"
	metaRebuildTotal  = "search_rebuild_total"
	// metaRebuildVersion is the searchVersion the rebuild builds: a
	// rebuild left unfinished by an older wirefeed starts over.
	metaRebuildVersion = "search_rebuild_version"
)

// Statements of the rebuild (plan_test.go checks their plans).
const (
	qRebuildState = `SELECT key, value FROM meta WHERE key IN ('search_rebuild_to', 'search_rebuild_cursor', 'search_rebuild_done', 'search_rebuild_total', 'search_rebuild_version')`
	qRebuildMaxID = `SELECT max(id) FROM items`
	// qRebuildCount reads the narrowest index of items (a range of
	// rowids would read the table's rows, gigabytes at a million items):
	// items stored since the rebuild started are counted too, a handful.
	qRebuildCount   = `SELECT count(*) FROM items`
	qRebuildChunk   = `SELECT id, title, body, summary, text FROM items WHERE id < ? ORDER BY id DESC LIMIT ?`
	qRebuildCursor  = `SELECT value FROM meta WHERE key = 'search_rebuild_cursor'`
	qRebuildSetMeta = `UPDATE meta SET value = ? WHERE key = ?`
	qRebuildAddMeta = `INSERT INTO meta (key, value) VALUES (?, ?)`
	qRebuildEnd     = `DELETE FROM meta WHERE key IN ('search_rebuild_to', 'search_rebuild_cursor', 'search_rebuild_done', 'search_rebuild_total', 'search_rebuild_version')`
	qSearchVersion  = `SELECT value FROM meta WHERE key = 'search_version'`
	qSetVersion     = `UPDATE meta SET value = ? WHERE key = 'search_version'`
	// qEmptyIndex empties the contentless FTS5 index at once, without
	// reading its rows.
	qEmptyIndex   = `INSERT INTO items_search (items_search) VALUES ('delete-all')`
	qEmptyIndexPG = `TRUNCATE items_search`
)

// searchRebuildChunk is how many items one transaction of the rebuild
// indexes (tests lower it).
var searchRebuildChunk = 500

// searchRebuildPause is how long the rebuild leaves the writer lock free
// between two chunks: a fetch cycle waiting for it gets it at once (the
// mutex hands it over to a waiter), but the readiness probe only tries it
// every few milliseconds (probe.go), and would find it free for
// microseconds without this.
const searchRebuildPause = 10 * time.Millisecond

// searchRebuildLogEvery is how many chunks pass between two progress
// lines of the log; the merged feed's generation moves with them, so that
// cached search answers see what was indexed meanwhile.
const searchRebuildLogEvery = 50

// rebuildChunkHook, when set (tests), runs before each chunk of the
// rebuild, outside the writer lock, with the rebuild's context (Close
// cancels it).
var rebuildChunkHook func(context.Context)

// searchRebuild is the state of a background rebuild of the search index.
type searchRebuild struct {
	// below is, while a rebuild runs on SQLite, the cursor: items with a
	// lower id are not indexed yet, and the write path leaves them to the
	// rebuild. Zero otherwise (on PostgreSQL the index's upsert makes a
	// second indexing harmless). Guarded by Store.wmu.
	below int64
	// done and total count the items indexed and to index, for the status
	// page; total is 0 when no rebuild runs.
	done, total atomic.Int64
	// ran counts the items this Store's goroutine indexed, and longest is
	// the longest a chunk held the writer lock, in nanoseconds
	// (SearchRebuildStats).
	ran, longest atomic.Int64

	cancel   context.CancelFunc
	finished chan struct{} // closed when the goroutine has returned
}

// SearchRebuild reports, while the search index is rebuilt in the
// background, how many of how many items it holds; total is 0 when the
// index is complete.
func (s *Store) SearchRebuild() (done, total int64) {
	return s.rebuild.done.Load(), s.rebuild.total.Load()
}

// SearchRebuildStats reports what this Store's background rebuild of the
// search index did so far: the items it indexed, and the longest time one
// of its chunks held the writer lock (fetch cycles wait for it that long
// at most).
func (s *Store) SearchRebuildStats() (items int64, longestChunk time.Duration) {
	return s.rebuild.ran.Load(), time.Duration(s.rebuild.longest.Load())
}

// startSearchRebuild starts rebuilding the search index, or resumes the
// rebuild a previous Open started, when it was built with another
// normalisation. Read-only stores never call it.
func (s *Store) startSearchRebuild(ctx context.Context) error {
	var v int64
	if err := s.queryRow(ctx, qSearchVersion).Scan(&v); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if v == searchVersion {
		return nil
	}
	st, err := s.readRebuildState(ctx)
	if err != nil {
		return err
	}
	if st == nil {
		if st, err = s.beginRebuild(ctx); err != nil {
			return err
		}
		if st == nil {
			return nil // no items: nothing to index
		}
		s.logger.Info("search index rebuild started", slog.Int64("up_to_item", st[metaRebuildTo]))
	} else {
		s.logger.Info("search index rebuild resumed", slog.Int64("items", st[metaRebuildDone]), slog.Int64("of", st[metaRebuildTotal]))
	}
	if !s.pg {
		s.rebuild.below = st[metaRebuildCursor]
	}
	s.rebuild.done.Store(st[metaRebuildDone])
	s.rebuild.total.Store(max(st[metaRebuildTotal], 1))
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.rebuild.cancel = cancel
	s.rebuild.finished = make(chan struct{})
	go s.runSearchRebuild(rctx, st)
	return nil
}

// readRebuildState returns the rebuild's state in meta, nil when none is
// recorded.
func (s *Store) readRebuildState(ctx context.Context) (map[string]int64, error) {
	rows, err := s.query(ctx, qRebuildState)
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	defer rows.Close()
	st := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
		st[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	if _, ok := st[metaRebuildCursor]; !ok || st[metaRebuildVersion] != searchVersion {
		return nil, nil
	}
	return st, nil
}

// beginRebuild empties the index and records the rebuild's start, in one
// short transaction. With no items stored it sets search_version instead
// and returns nil.
func (s *Store) beginRebuild(ctx context.Context) (map[string]int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.begin(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	defer tx.Rollback()
	empty := qEmptyIndex
	if s.pg {
		empty = qEmptyIndexPG
	}
	if _, err := tx.exec(ctx, empty); err != nil {
		return nil, fmt.Errorf("search index: emptying: %w", err)
	}
	if _, err := tx.exec(ctx, qRebuildEnd); err != nil { // an older version's
		return nil, fmt.Errorf("search index: %w", err)
	}
	var top sql.NullInt64
	if err := tx.queryRow(ctx, qRebuildMaxID).Scan(&top); err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	var st map[string]int64
	if !top.Valid {
		if _, err := tx.exec(ctx, qSetVersion, searchVersion); err != nil {
			return nil, fmt.Errorf("search index: %w", err)
		}
	} else {
		st = map[string]int64{metaRebuildTo: top.Int64, metaRebuildCursor: top.Int64 + 1, metaRebuildDone: 0, metaRebuildTotal: 0,
			metaRebuildVersion: searchVersion}
		for _, k := range []string{metaRebuildTo, metaRebuildCursor, metaRebuildDone, metaRebuildTotal, metaRebuildVersion} {
			if _, err := tx.exec(ctx, qRebuildAddMeta, k, st[k]); err != nil {
				return nil, fmt.Errorf("search index: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("search index: %w", err)
	}
	return st, nil
}

// runSearchRebuild indexes the items below the cursor, newest first, a
// chunk per transaction, until none is left or ctx ends (Close). An error
// is logged and the chunk tried again later.
func (s *Store) runSearchRebuild(ctx context.Context, st map[string]int64) {
	defer close(s.rebuild.finished)
	start := time.Now()
	if st[metaRebuildTotal] == 0 {
		// Counted once, outside the writer lock; the first chunk records
		// it.
		var n int64
		if err := s.queryRow(ctx, qRebuildCount).Scan(&n); err != nil {
			if ctx.Err() == nil {
				s.logger.Error("search index rebuild: counting items", slog.Any("err", err))
			}
		}
		s.rebuild.total.Store(max(n, 1))
	}
	startDone := s.rebuild.done.Load()
	wait := time.Second
	for chunks := 1; ; chunks++ {
		if ctx.Err() != nil {
			s.logger.Info("search index rebuild paused; the next start resumes it",
				slog.Int64("items", s.rebuild.done.Load()), slog.Int64("of", s.rebuild.total.Load()))
			return
		}
		if rebuildChunkHook != nil {
			rebuildChunkHook(ctx)
		}
		finished, err := s.rebuildChunk(ctx, chunks%searchRebuildLogEvery == 0)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			s.logger.Error("search index rebuild: chunk failed; trying again", slog.Any("err", err), slog.Duration("in", wait))
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait = min(2*wait, time.Minute)
			continue
		}
		wait = time.Second
		if !finished {
			select {
			case <-ctx.Done():
			case <-time.After(searchRebuildPause):
			}
		}
		if finished {
			s.logger.Info("search index rebuilt", slog.Int64("items", s.rebuild.done.Load()-startDone),
				slog.Duration("took", time.Since(start)))
			s.rebuild.total.Store(0)
			return
		}
		if chunks%searchRebuildLogEvery == 0 {
			s.logger.Info("search index rebuilding", slog.Int64("items", s.rebuild.done.Load()), slog.Int64("of", s.rebuild.total.Load()))
		}
	}
}

// readSearchBelow sets the transaction's searchBelow while a rebuild of
// the search index runs: below is this Store's cursor (read under wmu),
// and, when it is not zero, the cursor as committed replaces it, since
// another process on the same database (a cron fetch beside the daemon)
// may have moved it further down, indexing items this Store would
// otherwise still leave to the rebuild when they are updated.
func (tx *txn) readSearchBelow(ctx context.Context, below int64) error {
	tx.searchBelow = below
	if below == 0 {
		return nil
	}
	err := tx.queryRow(ctx, qRebuildCursor).Scan(&tx.searchBelow)
	if errors.Is(err, sql.ErrNoRows) {
		tx.searchBelow = 0 // finished by another process
		return nil
	}
	if err != nil {
		return fmt.Errorf("search index: rebuild cursor: %w", err)
	}
	return nil
}

// rebuildChunk indexes the next chunk of items below the cursor and moves
// the cursor, in one transaction under the writer lock; finished reports
// that none was left, and the rebuild's end recorded. With bump, the
// merged feed's generation moves (cached searches are answered again).
func (s *Store) rebuildChunk(ctx context.Context, bump bool) (finished bool, err error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	t0 := time.Now()
	defer func() {
		if d := int64(time.Since(t0)); d > s.rebuild.longest.Load() {
			s.rebuild.longest.Store(d)
		}
	}()
	tx, err := s.begin(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("search index: %w", err)
	}
	defer tx.Rollback()
	// The cursor as committed (on PostgreSQL another instance may have
	// moved it).
	var cursor int64
	if err := tx.queryRow(ctx, qRebuildCursor).Scan(&cursor); errors.Is(err, sql.ErrNoRows) {
		return true, nil // finished by another instance
	} else if err != nil {
		return false, fmt.Errorf("search index: %w", err)
	}
	rows, err := tx.query(ctx, qRebuildChunk, cursor, searchRebuildChunk)
	if err != nil {
		return false, fmt.Errorf("search index: %w", err)
	}
	var batch []searchRow
	for rows.Next() {
		var r searchRow
		var b itemBody
		if err := rows.Scan(&r.id, &r.title, &b.body, &b.summary, &b.text); err != nil {
			rows.Close()
			return false, fmt.Errorf("search index: %w", err)
		}
		if r.summary, r.text, _, err = b.read(); err != nil {
			rows.Close()
			return false, fmt.Errorf("search index: item %d: %w", r.id, err)
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("search index: %w", err)
	}
	// Written in ascending order of id: FTS5 writes what it holds in
	// memory to disk as a segment whenever a row's id is not above the
	// last one's, so rows written newest first made a segment per item
	// (30 times the CPU, measured at a million items).
	for i := len(batch) - 1; i >= 0; i-- {
		r := batch[i]
		if err := indexItem(ctx, tx, r.id, r.title, r.summary, r.text, false); err != nil {
			return false, err
		}
	}
	done := s.rebuild.done.Load() + int64(len(batch))
	if len(batch) < searchRebuildChunk {
		if _, err := tx.exec(ctx, qSetVersion, searchVersion); err != nil {
			return false, fmt.Errorf("search index: %w", err)
		}
		if _, err := tx.exec(ctx, qRebuildEnd); err != nil {
			return false, fmt.Errorf("search index: %w", err)
		}
		bump = true
	} else {
		cursor = batch[len(batch)-1].id // the lowest
		for _, kv := range []struct {
			k string
			v int64
		}{{metaRebuildCursor, cursor}, {metaRebuildDone, done}, {metaRebuildTotal, s.rebuild.total.Load()}} {
			if _, err := tx.exec(ctx, qRebuildSetMeta, kv.v, kv.k); err != nil {
				return false, fmt.Errorf("search index: %w", err)
			}
		}
	}
	if bump {
		if err := bumpGeneration(ctx, tx); err != nil {
			return false, fmt.Errorf("search index: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("search index: %w", err)
	}
	s.rebuild.done.Store(done)
	s.rebuild.ran.Add(int64(len(batch)))
	if len(batch) < searchRebuildChunk {
		s.rebuild.below = 0
		return true, nil
	}
	if !s.pg {
		s.rebuild.below = cursor
	}
	return false, nil
}

// stopSearchRebuild stops the background rebuild, if one runs, and waits
// for it: its state stays in meta, and the next Open resumes it.
func (s *Store) stopSearchRebuild() {
	if s.rebuild.cancel == nil {
		return
	}
	s.rebuild.cancel()
	<-s.rebuild.finished
}

// WaitSearchRebuild returns when no background rebuild of the search index
// runs (none started, or it finished or was stopped), or when ctx ends.
func (s *Store) WaitSearchRebuild(ctx context.Context) error {
	if s.rebuild.finished == nil {
		return nil
	}
	select {
	case <-s.rebuild.finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
