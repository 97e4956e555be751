#!/usr/bin/env bash
# Installs every Debian and npm package Intake needs, skipping what is already there.
# Called by scripts/run.sh and scripts/test.sh; safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  build-essential cmake git pkg-config python3 nodejs npm
  emscripten                  # the wasm build (version pinned in emsdk.lock)
  nlohmann-json3-dev libcpp-httplib-dev libssl-dev doctest-dev libsqlite3-dev sqlite3
  tzdata                      # the IANA tz database the timezone table is generated from
  chromium                    # browser tests, driven by playwright-core
  clang libclang-rt-14-dev    # libFuzzer for the fuzz tests (tests/fuzz)
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  # node and npm may come from elsewhere than Debian (e.g. a newer Node on PATH): accept them.
  case "$pkg" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages (build-time phone metadata, test tools, benchmark peers), from package-lock.json.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
