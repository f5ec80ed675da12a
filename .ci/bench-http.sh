#!/usr/bin/env bash
# HTTP benchmark of the merged feed (issue 5, item 7): /feed.atom with 200
# entries under wrk at 64 connections on loopback, against Debian's nginx
# serving the same bytes as a static file, in the same run; then the 304
# path of both. Targets: wirefeed at least half of nginx's requests per
# second, p99 under 20 ms, the 304 path faster still.
#
#   bash .ci/bench-http.sh                     # 3 rounds of 4 runs of 10 s
#   ROUNDS=1 DURATION=5s bash .ci/bench-http.sh
#
# Installs wrk and nginx from Debian when missing. Everything listens on
# 127.0.0.1; every process it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
ENTRIES=${ENTRIES:-200}
ROUNDS=${ROUNDS:-3}
WF_PORT=${WF_PORT:-18480}
NGINX_PORT=${NGINX_PORT:-18481}
FIX_PORT=${FIX_PORT:-18482}

if ! command -v wrk >/dev/null || ! [ -x /usr/sbin/nginx ]; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk nginx-light >/dev/null
fi

work=$(mktemp -d)
chmod 755 "$work" # nginx workers run as an unprivileged user
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "building wirefeed and the fixture server"
go build -o "$work/wirefeed" ./cmd/wirefeed
go build -o "$work/fixtureserver" ./internal/fixtures/fixtureserver

"$work/fixtureserver" -addr "127.0.0.1:$FIX_PORT" -world bulk -n $((ENTRIES + 20)) >"$work/feeds.toml" 2>"$work/fixtures.log" &
pids+=($!)
for _ in $(seq 50); do grep -q '^url' "$work/feeds.toml" 2>/dev/null && break; sleep 0.1; done

cat >"$work/wirefeed.toml" <<TOML
data_dir = "$work/data"
schedule = "@every 1h"
allow_private_addresses = true
log_level = "warn"
[server]
listen = "127.0.0.1:$WF_PORT"
default_limit = $ENTRIES
max_age = "5m"
TOML
cat "$work/feeds.toml" >>"$work/wirefeed.toml"

"$work/wirefeed" fetch -config "$work/wirefeed.toml"
"$work/wirefeed" serve -config "$work/wirefeed.toml" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$WF_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -p "$work/static"
curl -fsS -D "$work/headers" -o "$work/static/feed.atom" "http://127.0.0.1:$WF_PORT/feed.atom"
entries=$(grep -c '<entry>' "$work/static/feed.atom")
etag=$(awk 'tolower($1)=="etag:" {print $2}' "$work/headers" | tr -d '\r')
echo "/feed.atom: $entries entries, $(wc -c <"$work/static/feed.atom") bytes, ETag $etag"
[ "$entries" -eq "$ENTRIES" ] || { echo "want $ENTRIES entries"; exit 1; }

cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
daemon off;
events { worker_connections 1024; }
http {
  types { application/atom+xml atom; }
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $work/static;
  }
}
NGINX
/usr/sbin/nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
pids+=($!)
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/feed.atom" 2>/dev/null && break; sleep 0.1; done
cmp <(curl -fsS "http://127.0.0.1:$NGINX_PORT/feed.atom") "$work/static/feed.atom"
nginx_etag=$(curl -fsS -D - -o /dev/null "http://127.0.0.1:$NGINX_PORT/feed.atom" | awk 'tolower($1)=="etag:" {print $2}' | tr -d '\r')

# run NAME URL [HEADER]: one wrk run; prints its output and appends
# "requests/s p99-ms p50-ms" to $work/NAME.
run() {
  local name=$1 url=$2 hdr=${3:-}
  local args=(-t"$THREADS" -c"$CONNS" -d"$DURATION" --latency)
  [ -n "$hdr" ] && args+=(-H "$hdr")
  echo
  echo "--- $name: wrk ${args[*]} $url"
  wrk "${args[@]}" "$url" | tee "$work/$name.out"
  local rps p50 p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.out")
  p50=$(awk '$1=="50%" {print $2}' "$work/$name.out")
  p99=$(awk '$1=="99%" {print $2}' "$work/$name.out")
  echo "$rps $(ms "$p99") $(ms "$p50")" >>"$work/$name"
}

ms() { # wrk latency (812.00us, 3.41ms, 1.02s, 2.00m) in milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

# median COLUMN FILE: the median of one column over the rounds.
median() { sort -g -k"$1","$1" "$2" | awk -v c="$1" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'; }

# Warm both servers up, then alternate the four runs ROUNDS times so that
# a burst of load from elsewhere on the machine hits both servers alike;
# the summary reports medians.
DURATION=2s run warmup-wirefeed "http://127.0.0.1:$WF_PORT/feed.atom" >/dev/null
DURATION=2s run warmup-nginx "http://127.0.0.1:$NGINX_PORT/feed.atom" >/dev/null
for round in $(seq "$ROUNDS"); do
  echo; echo "=== round $round of $ROUNDS"
  run nginx-200 "http://127.0.0.1:$NGINX_PORT/feed.atom"
  run wirefeed-200 "http://127.0.0.1:$WF_PORT/feed.atom"
  run nginx-304 "http://127.0.0.1:$NGINX_PORT/feed.atom" "If-None-Match: $nginx_etag"
  run wirefeed-304 "http://127.0.0.1:$WF_PORT/feed.atom" "If-None-Match: $etag"
done

echo
echo "=== summary: /feed.atom, $entries entries, $(wc -c <"$work/static/feed.atom") bytes; wrk -t$THREADS -c$CONNS -d$DURATION on loopback; medians of $ROUNDS rounds"
printf '%-14s %12s %10s %10s   %s\n' run 'requests/s' 'p99 ms' 'p50 ms' 'per round (requests/s p99 p50)'
for name in nginx-200 wirefeed-200 nginx-304 wirefeed-304; do
  printf '%-14s %12s %10s %10s   %s\n' "$name" "$(median 1 "$work/$name")" "$(median 2 "$work/$name")" "$(median 3 "$work/$name")" "$(tr '\n' ',' <"$work/$name" | sed 's/,$//; s/,/; /g')"
done
n200=$(median 1 "$work/nginx-200")
w200=$(median 1 "$work/wirefeed-200")
w304=$(median 1 "$work/wirefeed-304")
wp99=$(median 2 "$work/wirefeed-200")
wp50=$(median 3 "$work/wirefeed-200")
w304p50=$(median 3 "$work/wirefeed-304")

fail=0
ratio=$(awk -v w="$w200" -v n="$n200" 'BEGIN { printf "%.2f", w / n }')
echo "wirefeed/nginx requests per second: $ratio (target >= 0.50)"
awk -v r="$ratio" 'BEGIN { exit !(r >= 0.5) }' || { echo "MISSED: below half of nginx"; fail=1; }
awk -v p="$wp99" 'BEGIN { exit !(p < 20) }' || { echo "MISSED: p99 $wp99 ms is not under 20 ms"; fail=1; }
awk -v a="$w304" -v b="$w200" -v p="$w304p50" -v q="$wp50" 'BEGIN { exit !(a > b && p < q) }' || { echo "MISSED: the 304 path is not faster (requests/s and median latency) than the 200 path"; fail=1; }
[ $fail -eq 0 ] && echo "all targets met"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $fail
