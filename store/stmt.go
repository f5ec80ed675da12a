package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Prepared statements. SQLite compiles every SQL text it is given
// (sqlite3_prepare), which for the store's short statements costs as much
// as running them: recording a fetched feed spent more time compiling its
// SQL than executing it. So every statement the store runs has a fixed
// text (lists of values go in fixed-size batches, see inBatch), is prepared
// once on the database handle, and database/sql keeps one compiled copy per
// pooled connection and reuses it.

// stmtCache holds the store's prepared statements by their text. It is safe
// for concurrent use.
type stmtCache struct {
	db *sql.DB
	pg bool // PostgreSQL: texts are rebound, arguments converted (dialect.go)
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB, pg bool) *stmtCache {
	return &stmtCache{db: db, pg: pg, m: map[string]*sql.Stmt{}}
}

// text is q as the database takes it.
func (c *stmtCache) text(q string) string {
	if c.pg {
		return pgText(q)
	}
	return q
}

// args are args as the database takes them.
func (c *stmtCache) args(args []any) []any {
	if c.pg {
		return pgArgs(args)
	}
	return args
}

// get returns the prepared statement for query, preparing it the first
// time.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, c.text(query))
	if err != nil {
		return nil, fmt.Errorf("preparing %q: %w", firstLine(query), err)
	}
	c.m[query] = st
	return st, nil
}

// close closes every prepared statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}

func firstLine(q string) string {
	for i := range len(q) {
		if q[i] == '\n' {
			return q[:i] + "…"
		}
	}
	return q
}

// query runs a read statement outside any transaction.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := s.stmts.get(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, s.stmts.args(args)...)
}

// queryRow runs a read statement that returns one row, outside any
// transaction.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := s.stmts.get(ctx, q)
	if err != nil {
		// sql.Row carries no error of its own making; a query that
		// cannot be prepared fails the same way through the handle.
		return s.db.QueryRowContext(ctx, s.stmts.text(q), s.stmts.args(args)...)
	}
	return st.QueryRowContext(ctx, s.stmts.args(args)...)
}

// txn is a transaction that runs the store's prepared statements: each is
// bound to the transaction once, the first time it is used in it.
type txn struct {
	*sql.Tx
	stmts  *stmtCache
	bound  map[string]*sql.Stmt
	search []searchRow // see indexLater
	// searchBelow: items with a lower id are left to the search index's
	// rebuild (rebuild.go), which has not reached them yet.
	searchBelow int64
	// sentences are the feeds' sentence windows the transaction read
	// (sentences.go), written by flushSentences; window is their length,
	// wirefeed.SentenceItems of the store's matcher.
	sentences map[int64]*feedSentences
	window    int
}

// begin starts a transaction; write transactions (opts nil) take the
// database's write lock at once: on SQLite by BEGIN IMMEDIATE
// (_txlock=immediate), on PostgreSQL by the writers' advisory lock
// (postgres.go). On PostgreSQL a read-only transaction reads one snapshot
// (REPEATABLE READ), as every SQLite transaction does.
func (s *Store) begin(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	if s.pg && opts != nil && opts.ReadOnly {
		o := *opts
		o.Isolation = sql.LevelRepeatableRead
		opts = &o
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	if s.pg && (opts == nil || !opts.ReadOnly) {
		if err := pgLockWriter(ctx, tx); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return &txn{Tx: tx, stmts: s.stmts, bound: map[string]*sql.Stmt{}}, nil
}

func (t *txn) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st := t.bound[q]; st != nil {
		return st, nil
	}
	ps, err := t.stmts.get(ctx, q)
	if err != nil {
		return nil, err
	}
	st := t.Tx.StmtContext(ctx, ps)
	t.bound[q] = st
	return st, nil
}

// exec runs a statement in the transaction.
func (t *txn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, t.stmts.args(args)...)
}

// query runs a statement that returns rows in the transaction.
func (t *txn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, t.stmts.args(args)...)
}

// queryRow runs a statement that returns one row in the transaction.
func (t *txn) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return t.Tx.QueryRowContext(ctx, t.stmts.text(q), t.stmts.args(args)...)
	}
	return st.QueryRowContext(ctx, t.stmts.args(args)...)
}

// queryOnce runs a statement whose text is made for this query (the
// stories' dynamic conditions), without preparing it.
func (t *txn) queryOnce(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.stmts.text(q), t.stmts.args(args)...)
}

// pg reports whether the transaction is on PostgreSQL.
func (t *txn) pg() bool { return t.stmts.pg }

// inBatch is the size of every IN (...) list the store sends: lists of
// values are cut into batches of this size and the last one is padded, so
// each statement's text is one of a few and stays prepared.
const inBatch = 16

// inList is the parameter list of an IN (...) of inBatch values.
const inList = "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"

// batches calls fn with consecutive parts of xs of inBatch values, the
// last part padded with pad (a value that matches nothing).
func batches[T any](xs []T, pad T, fn func(part []any) error) error {
	for len(xs) > 0 {
		n := min(len(xs), inBatch)
		args := make([]any, inBatch)
		for i := range inBatch {
			if i < n {
				args[i] = xs[i]
			} else {
				args[i] = pad
			}
		}
		xs = xs[n:]
		if err := fn(args); err != nil {
			return err
		}
	}
	return nil
}
