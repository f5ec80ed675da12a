//go:build race

package store_test

// raceEnabled reports that the race detector is on. The kill -9 test is
// about durability, not concurrency, and the race-instrumented SQLite child
// is about fifty times slower, so it runs only without -race.
const raceEnabled = true
