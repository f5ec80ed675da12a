#!/usr/bin/env bash
# Runs `wirefeed inspect` over every payload of the hostile corpus with each
# binary given and prints its exit status, peak resident memory and time
# (GNU time). Not run by CI: it measures, it does not judge (the tests
# TestHostileCorpusThroughInspect and TestHostileParse hold the bounds).
#
#   .ci/hostile-memory.sh [BINARY...]
#
# Without arguments it builds ./cmd/wirefeed. To compare with main:
#   git archive main | tar -x -C /tmp/wf-main && (cd /tmp/wf-main && go build -o /tmp/wirefeed-main ./cmd/wirefeed)
#   .ci/hostile-memory.sh /tmp/wirefeed-main dist/wirefeed
# An unbounded binary may take minutes (text-pieces.rss) and gigabytes
# (item-flood.json); each run is cut after TIMEOUT seconds (600).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x /usr/bin/time ] || { echo "needs GNU time (Debian package time)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
  go build -o "$work/wirefeed" ./cmd/wirefeed
  bins=("$work/wirefeed")
fi
mkdir -p "$work/payloads"
go run ./internal/hostile/hostilegen "$work/payloads" >/dev/null
echo "load: $(uptime)"
printf '%-32s %10s  %-28s %6s %10s %9s\n' payload bytes binary exit "peak RSS" seconds
for f in "$work"/payloads/*; do
  for b in "${bins[@]}"; do
    /usr/bin/time -o "$work/time" -f '%x %M %e' timeout -k 10 "${TIMEOUT:-600}" "$b" inspect "$f" >/dev/null 2>"$work/err" || true
    # GNU time puts "Command exited with non-zero status N" (or "Command
    # terminated by signal N") first.
    read -r code kb secs < <(tail -1 "$work/time") || true
    if grep -q "terminated by signal" "$work/time" || [ "$code" = 124 ] || [ "$code" = 137 ]; then
      code="killed after ${TIMEOUT:-600}s" kb=0 secs="-"
    fi
    printf '%-32s %10d  %-28s %6s %7d MB %9s\n' "$(basename "$f")" "$(stat -c %s "$f")" "$(basename "$b")" "$code" $(( ${kb:-0} / 1024 )) "$secs"
  done
done
