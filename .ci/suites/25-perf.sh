#!/usr/bin/env bash
# Performance suite (issue 13), short mode: the ingest benchmarks on a
# 40-feed generated corpus (2,000 items) against gofeed alone (and the
# least an ingest could cost with this store, BenchmarkIngestFloor), and the
# store benchmarks on a 20,000-item history (2,000 in the window) and
# 10,000 stories for search. Figures are printed; only gross bounds fail
# CI (ingest within 25x gofeed's CPU, into history within 10x into an
# empty database, start-up under 30 s), since a busy machine is no
# regression. The full-size runs and their results are in the README.
# Needs only Go; about 40 to 60 seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "load: $(uptime)"
export WIREFEED_BENCH_ASSERT=1
export WIREFEED_PERF_CACHE="${TMPDIR:-/tmp}/wirefeed-perf-ci"
go test -short -count=1 -run '^$' -bench 'GofeedCorpus|ParseCorpus|Ingest$|IngestFloor' -benchtime 1x -cpu 1 ./fetcher
go test -short -count=1 -run '^$' -bench . -benchtime 1x -cpu 1 -timeout 10m ./internal/perf
echo "load: $(uptime)"
