#!/usr/bin/env bash
# Builds CMake presets, configuring each when needed. Each argument is PRESET or PRESET:TARGET
# (only that target and what it needs). Default: release wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs  # Debian's emcc runs its JS optimizer with node + acorn
jobs=$(nproc)
[ $# -gt 0 ] || set -- release wasm
for arg in "$@"; do
  preset=${arg%%:*}
  target=${arg#*:}
  [ -f "build/$preset/CMakeCache.txt" ] || cmake --preset "$preset" >/dev/null
  if [ "$target" != "$arg" ]; then
    cmake --build --preset "$preset" -j "$jobs" --target "$target"
  else
    cmake --build --preset "$preset" -j "$jobs"
  fi
done
