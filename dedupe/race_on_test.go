//go:build race

package dedupe

// raceEnabled reports that the race detector is on. The test that records
// the evaluation sets again and again tests decisions, not concurrency (the
// Engine's concurrency is one mutex), and runs only without it.
const raceEnabled = true
