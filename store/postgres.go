package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/redact"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// PostgreSQL (issue 11): the store runs on PostgreSQL when it is opened with
// a postgres:// DSN instead of a file path, for deployments that run
// several instances on one database. The schema comes from its own
// embedded migrations (pgmigrations/), the same tables and columns as on
// SQLite, so the store's queries and logic are shared.
//
// Writers are serialised as on SQLite: every write transaction takes one
// transaction-scoped advisory lock (pgWriteLock) before anything else, and
// holds it until it commits or rolls back. That is what makes the change
// log's positions follow commit order (a deduplicator that read the log up
// to p has missed nothing before p, see changes.go), and it serialises
// matching across instances: each instance matches inside its write
// transaction after catching up with the others, so two copies of a story
// recorded by two instances at the same moment never split it. Fetching,
// parsing and everything else run in parallel on every instance.

//go:embed pgmigrations/*.sql
var pgMigrations embed.FS

// Advisory lock keys, in a range of their own ("wf" and a number).
const (
	pgWriteLock   int64 = 0x7766_0000_0000_0001 // held by every write transaction
	pgMigrateLock int64 = 0x7766_0000_0000_0002 // held while migrating
)

// IsPostgres reports whether dsn names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than an SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// RedactDSN returns dsn fit for messages and logs: without its userinfo
// (user and password) and with secret parameters (password=) masked, as
// internal/redact shows every URL.
func RedactDSN(dsn string) string { return redact.New(nil, dsn).URL(dsn) }

// openPostgresDB opens a pool on dsn and checks that the server answers.
func openPostgresDB(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migratePostgres applies the migrations the database lacks, in one
// transaction under an advisory lock, so that instances starting together
// on a new database do not race to create it.
func migratePostgres(ctx context.Context, db *sql.DB, upTo int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pgMigrateLock); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := migrationFiles(pgMigrations, "pgmigrations/*.sql")
	if err != nil {
		return err
	}
	for _, m := range files {
		name, v, base := m.name, m.version, path.Base(m.name)
		if v > upTo {
			break
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, v).Scan(&n); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if n > 0 {
			continue
		}
		body, err := pgMigrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`, v, nowFunc().Unix()); err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// pgLockWriter makes tx the database's one writer until it ends.
func pgLockWriter(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, pgWriteLock); err != nil {
		return fmt.Errorf("taking the write lock: %w", err)
	}
	return nil
}

// openPostgres opens the PostgreSQL database dsn names, migrated up to
// upTo (or only checked, read-only), and starts renewing this instance's
// feed leases. Errors name the database without its password.
func openPostgres(ctx context.Context, dsn string, opts Options, upTo int) (*Store, error) {
	name := RedactDSN(dsn)
	db, err := openPostgresDB(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", name, redactErr(err, dsn))
	}
	s := &Store{db: db, stmts: newStmtCache(db, true), path: name, matcher: opts.Matcher, logger: opts.Logger,
		pg: true, readOnly: opts.ReadOnly}
	if opts.ReadOnly {
		if err := s.checkSchema(ctx, pgMigrations, "pgmigrations/*.sql"); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s read-only: %w", name, err)
		}
		return s, nil
	}
	if err := migratePostgres(ctx, db, upTo); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	if upTo < math.MaxInt {
		return s, nil
	}
	if err := s.startSearchRebuild(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", name, err)
	}
	ttl := opts.LeaseTTL
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	s.leases = startLeases(db, newInstanceID(), ttl, opts.Logger)
	return s, nil
}

// redactErr is err with dsn's secrets, should the driver quote them,
// masked.
func redactErr(err error, dsn string) error {
	secrets := dsn
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		// The user name is no secret: the driver's "user=…" stays.
		pw, _ := u.User.Password()
		u.User = url.UserPassword("", pw)
		secrets = u.String()
	}
	msg := redact.New(nil, secrets).Text(err.Error())
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}

// ClaimFeeds implements fetcher.Claimer: on PostgreSQL, where several
// instances share the feeds, it claims the named feeds for this instance
// (leases.go). On SQLite every feed is the caller's.
func (s *Store) ClaimFeeds(ctx context.Context, names []string, window time.Duration) ([]wirefeed.ClaimState, error) {
	if s.leases == nil {
		out := make([]wirefeed.ClaimState, len(names))
		for i := range out {
			out[i] = wirefeed.ClaimGranted
		}
		return out, nil
	}
	return s.leases.claim(ctx, names, window)
}

// LeaseTTL implements fetcher.Claimer: how long a claim lasts without
// renewal; zero on a store that is not shared (SQLite, or read-only).
func (s *Store) LeaseTTL() time.Duration {
	if s.leases == nil {
		return 0
	}
	return s.leases.ttl
}
