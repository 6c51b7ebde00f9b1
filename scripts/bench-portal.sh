#!/usr/bin/env bash
# The portal's large-upload benchmark: a single-node chain and its vault,
# headless Chromium uploading BYTES (default 1 GiB) of random data through
# the page, and what the page holds meanwhile (renderer RSS, WebAssembly
# memory). It fails if the page ever holds a quarter of the file. Needs the
# same tools as make test-e2e; takes a few minutes for 1 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES="${1:-1073741824}"
make build >/dev/null
MEDCHAIN_PORTAL_BENCH_BYTES="${BYTES}" MEDCHAIN_CHROMIUM="$(scripts/chromium.sh)" MEDCHAIND_BIN="${PWD}/build/medchaind" \
  go test -tags e2e -count=1 -timeout 40m -run TestPortalLargeUploadMemory -v ./tests/system/ | grep -E "portal upload of|^(ok|FAIL|---)"
