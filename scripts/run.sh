#!/usr/bin/env bash
# Builds Intake and runs it: the server with an embedded SQLite file (data/intake.db), serving
# the web app. Prints the URL (and, on the first start, the admin token). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release:intake-server wasm:intake_module  # only what the app needs
mkdir -p data
exec build/release/server/intake-server --db data/intake.db --listen "${INTAKE_LISTEN:-127.0.0.1:8080}" --web web "$@"
