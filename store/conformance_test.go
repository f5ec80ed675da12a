package store_test

import (
	"testing"

	"github.com/wirefeed/wirefeed/store/storetest"
)

// TestConformance runs the store conformance suite on every backend:
// SQLite always, PostgreSQL when WIREFEED_TEST_POSTGRES names a server.
func TestConformance(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { storetest.Run(t, b) })
	}
}
