// Package pgtest gives tests a PostgreSQL database of their own.
//
// Tests that need PostgreSQL call DSN: it creates an empty database on the
// server named by the WIREFEED_TEST_POSTGRES environment variable (a
// postgres:// URL whose user may create databases), drops it when the test
// ends, and returns its DSN. Without the variable the test is skipped with
// a message, so `go test ./...` passes on a machine without PostgreSQL;
// with the variable set but the server unreachable the test fails, so CI
// cannot pass by skipping. .ci/postgres.sh starts a throwaway server and
// prints the variable.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvVar names the environment variable that holds the server's DSN.
const EnvVar = "WIREFEED_TEST_POSTGRES"

// Available reports whether tests may use PostgreSQL (EnvVar is set).
func Available() bool { return os.Getenv(EnvVar) != "" }

// Skip skips tb with a message when no PostgreSQL server is configured.
func Skip(tb testing.TB) {
	tb.Helper()
	if !Available() {
		tb.Skipf("no PostgreSQL: set %s to a postgres:// URL (bash .ci/postgres.sh start DIR prints one)", EnvVar)
	}
}

// DSN creates an empty database for tb and returns its DSN. The database is
// dropped when tb ends (connections left open are closed by force).
func DSN(tb testing.TB) string {
	tb.Helper()
	Skip(tb)
	admin := os.Getenv(EnvVar)
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("%s must be a postgres:// URL", EnvVar)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer db.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "wirefeed_test_" + hex.EncodeToString(b[:])
	// The server's default collation: the store's schema declares the
	// collation of every text column it sorts or compares itself.
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'`, name)); err != nil {
		tb.Fatalf("pgtest: creating a database on %s (is the server running?): %v", redacted(u), err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db, err := sql.Open("pgx", admin)
		if err != nil {
			tb.Errorf("pgtest: %v", err)
			return
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			tb.Errorf("pgtest: dropping %s: %v", name, err)
		}
	})
	du := *u
	du.Path = "/" + name
	return du.String()
}

// redacted is u without its password, for messages.
func redacted(u *url.URL) string {
	c := *u
	if _, ok := c.User.Password(); ok {
		c.User = url.UserPassword(c.User.Username(), "REDACTED")
	}
	return c.String()
}
