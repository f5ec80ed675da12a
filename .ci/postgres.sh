#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for wirefeed's tests and prints the
# DSN the tests read (WIREFEED_TEST_POSTGRES). Used by
# .ci/suites/35-postgres.sh; by hand:
#
#   eval "$(bash .ci/postgres.sh start /tmp/wf-pg 55432)"   # exports the DSN
#   go test ./store/... ./cmd/wirefeed/...
#   bash .ci/postgres.sh stop /tmp/wf-pg
#
# The cluster lives in DIR, listens on 127.0.0.1:PORT only (no Unix socket
# outside DIR), trusts local connections (it is a test cluster on
# loopback), and runs as an unprivileged user: `postgres` refuses to run as
# root, so when started by root it runs as the user `wirefeed-pg`, created
# if missing. Debian's postgresql package is installed when no PostgreSQL
# binaries are found.
set -euo pipefail

cmd=${1:?usage: postgres.sh start|stop DIR [PORT]}
dir=${2:?usage: postgres.sh start|stop DIR [PORT]}
port=${3:-55432}

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return; }
  done
  return 1
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    # runuser keeps no environment of root's beyond what it is given.
    runuser -u wirefeed-pg -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
start)
  if ! bin=$(bindir); then
    echo "installing postgresql (Debian)" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null
    bin=$(bindir)
  fi
  if [ "$(id -u)" = 0 ] && ! id wirefeed-pg >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin wirefeed-pg
  fi
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown wirefeed-pg "$dir"
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U wirefeed -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  # fsync off: a test cluster, thrown away after the run. Enough
  # connections for several instances and parallel test packages.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >&2 || { cat "$dir/server.log" >&2; exit 1; }
  echo "export WIREFEED_TEST_POSTGRES='postgres://wirefeed@127.0.0.1:$port/postgres?sslmode=disable'"
  ;;
stop)
  bin=$(bindir)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2
  fi
  ;;
*)
  echo "usage: postgres.sh start|stop DIR [PORT]" >&2
  exit 2
  ;;
esac
