#!/usr/bin/env bash
# Scale benchmark of the real binary (issue 13), not run by CI: a database
# holding a long generated history (ITEMS stored, WINDOW of them inside the
# deduplicator's window; built once per day and schema by historydb into
# $WIREFEED_PERF_CACHE), then
#   1. `wirefeed serve` on it: seconds to the first 200 from /healthz, to a
#      loaded index (the first fetch cycle's log line), and resident memory
#      (VmHWM) once it has loaded;
#   2. `wirefeed fetch` of the generated corpus (200 feeds x 50 new items)
#      into it: CPU seconds, wall seconds and peak RSS (GNU time);
#   3. `?q=` with a word no item has, against the daemon: seconds per
#      request (curl), first and repeated.
#
#   bash .ci/bench-scale.sh                       # 1,000,000 items, 100,000 in the window
#   ITEMS=100000 WINDOW=100000 bash .ci/bench-scale.sh
#
# Everything listens on 127.0.0.1; every process it starts is stopped on
# exit. The first build of a million-item history takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

ITEMS=${ITEMS:-1000000}
WINDOW=${WINDOW:-$((ITEMS / 10))}
RECORDED=${RECORDED:-$((ITEMS / 5))} # through Record; the other old items are copies (historydb -recorded)
CACHE=${WIREFEED_PERF_CACHE:-${TMPDIR:-/tmp}/wirefeed-perf}
WF_PORT=${WF_PORT:-18490}
FIX_PORT=${FIX_PORT:-18491}

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "load: $(uptime)"
go build -o "$work/wirefeed" ./cmd/wirefeed
go build -o "$work/historydb" ./internal/perf/historydb
go build -o "$work/fixtureserver" ./internal/fixtures/fixtureserver
db=$("$work/historydb" -items "$ITEMS" -window "$WINDOW" -recorded "$RECORDED" -cache "$CACHE")
mkdir -p "$work/data"
cp "$db" "$work/data/wirefeed.db"
echo "history: $ITEMS items, $WINDOW in the window, $(( $(stat -c %s "$db") / 1048576 )) MB ($db)"

# The feeds of the history, at the fixture server's address: not started
# yet, so the daemon's first cycle fails at once and measures nothing.
"$work/fixtureserver" -world corpus -addr "127.0.0.1:$FIX_PORT" >"$work/feeds.toml" 2>"$work/fixtures.log" &
fixpid=$!
for _ in $(seq 100); do grep -q '^url' "$work/feeds.toml" 2>/dev/null && break; sleep 0.1; done
kill "$fixpid"; wait "$fixpid" 2>/dev/null || true

cat >"$work/wirefeed.toml" <<TOML
data_dir = "$work/data"
schedule = "@every 24h"
allow_private_addresses = true
log_level = "info"
[server]
listen = "127.0.0.1:$WF_PORT"
TOML
cat "$work/feeds.toml" >>"$work/wirefeed.toml"

rss_of() { awk '/^VmHWM/ {print int($2/1024)}' "/proc/$1/status"; }

echo "--- 1. serve: start-up"
start=$(date +%s.%N)
"$work/wirefeed" serve -config "$work/wirefeed.toml" 2>"$work/serve.log" &
srv=$!
pids+=("$srv")
healthy=""
for _ in $(seq 6000); do
  if curl -fsS "http://127.0.0.1:$WF_PORT/healthz" >/dev/null 2>&1; then healthy=$(date +%s.%N); break; fi
  sleep 0.01
done
loaded=""
for _ in $(seq 6000); do
  if grep -q 'index loaded' "$work/serve.log"; then loaded=$(date +%s.%N); break; fi
  sleep 0.01
done
sleep 2
printf 'serve: /healthz after %.2f s, index loaded after %.2f s, peak RSS %s MB\n' \
  "$(echo "$healthy - $start" | bc)" "$(echo "$loaded - $start" | bc)" "$(rss_of "$srv")"
grep -E 'index rebuilt|index loaded|rebuilt' "$work/serve.log" | head -3 || true
echo "serve log:"; head -5 "$work/serve.log"
kill "$srv"; wait "$srv" 2>/dev/null || true
pids=()

echo "--- 2. fetch: the corpus (200 feeds x 50 new items) into the history"
"$work/fixtureserver" -world corpus -addr "127.0.0.1:$FIX_PORT" >/dev/null 2>"$work/fixtures.log" &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$FIX_PORT/c/outlet-000.xml" >/dev/null 2>&1 && break; sleep 0.1; done
/usr/bin/time -f 'fetch: %U s user + %S s system CPU, %e s wall, peak RSS %M KB' \
  "$work/wirefeed" fetch --force -config "$work/wirefeed.toml" 2>"$work/fetch.log" | tail -1
grep '^fetch:' "$work/fetch.log"

echo "--- 3. serve: ?q= with a word no item has"
"$work/wirefeed" serve -config "$work/wirefeed.toml" 2>"$work/serve2.log" &
srv=$!
pids+=("$srv")
for _ in $(seq 6000); do curl -fsS "http://127.0.0.1:$WF_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.01; done
for i in 1 2 3; do
  curl -sS --max-time 30 -o /dev/null -w "?q=zqxnothing$i: %{http_code} in %{time_total} s\n" "http://127.0.0.1:$WF_PORT/feed.atom?q=zqxnothing$i"
done
echo "load: $(uptime)"
