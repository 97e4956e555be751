#!/usr/bin/env bash
# Builds the given CMake presets (default: release wasm), configuring each when needed.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs  # Debian's emcc runs its JS optimizer with node + acorn
jobs=$(nproc)
for preset in "${@:-release wasm}"; do
  for p in $preset; do
    [ -f "build/$p/CMakeCache.txt" ] || cmake --preset "$p" >/dev/null
    cmake --build --preset "$p" -j "$jobs"
  done
done
