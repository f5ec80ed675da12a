//go:build race

package fetcher

// raceSlowdown stretches the fault tests' client timeout under the race
// detector: an instrumented TLS handshake or 50,000-item body on a busy
// machine took longer than the plain 300 ms and failed as a timeout.
const raceSlowdown = 10
