#!/usr/bin/env bash
# Real feed readers against the real daemon: Debian's python3-feedparser
# parses every output in every format (bozo false, equal entry counts),
# newsboat subscribed to the Atom output over four rounds of republishing
# accumulates each story exactly once (counted in its cache with sqlite3),
# xmllint finds RSS and Atom well-formed, and the daemon's static export
# after its last cycle holds the bytes it serves. Feeds come from a local
# fixture server (internal/fixtures); nothing else is fetched.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
for tool in newsboat sqlite3 xmllint; do command -v "$tool" >/dev/null || need+=("$tool"); done
/usr/bin/python3 -c 'import feedparser' 2>/dev/null || need+=(python3-feedparser)
if [ ${#need[@]} -gt 0 ]; then
  pkgs=(python3 python3-feedparser newsboat sqlite3 libxml2-utils)
  echo "installing ${pkgs[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
fi

WIREFEED_CLIENT_TESTS=1 go test -count=1 -v -run 'TestFeedReaders' ./internal/clienttest/
