#!/usr/bin/env bash
# Hostile-input suite (issue 9): prints what every payload of the hostile
# corpus (internal/hostile) costs the parser and `wirefeed inspect`, and how
# fetch and every output handle them; fuzzes URL redaction; times the
# structural bounds pass. The same tests run, without the listing, in
# `go test ./...`. Needs only Go; about a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "--- the hostile corpus through Parse (child process), inspect, fetch and every output"
go test -count=1 -v -run 'TestHostileParse|TestNestingPayloadKillsUnboundedGofeed|TestHostileCorpus|TestServeSurvivesTheCrashFeed' ./fetcher ./cmd/wirefeed \
  | grep -E '^(--- |ok|FAIL|PASS)|bounds_test.go|hostile_test.go' | grep -v -e '^=== RUN'

echo "--- fuzzing URL redaction (15 s)"
go test -run '^$' -fuzz '^FuzzURL$' -fuzztime 15s ./internal/redact

echo "--- the bounds pass over a large ordinary document"
go test -run '^$' -bench '^BenchmarkBounds$' -benchtime 20x -cpu 1 ./fetcher | grep -E 'Benchmark|ok'
