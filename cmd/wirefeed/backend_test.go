package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/wirefeed/wirefeed/internal/pgtest"
)

// backendEnv, set to "postgres", keeps the end-to-end tests' databases on
// PostgreSQL (a database of each test's own, from pgtest) instead of the
// SQLite file in data_dir: .ci/suites/35-postgres.sh runs this package so.
const backendEnv = "WIREFEED_TEST_BACKEND"

// onPostgres reports whether the tests run on PostgreSQL.
func onPostgres() bool { return os.Getenv(backendEnv) == "postgres" }

// storeTable returns the config lines that put a test's database on the
// backend under test: none on SQLite, a [store] table naming a new
// PostgreSQL database otherwise. It goes after the config's top-level keys.
func storeTable(t testing.TB) string {
	t.Helper()
	if !onPostgres() {
		return ""
	}
	return fmt.Sprintf("[store]\ndsn = %q\n", pgtest.DSN(t))
}
