//go:build race

package fetcher

// raceEnabled reports that the race detector is on. TestHostileParse is
// about bounds on memory and structure, not concurrency, and its
// race-instrumented child parses 60 MB of payloads about twenty times
// slower, so it runs in the plain test run.
const raceEnabled = true
