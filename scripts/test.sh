#!/usr/bin/env bash
# Builds everything and runs every test: the core natively under ASan+UBSan and again compiled
# to wasm under node, the server over real HTTP, the module's node tests, and the browser tests
# in headless Chromium. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh asan wasm

status=0
run() { echo "== $*"; "$@" || status=1; }
run ctest --preset asan -j 2
run ctest --preset wasm
if compgen -G "tests/browser/*.test.mjs" >/dev/null; then
  # The browser suites drive the ASan build of the server and CLI: a memory error fails them too.
  run env INTAKE_BUILD=build/asan ASAN_OPTIONS=detect_leaks=0 node --test --test-concurrency=1 tests/browser/
fi
[ $status -eq 0 ] && echo "intake: all test suites passed" || echo "intake: SOME TEST SUITES FAILED"
exit $status
