#!/usr/bin/env bash
# PostgreSQL (issue 11): starts a throwaway cluster (.ci/postgres.sh:
# Debian's postgresql, installed if missing; initdb in a temp directory as
# an unprivileged user; a loopback port), then runs on it, with the race
# detector, the store conformance suite (every store test shared by SQLite
# and PostgreSQL), the lease tests, every end-to-end test of the command
# line with its database on PostgreSQL, and the three-instance test (real
# processes, one SIGKILLed mid-cycle); then stops the cluster. About 2
# minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
port=${WIREFEED_PG_PORT:-55433}
cleanup() {
  bash .ci/postgres.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(bash .ci/postgres.sh start "$work/pg" "$port")"
export WIREFEED_TEST_POSTGRES
# End-to-end tests of cmd/wirefeed keep their database on PostgreSQL.
export WIREFEED_TEST_BACKEND=postgres

start=$(date +%s)
go test -count=1 -race ./store/... ./fetcher/
go test -count=1 ./cmd/wirefeed/
echo "postgres suite: ok in $(( $(date +%s) - start ))s"
