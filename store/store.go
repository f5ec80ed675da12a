// Package store keeps wirefeed's state in an embedded SQLite database, or
// in PostgreSQL (postgres.go) for several instances sharing one database:
// feeds and their health, items, and the stories (clusters) they belong to.
// It owns durability: the schema comes from embedded, versioned migrations;
// each fetched feed is recorded in one transaction; readers never see half
// of a feed's items.
//
// SQLite runs in WAL mode with synchronous=NORMAL: a crash of the
// process (kill -9) loses no committed transaction; a power loss may lose
// the last few, which is harmless here because the feed validators (ETag,
// Last-Modified) are lost with them and the next cycle fetches those items
// again.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wirefeed/wirefeed"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// nowFunc is the clock; tests override it.
var nowFunc = time.Now

// ErrNotFound is returned when a requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrNoMatcher is returned by Record on a store opened without a Matcher.
var ErrNoMatcher = errors.New("store: opened without a matcher; cannot record items")

// Store is an open database. It is safe for concurrent use: reads run in
// parallel, writes are serialised.
type Store struct {
	db      *sql.DB
	stmts   *stmtCache
	path    string
	matcher wirefeed.Matcher
	logger  *slog.Logger
	wmu     sync.Mutex // one writer at a time
	genMu   sync.Mutex // guards the generation's own connection
	genConn *sql.Conn
	genStmt *sql.Stmt

	readOnly bool

	// pg: the database is PostgreSQL (postgres.go); leases: this
	// instance's feed leases there (leases.go).
	pg     bool
	leases *leases

	rebuild searchRebuild // the search index's background rebuild (rebuild.go)

	probeMu  sync.Mutex // WriteProbe's last answer
	probeAt  time.Time
	probeErr error

	totalsMu sync.Mutex // Totals' last count and the generation it was made at
	totals   wirefeed.Totals
	totalsAt int64
	totalsOK bool // totals holds a count
}

// Options configures Open.
type Options struct {
	// Matcher assigns items to stories, in one matching session per
	// write transaction (wirefeed.Matcher). It may be nil for a store that
	// is only read (export); Record then fails with ErrNoMatcher.
	Matcher wirefeed.Matcher
	Logger  *slog.Logger
	// ReadOnly opens an existing database for reading only, never writing
	// to it, not even to migrate it: for commands that only read (export,
	// explain), which may run as a user who may only read the file. See
	// openReadOnly.
	ReadOnly bool
	// LeaseTTL is how long this instance's claim on a feed lasts without
	// renewal, on PostgreSQL (ClaimFeeds): how soon another instance takes
	// over the feeds of one that died. Zero means DefaultLeaseTTL.
	LeaseTTL time.Duration
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date. A postgres:// URL instead of a path opens a PostgreSQL
// database (postgres.go).
func Open(ctx context.Context, dbPath string, opts Options) (*Store, error) {
	return open(ctx, dbPath, opts, math.MaxInt)
}

// open opens the database with its schema brought up to version upTo
// (tests build databases as older versions left them).
func open(ctx context.Context, dbPath string, opts Options, upTo int) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if IsPostgres(dbPath) {
		return openPostgres(ctx, dbPath, opts, upTo)
	}
	if opts.ReadOnly {
		return openReadOnly(ctx, dbPath, opts)
	}
	// Pragmas in the DSN run on every new pooled connection; a plain Exec
	// would set only one of them. _txlock=immediate makes every write
	// transaction take the write lock at BEGIN, so a transaction that reads
	// and then writes cannot fail with SQLITE_BUSY_SNAPSHOT.
	q := url.Values{}
	// Each connection keeps up to 8 MB of pages (SQLite's default is 2
	// MB): the upper levels of the item indexes a new item is looked up
	// in stay cached however long history grows. Memory-mapped I/O is left
	// off: with a million items stored, 64 or 256 MB of mmap added their
	// size to the resident memory of `wirefeed fetch` and saved no
	// measurable CPU time (.ci/bench-scale.sh). PRAGMA optimize (at open,
	// after each cycle) samples at most about 1,000 rows per index: without
	// that bound, the first open after a table grew tenfold analysed it
	// whole (11.5 s before /healthz with a million items; 0.6 s with it).
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)",
		"cache_size(-8192)", "temp_store(MEMORY)", "analysis_limit(1000)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	if err := createWithPageSize(ctx, dbPath); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dbPath, err)
	}
	dsn := "file:" + dbPath + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dbPath, err)
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, stmts: newStmtCache(db, false), path: dbPath, matcher: opts.Matcher, logger: opts.Logger}
	if err := s.migrate(ctx, upTo); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", dbPath, err)
	}
	// Statistics for the query planner, gathered (on a sample) only for
	// tables that changed enough since the last time; the plans of every
	// statement are checked with and without them (plan_test.go).
	if _, err := db.ExecContext(ctx, `PRAGMA optimize=0x10002`); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", dbPath, err)
	}
	if upTo < math.MaxInt {
		return s, nil // an old schema, for tests: no search index yet
	}
	if err := s.startSearchRebuild(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", dbPath, err)
	}
	return s, nil
}

// pageSize is the page size of a new database. An item row (its body
// compressed) is 1.5 to 4 KB: in 4 KB pages most pages held one row and
// wasted a third of their space; in 8 KB pages rows share them.
const pageSize = 8192

// createWithPageSize creates the database file with pageSize pages when it
// does not exist yet. (The driver runs the DSN's pragmas in alphabetical
// order, journal_mode before page_size, and a WAL database keeps the page
// size it was made with.)
func createWithPageSize(ctx context.Context, dbPath string) error {
	if fi, err := os.Stat(dbPath); err == nil && fi.Size() > 0 {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, fmt.Sprintf("PRAGMA page_size = %d; PRAGMA journal_mode = WAL", pageSize))
	return err
}

// Close closes the database, checkpointing the WAL into the main file.
func (s *Store) Close() error {
	s.stopSearchRebuild()
	if s.leases != nil {
		s.leases.close()
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if !s.readOnly && !s.pg {
		_, _ = s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	s.stmts.close()
	s.genMu.Lock()
	if s.genConn != nil {
		s.genStmt.Close()
		s.genConn.Close()
		s.genConn, s.genStmt = nil, nil
	}
	s.genMu.Unlock()
	return s.db.Close()
}

func (s *Store) migrate(ctx context.Context, upTo int) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := migrationFiles(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	for _, m := range files {
		if m.version > upTo {
			break
		}
		if err := s.applyMigration(ctx, m.version, m.name); err != nil {
			return fmt.Errorf("migrate %s: %w", path.Base(m.name), err)
		}
	}
	return nil
}

// migrationFile is one embedded migration: its version, from the number
// its file name starts with, and its path in the embedded tree.
type migrationFile struct {
	version int
	name    string
}

// migrationFiles lists the migrations of fsys that match pattern, in
// version order.
func migrationFiles(fsys fs.FS, pattern string) ([]migrationFile, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	files := make([]migrationFile, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migrate: %s: file name must start with a version number", base)
		}
		files = append(files, migrationFile{version: v, name: name})
	}
	return files, nil
}

func (s *Store) applyMigration(ctx context.Context, version int, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, version, nowFunc().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// Generation returns a number that grows whenever anything a reader of the
// merged feed could see has changed.
// It is read on a connection of its own, so that it never waits for one
// of the pool: every cached response of the merged feed asks for it, and
// slow searches must not hold those up.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	if s.genStmt == nil {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("store: generation: %w", err)
		}
		st, err := conn.PrepareContext(ctx, `SELECT value FROM meta WHERE key = 'generation'`)
		if err != nil {
			conn.Close()
			return 0, fmt.Errorf("store: generation: %w", err)
		}
		s.genConn, s.genStmt = conn, st
	}
	var g int64
	if err := s.genStmt.QueryRowContext(ctx).Scan(&g); err != nil {
		return 0, fmt.Errorf("store: generation: %w", err)
	}
	return g, nil
}

// bumpGeneration records, inside tx, that something a reader of the merged
// feed could see has changed.
func bumpGeneration(ctx context.Context, tx *txn) error {
	_, err := tx.exec(ctx, `UPDATE meta SET value = value + 1 WHERE key = 'generation'`)
	return err
}

// Checkpoint copies the WAL into the database file and truncates it, so a
// long-running daemon's WAL does not grow without bound, and refreshes the
// query planner's statistics where the data changed enough. On PostgreSQL
// the server does both itself (autovacuum); Checkpoint does nothing.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.pg {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, "PRAGMA optimize"); err != nil {
		return fmt.Errorf("store: optimize: %w", err)
	}
	return nil
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(v, 0).UTC()
}
