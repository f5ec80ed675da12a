#!/usr/bin/env bash
# Near-duplicate detection: the labelled evaluation sets (pairwise precision,
# recall and F1; recall per edit type and margins to the thresholds on the
# original set; precision and recall per language and per real-feed shape
# on the multilingual set), the decisions-after-restart test, a short fuzz
# of the body normaliser, and the per-item cost and index memory at 10k and
# 100k items in the window and per script (the 1M case takes a minute to
# build and runs by hand: see dedupe/bench_test.go).
# Needs only Go.
set -euo pipefail
cd "$(dirname "$0")/../.."

go test -count=1 -v -run 'TestEvaluation|TestDecisionsAfterRestart|TestBandsFindPairsAsDocumented' ./dedupe \
  | grep -v '^=== RUN' | grep -v 'INFO dedupe index rebuilt'
go test -count=1 -run '^$' -fuzz '^FuzzCleanBody$' -fuzztime 20s ./dedupe
go test -count=1 -short -run '^$' -bench 'Match|Prepare' -benchtime 2000x -cpu 1 ./dedupe
