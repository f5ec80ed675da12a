#!/usr/bin/env bash
# Docker suite: builds the image with the real engine (no base image is
# pulled: the image is FROM scratch), runs it against local fixture feeds,
# waits for its HEALTHCHECK, reads the merged feed, stops it with SIGTERM,
# and checks the database on the volume survives a restart.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER=$(command -v docker)

work=$(mktemp -d)
started_dockerd=0
cleanup() {
  set +e
  $DOCKER rm -f wirefeed-ci >/dev/null 2>&1
  $DOCKER volume rm wirefeed-ci-data >/dev/null 2>&1
  [ -n "${fixture_pid:-}" ] && kill "$fixture_pid" 2>/dev/null
  if [ "$started_dockerd" = 1 ]; then kill "$(cat "$work/dockerd.pid")" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

if ! $DOCKER info >/dev/null 2>&1; then
  echo "starting dockerd"
  dockerd >"$work/dockerd.log" 2>&1 &
  echo $! >"$work/dockerd.pid"
  started_dockerd=1
  for i in $(seq 1 60); do $DOCKER info >/dev/null 2>&1 && break; sleep 1; done
  $DOCKER info >/dev/null 2>&1 || { cat "$work/dockerd.log"; echo "dockerd did not start"; exit 1; }
fi

echo "--- building the static binary and the image"
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=ci" -o dist/wirefeed ./cmd/wirefeed
$DOCKER build --build-arg VERSION=ci -t wirefeed:ci . 2>&1 | grep -v DEPRECATED
$DOCKER image inspect wirefeed:ci --format 'image size: {{.Size}} bytes, user {{.Config.User}}, version label {{index .Config.Labels "org.opencontainers.image.version"}}'
v=$($DOCKER run --rm wirefeed:ci version)
[ "$v" = "wirefeed ci" ] || { echo "wirefeed version in the image: $v, want wirefeed ci"; exit 1; }

echo "--- what an operator meets: no config, a config that is a directory, an unwritable data dir"
out=$($DOCKER run --rm wirefeed:ci 2>&1 || true)
echo "$out" | tail -1
grep -q "no config file at /etc/wirefeed/config.toml" <<<"$out" || { echo "no clear message without a config"; exit 1; }
out=$($DOCKER run --rm -v "$work/missing.toml:/etc/wirefeed/config.toml:ro" wirefeed:ci 2>&1 || true)
echo "$out" | tail -1
grep -q "is a directory, not a config file" <<<"$out" || { echo "no clear message for a config Docker made a directory"; exit 1; }

echo "--- fixture feeds on the host, reached from the container through the bridge gateway"
gateway=$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)
[ -n "$gateway" ] || gateway=$($DOCKER network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')
[ -n "$gateway" ] || { echo "cannot find the docker bridge gateway"; exit 1; }
port=18931
mkdir -p "$work/srv/a" "$work/srv/b" "$work/srv/c"
base="http://$gateway:$port"
sed "s#{{BASE}}#$base#g" cmd/wirefeed/testdata/e2e/outlet-a.rss >"$work/srv/a/feed.rss"
sed "s#{{BASE}}#$base#g" cmd/wirefeed/testdata/e2e/outlet-b.atom >"$work/srv/b/feed.atom"
sed "s#{{BASE}}#$base#g" cmd/wirefeed/testdata/e2e/outlet-c-2.json >"$work/srv/c/feed.json"
(cd "$work/srv" && exec python3 -m http.server "$port" --bind "$gateway" >"$work/fixture.log" 2>&1) &
fixture_pid=$!
cat >"$work/config.toml" <<TOML
allow_private_addresses = true
[server]
title = "wirefeed in docker"
[[feeds]]
name = "Outlet A"
url = "$base/a/feed.rss"
[[feeds]]
name = "Outlet B"
url = "$base/b/feed.atom"
[[feeds]]
name = "Outlet C"
url = "$base/c/feed.json"
TOML
chmod 644 "$work/config.toml"
mkdir -p "$work/rootdata" && chmod 755 "$work/rootdata"
out=$($DOCKER run --rm -v "$work/rootdata:/data" -v "$work/config.toml:/etc/wirefeed/config.toml:ro" wirefeed:ci 2>&1 || true)
echo "$out" | tail -1
grep -q "data_dir /data is not writable by uid 65534" <<<"$out" || { echo "no clear message for an unwritable data dir"; exit 1; }

# The image's own CMD and HEALTHCHECK are used as they are: it listens on
# 0.0.0.0:8080 inside the container, published on the host's 18932.
run_container() {
  $DOCKER rm -f wirefeed-ci >/dev/null 2>&1 || true
  $DOCKER run -d --name wirefeed-ci -p 127.0.0.1:18932:8080 --health-interval 1s --health-start-period 10s \
    -v wirefeed-ci-data:/data -v "$work/config.toml:/etc/wirefeed/config.toml:ro" wirefeed:ci >/dev/null
}
wait_healthy() {
  for i in $(seq 1 60); do
    status=$($DOCKER inspect -f '{{.State.Health.Status}}' wirefeed-ci 2>/dev/null || echo missing)
    [ "$status" = healthy ] && return 0
    [ "$($DOCKER inspect -f '{{.State.Running}}' wirefeed-ci)" = true ] || break
    sleep 1
  done
  $DOCKER logs wirefeed-ci
  $DOCKER inspect -f '{{json .State.Health}}' wirefeed-ci
  echo "container never became healthy (status $status)"
  return 1
}
members() {
  curl -fsS http://127.0.0.1:18932/feed.json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(str(len(i["_wirefeed"]["members"])) for i in d["items"]))'
}

echo "--- run 1"
run_container
wait_healthy
stories=""
for i in $(seq 1 30); do
  stories=$(members)
  [ "$(wc -w <<<"$stories")" -eq 4 ] && break
  sleep 1
done
echo "members per story: $stories"
[ "$(wc -w <<<"$stories")" -eq 4 ] || { $DOCKER logs wirefeed-ci; echo "want 4 stories"; exit 1; }
grep -qw 3 <<<"$stories" || { echo "the shared story should have 3 members"; exit 1; }

echo "--- SIGHUP reloads the config"
$DOCKER kill -s HUP wirefeed-ci >/dev/null
for i in $(seq 1 20); do $DOCKER logs wirefeed-ci 2>&1 | grep -q "config reloaded" && break; sleep 0.5; done
$DOCKER logs wirefeed-ci 2>&1 | grep "config reloaded" || { $DOCKER logs wirefeed-ci; echo "no reload after SIGHUP"; exit 1; }
[ "$($DOCKER inspect -f '{{.State.Running}}' wirefeed-ci)" = true ] || { echo "SIGHUP stopped the container"; exit 1; }

echo "--- SIGTERM"
$DOCKER stop wirefeed-ci >/dev/null
code=$($DOCKER inspect -f '{{.State.ExitCode}}' wirefeed-ci)
$DOCKER logs wirefeed-ci 2>&1 | tail -3
[ "$code" = 0 ] || { echo "exit code $code after SIGTERM, want 0"; exit 1; }
$DOCKER logs wirefeed-ci 2>&1 | grep -q "stopped cleanly" || { echo "no clean stop in the logs"; exit 1; }
if $DOCKER logs wirefeed-ci 2>&1 | grep "level=ERROR"; then echo "ERROR lines in the logs of a normal run and stop"; exit 1; fi

echo "--- run 2 on the same volume, feed server gone: the stories are still served"
kill "$fixture_pid"; fixture_pid=""
run_container
wait_healthy
stories=$(members)
echo "members per story after restart: $stories"
[ "$(wc -w <<<"$stories")" -eq 4 ] || { echo "want 4 stories after restart"; exit 1; }
$DOCKER stop wirefeed-ci >/dev/null
echo "docker suite: ok"
