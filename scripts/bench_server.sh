#!/usr/bin/env bash
# Benchmarks intake-server against the "Speed" targets of issue 3 and prints one table, every
# number measured in this run: ingest of the reference file over loopback HTTP (validated with
# the core into batches, 3 in flight; the server re-validates each) against sqlite3's .import of
# the same file into a file-backed table with the same primary key — measured twice, each on a
# fresh server and database: with the batches prepared before the clock starts (as the browser
# does on the user's machine; .import has no client either), and, as measured before, with the
# client validating the file inside the clock on the same 2 cores; the participants list over
# the ingested participants (every sort both ways, field filters, first page and 10,000 rows
# deep, p95); and a 100,000-error report streamed, with the server's memory before and after.
# usage: scripts/bench_server.sh [REQUESTS]   (requests per list measurement, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
requests=${1:-20}
bench_dir=$(cd "$root/../shared/bench" && pwd)
fields=$bench_dir/fields.json
data=build/bench-data
ref=$data/ref.csv

say() { echo "bench_server: $*" >&2; }

# --- build -------------------------------------------------------------------------------
[ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
say "building release intake-server and server_bench"
cmake --build --preset release -j2 --target intake-server server_bench >/dev/null

# --- data --------------------------------------------------------------------------------
mkdir -p "$data"
if [ ! -s "$ref" ]; then
  say "generating $ref (1,000,000 rows, 1% bad)"
  python3 "$bench_dir/gen_participants.py" 1000000 "$ref.tmp" --bad-every 100
  mv "$ref.tmp" "$ref"
fi

out=$(mktemp -d "$root/$data/bench-server.XXXXXX")  # on the same disk as the data, not tmpfs
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT

# --- sqlite3 .import (file-backed, same primary key) ---------------------------------------
cut -d' ' -f1-3 /proc/loadavg >"$out/load_before.txt"  # the machine may be shared: say how busy it was
say "sqlite3 .import of $ref into a file-backed table with PRIMARY KEY(external_id)"
t0=$(date +%s.%N)
sqlite3 "$out/import.db" \
  'CREATE TABLE t(external_id TEXT PRIMARY KEY, name, email, phone, timezone, signup_date, plan, notes)' \
  ".import --csv --skip 1 $ref t" >"$out/import.log" 2>&1 || true
t1=$(date +%s.%N)
sqlite_rows=$(sqlite3 "$out/import.db" 'SELECT count(*) FROM t')
echo "$t0 $t1 $sqlite_rows" >"$out/sqlite.txt"
rm -f "$out/import.db"

# --- server ------------------------------------------------------------------------------
# start_server DB: starts intake-server on a free port with database DB (sets port, server_pid).
token=itk_bench_$(date +%s)
start_server() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  say "starting intake-server on 127.0.0.1:$port (database $1)"
  INTAKE_ADMIN_TOKEN=$token build/release/server/intake-server --db "$1" \
    --listen "127.0.0.1:$port" --web "" >"$out/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q "running at" "$out/server.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log" >&2; exit 1; }
    sleep 0.05
  done
}
run_bench() {
  build/release/tests/bench/server_bench --url "http://127.0.0.1:$port" --token "$token" \
    --pid "$server_pid" --fields "$fields" --file "$ref" --requests "$requests" "$@"
}

# The earlier measurement first, on a server and database of its own: the client validates the
# file inside the clock.
start_server "$out/inline.db"
say "running server_bench (ingest with the client validating inside the clock)"
run_bench --stages ingest_inline | tee "$out/inline.jsonl" >&2
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
server_pid=
rm -f "$out"/inline.db*

start_server "$out/intake.db"
say "running server_bench (ingest with prepared batches, list, report)"
run_bench --stages ingest,list,report | tee "$out/bench.jsonl" >&2
db_mib=$(du -m "$out/intake.db" | cut -f1)
cut -d' ' -f1-3 /proc/loadavg >"$out/load_after.txt"

# --- table -------------------------------------------------------------------------------
python3 - "$out" "$ref" "$db_mib" <<'EOF'
import json, os, platform, sys
out, ref, db_mib = sys.argv[1], sys.argv[2], sys.argv[3]
runs = [json.loads(l) for l in open(f"{out}/bench.jsonl") if l.strip()]
ingest = next(r for r in runs if r["stage"] == "ingest")
inline = next(json.loads(l) for l in open(f"{out}/inline.jsonl") if l.strip())
lists = [r for r in runs if r["stage"] == "list"]
report = next(r for r in runs if r["stage"] == "report")
t0, t1, sq_rows = open(f"{out}/sqlite.txt").read().split()
sq_secs = float(t1) - float(t0)
sq_rate = ingest["rows"] / sq_secs  # rows of the file per second, as for the server

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(f"intake-server benchmark: {os.path.basename(ref)} ({os.path.getsize(ref) / 1e6:.0f} MB, "
      f"{ingest['rows']:,} rows, 1% bad), loopback HTTP, release build, {cpu}, {os.cpu_count()} cores")
print(f"load average (1, 5, 15 min) before: {open(f'{out}/load_before.txt').read().strip()}, "
      f"after: {open(f'{out}/load_after.txt').read().strip()}")
print()
verdict = lambda ok: "PASS" if ok else "MISS"
head = f"{'measurement':<52}{'value':>16}  {'target':<14}{'result'}"
print(head)
print("-" * len(head))
def row(name, value, target="", result=""):
    print(f"{name:<52}{value:>16}  {target:<14}{result}")

ratio = ingest["rows_per_s"] / sq_rate
inline_ratio = inline["rows_per_s"] / sq_rate
row("ingest over HTTP, batches prepared before the clock", f"{ingest['rows_per_s']:,.0f} rows/s")
row(f"  (validated with the core before timing, as the browser does; 3 in flight)", "")
row(f"  ({ingest['seconds']:.1f} s, {ingest['batches']} batches, status {ingest['status']})", "")
row("  CPU during ingest: server (validate + SQLite) / client (send)",
    f"{ingest['server_cpu_s']:.1f} s / {ingest['client_cpu_s']:.1f} s")
row("ingest over HTTP, client validating inside the clock", f"{inline['rows_per_s']:,.0f} rows/s")
row(f"  (earlier measurement; fresh server and database)", "")
row(f"  ({inline['seconds']:.1f} s, {inline['batches']} batches, status {inline['status']})", "")
row("  CPU during ingest: server (validate + SQLite) / client (validate)",
    f"{inline['server_cpu_s']:.1f} s / {inline['client_cpu_s']:.1f} s")
row("sqlite3 .import, file table, PRIMARY KEY", f"{sq_rate:,.0f} rows/s")
row(f"  ({sq_secs:.1f} s, {int(sq_rows):,} rows kept)", "")
row("ingest (batches prepared) / sqlite3 .import", f"{ratio:.2f}x", ">= 1.0x", verdict(ratio >= 1.0))
row("ingest (client validating in clock) / .import", f"{inline_ratio:.2f}x", ">= 1.0x", verdict(inline_ratio >= 1.0))
print()
total = max(l["total"] for l in lists)
print(f"participants list over {total:,} participants, p95 of {lists[0]['requests']} requests each "
      f"(deep = limit=50 at the cursor 10,000 rows in, reached by 10 hops of limit=1000)")
for l in lists:
    row(f"{l['query']}  first page", f"{l['first_p95_ms']:.1f} ms", "<= 50 ms", verdict(l["first_p95_ms"] <= 50))
    if l["deep_p95_ms"] is None:
        row(f"{l['query']}  10,000 deep", f"(only {l['total']:,})", "", "-")
    else:
        row(f"{l['query']}  10,000 deep", f"{l['deep_p95_ms']:.1f} ms", "<= 50 ms", verdict(l["deep_p95_ms"] <= 50))
print()
row(f"errors.csv, {report['errors']:,} errors ({report['bytes'] / 1e6:.1f} MB), slowest of 3", f"{report['seconds']:.3f} s",
    "<= 1 s", verdict(report["seconds"] <= 1.0))
mib = lambda k: f"{report[k] / 1024:.1f} MiB"
row("  server VmRSS before / after", f"{mib('rss_before_kib')} / {mib('rss_after_kib')}")
row("  server VmHWM before / after", f"{mib('hwm_before_kib')} / {mib('hwm_after_kib')}")
grew = (report["rss_peak_seen_kib"] - report["rss_before_kib"]) / 1024
row("  VmRSS growth while streaming (sampled every 5 ms)", f"{grew:+.1f} MiB", "flat", verdict(grew < 16))
print()
print(f"database after the run: {db_mib} MiB")
EOF
