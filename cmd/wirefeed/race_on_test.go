//go:build race

package main

// raceEnabled reports that the race detector is on. The hostile-corpus
// tests are about bounds on memory and output, not concurrency, and their
// race-instrumented child processes parse 60 MB about twenty times slower
// (five minutes on a busy CI machine), so they run in the plain test run.
const raceEnabled = true
