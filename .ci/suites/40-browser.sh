#!/usr/bin/env bash
# Headless Chromium loads the daemon's status page; the test checks the
# rendered DOM (--dump-dom) for the feeds table and a story with its four
# member outlets, and keeps a screenshot in .ci/artifacts/status-page.png.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null; then
  echo "installing chromium"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
mkdir -p .ci/artifacts

WIREFEED_CLIENT_TESTS=1 go test -count=1 -v -run 'TestStatusPageInChromium' ./internal/clienttest/
