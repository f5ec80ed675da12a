#!/usr/bin/env bash
# Fetcher suite (issue 4): corpus and charset reports, short fuzzing of the
# parsers, and the 5,000-feed cycle benchmark. The benchmark's figures are
# printed against their targets (1.5x the ideal wall time, peak RSS under
# 300 MB) but only gross bounds fail CI (10x, 1 GB): a busy machine is not a
# regression. Needs only Go and ../shared/corpus; about 2 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "--- corpus, character-set and feedparser-expectation reports"
go test -count=1 -v -run 'TestCorpusParses|TestCorpusTranslatorExpectations|TestCharsetCorpus|TestFeedparserExpectations|TestCorpusTruncationSweep' ./fetcher \
  | grep -v -e '^=== RUN' -e ': rejected: ' -e ': recovered: ' -e ': disagree: ' -e ': read up to the break: '

echo "--- fuzzing (15 s per target)"
for target in FuzzParse FuzzCanonicalURL FuzzHTMLToText; do
  go test -run '^$' -fuzz "^${target}\$" -fuzztime 15s ./fetcher
done

echo "--- cycle benchmark: 5,000 feeds, real store and dedupe"
WIREFEED_BENCH_ASSERT=1 go test -run '^$' -bench '^BenchmarkCycle5000$' -benchtime 1x -timeout 10m ./fetcher
