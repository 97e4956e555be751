#!/usr/bin/env bash
# Benchmarks intake-server against the "Speed" targets of issue 3 and prints one table, every
# number measured in this run: ingest of the reference file over loopback HTTP (validated with
# the core into batches, 3 in flight; the server re-validates each) against sqlite3's .import of
# the same file into a file-backed table with the same primary key — in ROUNDS rounds (default
# 3; a shared VM's speed drifts between runs of one binary by 10-20%), each round timing .import
# and then two ingests, each on a fresh server and database: with the batches prepared before the
# clock starts (as the browser does on the user's machine; .import has no client either), and,
# as measured before, with the client validating the file inside the clock on the same 2 cores;
# every round's ratios are printed and the verdicts use their medians. Then the participants
# list over the ingested participants (every sort both ways, field filters, first page and
# 10,000 rows deep, p95); and a 100,000-error report streamed, with the server's memory before
# and after.
# usage: scripts/bench_server.sh [REQUESTS]   (requests per list measurement, default 20)
#        ROUNDS=N scripts/bench_server.sh      (ingest rounds, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
requests=${1:-20}
rounds=${ROUNDS:-3}
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
stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  server_pid=
}
run_bench() {
  build/release/tests/bench/server_bench --url "http://127.0.0.1:$port" --token "$token" \
    --pid "$server_pid" --fields "$fields" --file "$ref" --requests "$requests" "$@"
}

cut -d' ' -f1-3 /proc/loadavg >"$out/load_before.txt"  # the machine may be shared: say how busy it was
for round in $(seq "$rounds"); do
  # --- sqlite3 .import (file-backed, same primary key) -------------------------------------
  say "round $round/$rounds: sqlite3 .import of $ref into a file-backed table with PRIMARY KEY(external_id)"
  t0=$(date +%s.%N)
  sqlite3 "$out/import.db" \
    'CREATE TABLE t(external_id TEXT PRIMARY KEY, name, email, phone, timezone, signup_date, plan, notes)' \
    ".import --csv --skip 1 $ref t" >"$out/import.log" 2>&1 || true
  t1=$(date +%s.%N)
  sqlite_rows=$(sqlite3 "$out/import.db" 'SELECT count(*) FROM t')
  echo "$t0 $t1 $sqlite_rows" >>"$out/sqlite.txt"
  rm -f "$out/import.db"

  # The earlier measurement, on a server and database of its own: the client validates the
  # file inside the clock.
  start_server "$out/inline.db"
  say "round $round/$rounds: server_bench (ingest with the client validating inside the clock)"
  run_bench --stages ingest_inline | tee -a "$out/inline.jsonl" >&2
  stop_server
  rm -f "$out"/inline.db*

  # Prepared batches; the last round's server and database then serve the list and report.
  rm -f "$out"/intake.db*
  start_server "$out/intake.db"
  if [ "$round" -lt "$rounds" ]; then
    say "round $round/$rounds: server_bench (ingest with prepared batches)"
    run_bench --stages ingest | tee -a "$out/bench.jsonl" >&2
    stop_server
  else
    say "round $round/$rounds: server_bench (ingest with prepared batches, list, report)"
    run_bench --stages ingest,list,report | tee -a "$out/bench.jsonl" >&2
  fi
done
db_mib=$(du -m "$out/intake.db" | cut -f1)
cut -d' ' -f1-3 /proc/loadavg >"$out/load_after.txt"

# --- table -------------------------------------------------------------------------------
python3 - "$out" "$ref" "$db_mib" <<'EOF'
import json, os, platform, sys
out, ref, db_mib = sys.argv[1], sys.argv[2], sys.argv[3]
import statistics
runs = [json.loads(l) for l in open(f"{out}/bench.jsonl") if l.strip()]
ingests = [r for r in runs if r["stage"] == "ingest"]           # one per round, in order
inlines = [json.loads(l) for l in open(f"{out}/inline.jsonl") if l.strip()]
lists = [r for r in runs if r["stage"] == "list"]
report = next(r for r in runs if r["stage"] == "report")
imports = [l.split() for l in open(f"{out}/sqlite.txt") if l.strip()]  # t0 t1 rows, per round
rows = ingests[0]["rows"]
sq_rates = [rows / (float(t1) - float(t0)) for t0, t1, _ in imports]  # rows of the file per second
ratios = [i["rows_per_s"] / q for i, q in zip(ingests, sq_rates)]
inline_ratios = [i["rows_per_s"] / q for i, q in zip(inlines, sq_rates)]
median = statistics.median

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(f"intake-server benchmark: {os.path.basename(ref)} ({os.path.getsize(ref) / 1e6:.0f} MB, "
      f"{rows:,} rows, 1% bad), loopback HTTP, release build, {cpu}, {os.cpu_count()} cores")
print(f"load average (1, 5, 15 min) before: {open(f'{out}/load_before.txt').read().strip()}, "
      f"after: {open(f'{out}/load_after.txt').read().strip()}")
print()
verdict = lambda ok: "PASS" if ok else "MISS"
head = f"{'measurement':<52}{'value':>16}  {'target':<14}{'result'}"
print(head)
print("-" * len(head))
def row(name, value, target="", result=""):
    print(f"{name:<52}{value:>16}  {target:<14}{result}")

print(f"ingest, {len(ingests)} rounds (each: .import, then each ingest on a fresh server and database)")
for k, (i, n, q) in enumerate(zip(ingests, inlines, sq_rates), 1):
    row(f"  round {k}: .import / prepared / client validating", f"{q / 1e3:,.0f}k / {i['rows_per_s'] / 1e3:,.0f}k / {n['rows_per_s'] / 1e3:,.0f}k rows/s")
    row(f"  round {k}: ratios prepared / client validating", f"{ratios[k - 1]:.2f}x / {inline_ratios[k - 1]:.2f}x")
last, last_inline = ingests[-1], inlines[-1]
row("ingest over HTTP, batches prepared before the clock", f"{median([i['rows_per_s'] for i in ingests]):,.0f} rows/s")
row(f"  (median; validated with the core before timing, as the browser does; 3 in flight)", "")
row(f"  (last round: {last['seconds']:.1f} s, {last['batches']} batches, status {last['status']})", "")
row("  CPU during ingest: server (validate + SQLite) / client (send)",
    f"{median([i['server_cpu_s'] for i in ingests]):.1f} s / {median([i['client_cpu_s'] for i in ingests]):.1f} s")
row("ingest over HTTP, client validating inside the clock", f"{median([i['rows_per_s'] for i in inlines]):,.0f} rows/s")
row(f"  (median; earlier measurement; fresh server and database)", "")
row(f"  (last round: {last_inline['seconds']:.1f} s, {last_inline['batches']} batches, status {last_inline['status']})", "")
row("  CPU during ingest: server (validate + SQLite) / client (validate)",
    f"{median([i['server_cpu_s'] for i in inlines]):.1f} s / {median([i['client_cpu_s'] for i in inlines]):.1f} s")
row("sqlite3 .import, file table, PRIMARY KEY", f"{median(sq_rates):,.0f} rows/s")
row(f"  (median; {int(imports[-1][2]):,} rows kept)", "")
row("ingest (batches prepared) / sqlite3 .import, median", f"{median(ratios):.2f}x", ">= 1.0x", verdict(median(ratios) >= 1.0))
row("ingest (client validating) / .import, median", f"{median(inline_ratios):.2f}x", ">= 1.0x",
    verdict(median(inline_ratios) >= 1.0))
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
