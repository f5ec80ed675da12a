#!/usr/bin/env bash
# PostgreSQL (issue 11): starts a throwaway cluster (.ci/postgres.sh:
# Debian's postgresql, installed if missing; initdb in a temp directory as
# an unprivileged user; a loopback port), then runs on it, with the race
# detector, the store conformance suite (every store test shared by SQLite
# and PostgreSQL), the lease tests, every end-to-end test of the command
# line with its database on PostgreSQL, and the three-instance test (real
# processes, one SIGKILLed mid-cycle); then stops the cluster. About 40
# seconds on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
# The cluster runs as an unprivileged user (postgres.sh), who must reach
# its directory inside this one.
chmod 755 "$work"
# The first free loopback port from 55433, so that two runs on one
# machine do not collide.
port=${WIREFEED_PG_PORT:-}
if [ -z "$port" ]; then
  for p in $(seq 55433 55533); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
  done
fi
: "${port:?no free port in 55433-55533}"
cleanup() {
  bash .ci/postgres.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
# An assignment, not eval "$(...)": a cluster that fails to start must
# fail the suite, not let every test skip.
dsn_line=$(bash .ci/postgres.sh start "$work/pg" "$port")
eval "$dsn_line"
: "${WIREFEED_TEST_POSTGRES:?postgres.sh printed no DSN}"
export WIREFEED_TEST_POSTGRES
# End-to-end tests of cmd/wirefeed keep their database on PostgreSQL.
export WIREFEED_TEST_BACKEND=postgres

start=$(date +%s)
# The store's tests that touch PostgreSQL (the rest run on SQLite in the
# main CI), with the race detector; then the command line's tests, every
# one whose database is configurable on PostgreSQL, the three-instance
# test among them.
go test -count=1 -race -run 'TestConformance|TestLeases|TestSentenceCountsCoverTheLastItems|TestUpgradeTo0016' ./store/
go test -count=1 ./cmd/wirefeed/
echo "postgres suite: ok in $(( $(date +%s) - start ))s"
