#!/usr/bin/env bash
# Measures the peak memory of `wirefeed serve` under the rendering-cache
# attack of issue 9: many requests for /feed.json?limit=1000 with distinct
# junk cursors, each a distinct query result that an unbounded cache keeps.
#
#   .ci/cache-attack.sh [BINARY]
#
# BINARY defaults to a fresh build of ./cmd/wirefeed. To measure another
# revision, build it elsewhere and pass it, e.g. for main:
#   git archive main | tar -x -C /tmp/wf-main && (cd /tmp/wf-main && go build -o /tmp/wirefeed-main ./cmd/wirefeed)
#   .ci/cache-attack.sh /tmp/wirefeed-main
#
# Environment: FEEDS (20) x ITEMS (60) stories of BODY_WORDS (300) words
# each; REQUESTS (256) attack requests, PARALLEL (4) at a time; CONFIG_EXTRA
# is appended to the [server] table (e.g. 'cache_bytes = 67108864').
# Prints the daemon's resident memory (VmRSS) and peak (VmHWM) from
# /proc before and after the attack. Needs python3 and curl; not run by CI
# (it takes a minute and measures, it does not judge).
set -euo pipefail
cd "$(dirname "$0")/.."

FEEDS=${FEEDS:-20} ITEMS=${ITEMS:-60} BODY_WORDS=${BODY_WORDS:-300}
REQUESTS=${REQUESTS:-256} PARALLEL=${PARALLEL:-4}

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

bin=${1:-}
if [ -z "$bin" ]; then
  bin="$work/wirefeed"
  go build -o "$bin" ./cmd/wirefeed
fi

port_feeds=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
port_http=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

echo "--- $FEEDS feeds x $ITEMS items of $BODY_WORDS words"
mkdir -p "$work/srv" "$work/data"
python3 - "$work/srv" "$FEEDS" "$ITEMS" "$BODY_WORDS" <<'PY'
import random, sys, html
out, feeds, items, words = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(9)
vocab = [''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(rng.randint(3, 9))) for _ in range(5000)]
for f in range(feeds):
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet %d</title><link>https://outlet%d.example/</link>' % (f, f)]
    for i in range(items):
        body = ' '.join(rng.choice(vocab) for _ in range(words))
        parts.append('<item><title>Outlet %d story %d %s</title><link>https://outlet%d.example/%d</link><guid>o%d-%d</guid>'
                     '<pubDate>Wed, 14 Jun 2023 %02d:%02d:00 GMT</pubDate><description>%s</description></item>'
                     % (f, i, ' '.join(rng.choice(vocab) for _ in range(6)), f, i, f, i, i % 24, f % 60, html.escape('<p>' + body + '</p>')))
    parts.append('</channel></rss>')
    open('%s/f%d.rss' % (out, f), 'w').write(''.join(parts))
PY
(cd "$work/srv" && exec python3 -m http.server "$port_feeds" --bind 127.0.0.1 >/dev/null 2>&1) &
pids+=($!)

{
  echo "data_dir = \"$work/data\""
  echo 'allow_private_addresses = true'
  echo 'schedule = "@every 24h"'
  echo 'log_level = "warn"'
  echo '[server]'
  echo "listen = \"127.0.0.1:$port_http\""
  echo "${CONFIG_EXTRA:-}"
  for f in $(seq 0 $((FEEDS - 1))); do
    printf '[[feeds]]\nname = "Outlet %d"\nurl = "http://127.0.0.1:%s/f%d.rss"\n' "$f" "$port_feeds" "$f"
  done
} >"$work/config.toml"

for i in $(seq 1 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port_feeds/f0.rss" 2>/dev/null && break; sleep 0.1; done
"$bin" fetch -config "$work/config.toml" | tail -1

"$bin" serve -config "$work/config.toml" 2>"$work/serve.log" &
pid=$!
pids+=($pid)
for i in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port_http/healthz" 2>/dev/null && break; sleep 0.1; done
# One ordinary request warms the cache for the main feed.
stories=$(curl -fsS "http://127.0.0.1:$port_http/feed.json?limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
bytes=$(curl -fsS "http://127.0.0.1:$port_http/feed.json?limit=1000" | wc -c)
mem() { awk -v what="$1" '$1 == what":" {printf "%d MB", $2/1024}' "/proc/$pid/status"; }
echo "--- serve (pid $pid): /feed.json?limit=1000 has $stories stories, $bytes bytes"
echo "before the attack: VmRSS $(mem VmRSS), VmHWM $(mem VmHWM)"

start=$(date +%s)
now=$(date +%s)
seq 1 "$REQUESTS" | xargs -P "$PARALLEL" -I{} sh -c \
  'curl -fsS -o /dev/null -H "Accept-Encoding: gzip" "http://127.0.0.1:'"$port_http"'/feed.json?limit=1000&before='"$((now + 3600))"'.junk{}x$(od -An -N4 -tu4 /dev/urandom | tr -d " ")" || echo "request {} failed"'
echo "--- $REQUESTS requests with distinct junk cursors, $PARALLEL at a time, in $(( $(date +%s) - start ))s"
echo "after the attack:  VmRSS $(mem VmRSS), VmHWM $(mem VmHWM)  <- peak"
sleep 5
echo "5 s later:         VmRSS $(mem VmRSS)"
curl -fsS -o /dev/null "http://127.0.0.1:$port_http/feed.json" && echo "the main feed is still served"
