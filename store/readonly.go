package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"time"
)

// ErrReadOnly is returned (wrapped) by writes to a store opened with
// Options.ReadOnly.
var ErrReadOnly = errors.New("store: opened read-only")

// openReadOnly opens an existing database without writing to it.
//
// While a writer has the database open there is a -wal file beside it,
// and the database is opened with mode=ro, which keeps WAL semantics:
// the reader sees each committed transaction whole while the daemon goes
// on writing. Without a -wal file no writer is at work, and the database
// is opened immutable (no locks, no WAL): mode=ro would create -wal and
// -shm files it cannot remove afterwards, owned by whoever ran the
// command, which a daemon running as another user could then not open.
// (A daemon that starts writing during such a read may make it fail; it
// cannot make it change the database.) The schema must be current: a
// read-only open cannot migrate.
//
// Nor does it start or resume a rebuild of the search index (rebuild.go):
// export and explain do not search, and a search on a read-only store
// answers from what is indexed, during an unfinished rebuild the items
// from its cursor up (the newest).
func openReadOnly(ctx context.Context, dbPath string, opts Options) (*Store, error) {
	q := url.Values{"immutable": {"1"}}
	if walExists(dbPath) {
		q = url.Values{"mode": {"ro"}}
	}
	s, err := openWith(ctx, dbPath, opts, q)
	if err != nil {
		return nil, fmt.Errorf("store: open %s read-only: %w", dbPath, err)
	}
	if err := s.checkSchema(ctx, migrations, "migrations/*.sql"); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store: open %s read-only: %w", dbPath, err)
	}
	return s, nil
}

func walExists(dbPath string) bool {
	_, err := os.Stat(dbPath + "-wal")
	return err == nil
}

func openWith(ctx context.Context, dbPath string, opts Options, q url.Values) (*Store, error) {
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "query_only(1)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+dbPath+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// sql.Open connects lazily: read something to know it works.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, stmts: newStmtCache(db, false), path: dbPath, matcher: opts.Matcher, logger: opts.Logger, readOnly: true}, nil
}

// checkSchema returns an error when the database misses migrations that
// this version embeds (those of fsys that match pattern).
func (s *Store) checkSchema(ctx context.Context, fsys fs.FS, pattern string) error {
	files, err := migrationFiles(fsys, pattern)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no migrations embedded under %s", pattern)
	}
	want := files[len(files)-1].version
	var have sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("not a wirefeed database: %w", err)
	}
	if int(have.Int64) < want {
		return fmt.Errorf("schema version %d, this wirefeed needs %d: run wirefeed fetch or serve once with write access to migrate it", have.Int64, want)
	}
	return nil
}
