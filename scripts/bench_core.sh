#!/usr/bin/env bash
# Benchmarks the shared core against the "Speed" targets of issue 2 and prints one table, every
# number measured in this run: tokenizing and validate+batch throughput natively and in wasm
# under node (core_bench), sqlite3's CSV .import of the same file, and the CLI's peak RSS on the
# reference file and on a 4x larger one. Builds what it runs; generates the files once.
# usage: scripts/bench_core.sh [REPEATS]   (default 3; the best run of each stage is reported)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
repeats=${1:-3}
bench_dir=$(cd "$root/../shared/bench" && pwd)
fields=$bench_dir/fields.json
data=build/bench-data
ref=$data/ref.csv
ref4=$data/ref4x.csv

say() { echo "bench_core: $*" >&2; }

# --- build -------------------------------------------------------------------------------
[ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
say "building release core_bench and intake-validate"
cmake --build --preset release -j2 --target core_bench intake-validate >/dev/null
wasm_bench=build/wasm/tests/bench/core_bench.js
if command -v emcc >/dev/null && command -v node >/dev/null; then
  export NODE_PATH=/usr/share/nodejs  # Debian's emcc needs it (see TOOLCHAIN.md)
  [ -f build/wasm/CMakeCache.txt ] || cmake --preset wasm >/dev/null
  say "building wasm core_bench"
  cmake --build --preset wasm -j2 --target core_bench >/dev/null
else
  say "emcc or node missing: wasm rows will be empty (run scripts/setup.sh)"
  wasm_bench=
fi

# --- data --------------------------------------------------------------------------------
mkdir -p "$data"
gen() {  # gen ROWS FILE
  [ -s "$2" ] && return
  say "generating $2 ($1 rows, 1% bad)"
  python3 "$bench_dir/gen_participants.py" "$1" "$2.tmp" --bad-every 100
  mv "$2.tmp" "$2"
}
gen 1000000 "$ref"
gen 4000000 "$ref4"

# --- measurements ------------------------------------------------------------------------
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

say "native core_bench ($repeats runs per stage)"
build/release/tests/bench/core_bench "$fields" "$ref" "$repeats" >"$out/native.jsonl"
if [ -n "$wasm_bench" ]; then
  say "wasm core_bench under node ($repeats runs per stage)"
  node "$wasm_bench" "$fields" "$ref" "$repeats" >"$out/wasm.jsonl"
else
  : >"$out/wasm.jsonl"
fi

say "sqlite3 .import into :memory: ($repeats runs)"
for _ in $(seq "$repeats"); do
  t0=$(date +%s.%N)
  rows=$(sqlite3 :memory: -cmd '.mode csv' ".import $ref t" 'SELECT count(*) FROM t;' 2>/dev/null | tail -1)
  t1=$(date +%s.%N)
  echo "$rows $t0 $t1" >>"$out/sqlite.txt"
done

# Peak RSS of the CLI (kilobytes), and its report (which says when duplicate tracking was full).
peak_rss() {  # peak_rss FILE REPORT
  local cli=(build/release/server/intake-validate --quiet --fields "$fields" "$1")
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$out/rss" "${cli[@]}" >"$2" 2>&1 || true
    tail -1 "$out/rss"
  else
    python3 - "$2" "${cli[@]}" <<'EOF'
import resource, subprocess, sys
with open(sys.argv[1], "w") as report:
    subprocess.run(sys.argv[2:], stdout=report, stderr=subprocess.STDOUT)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
  fi
}
say "peak RSS of intake-validate on $ref and $ref4"
rss_ref=$(peak_rss "$ref" "$out/cli_ref.txt")
rss_4x=$(peak_rss "$ref4" "$out/cli_4x.txt")

# --- table -------------------------------------------------------------------------------
python3 - "$out" "$ref" "$ref4" "$rss_ref" "$rss_4x" "$repeats" <<'EOF'
import json, os, platform, sys
out, ref, ref4, rss_ref, rss_4x, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]

def best(path, stage):
    runs = [json.loads(l) for l in open(path) if l.strip()]
    runs = [r for r in runs if r["stage"] == stage]
    return max(runs, key=lambda r: r["mb_per_s"]) if runs else None

native = {s: best(f"{out}/native.jsonl", s) for s in ("tokenize", "validate+batch")}
wasm = {s: best(f"{out}/wasm.jsonl", s) for s in ("tokenize", "validate+batch")}
size = os.path.getsize(ref)
sq = []
for line in open(f"{out}/sqlite.txt"):
    rows, t0, t1 = line.split()
    sq.append((float(t1) - float(t0), int(rows)))
sq_secs, sq_rows = min(sq)
sqlite = {"mb_per_s": size / 1e6 / sq_secs, "rows_per_s": sq_rows / sq_secs}

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
print(f"Intake core benchmark: {os.path.basename(ref)} ({size / 1e6:.0f} MB, 1,000,000 rows, 1% bad), "
      f"single thread, best of {repeats} runs, {cpu}")
print()
head = f"{'measurement':<34}{'MB/s':>8}{'rows/s':>12}{'vs sqlite3':>12}  {'target':<28}{'result':<6}"
print(head)
print("-" * len(head))

def row(name, r, target="", result=""):
    if r is None:
        print(f"{name:<34}{'-':>8}{'-':>12}{'-':>12}  {target:<28}{result or 'MISS'}")
        return
    ratio = r["mb_per_s"] / sqlite["mb_per_s"]
    print(f"{name:<34}{r['mb_per_s']:>8.0f}{r['rows_per_s']:>12,.0f}{ratio:>11.1f}x  {target:<28}{result}")

def verdict(ok): return "PASS" if ok else "MISS"

t, v = native["tokenize"], native["validate+batch"]
row("tokenize, native", t, ">= 1000 MB/s", verdict(t["mb_per_s"] >= 1000))
row("tokenize+checks+batch, native", v, ">= 400 MB/s", verdict(v["mb_per_s"] >= 400))
for stage, label in (("tokenize", "tokenize, wasm (node)"), ("validate+batch", "tokenize+checks+batch, wasm")):
    w = wasm[stage]
    pct = 100 * w["mb_per_s"] / native[stage]["mb_per_s"] if w else 0
    target = f">= 50% of native ({pct:.0f}%)" if w else ">= 50% of native"
    row(label, w, target, verdict(pct >= 50) if stage == "validate+batch" else ("" if w else "-"))
print(f"{'sqlite3 .import (:memory:)':<34}{sqlite['mb_per_s']:>8.0f}{sqlite['rows_per_s']:>12,.0f}{'1.0':>11}x")
print()
ratio = rss_4x / rss_ref
print(f"{'peak RSS intake-validate, ref':<34}{rss_ref / 1024:>8.1f} MiB")
print(f"{'peak RSS intake-validate, 4x file':<34}{rss_4x / 1024:>8.1f} MiB   4x/ref = {ratio:.3f}"
      f"{'':<4}{'within 10%':<28}{verdict(ratio <= 1.10)}")
notes = [l.strip() for l in open(f"{out}/cli_4x.txt") if "duplicate" in l.lower()]
if notes:
    print()
    print("intake-validate on the 4x file (4,000,000 identities; the duplicate table holds 1.5 Mi):")
    for l in notes: print("  " + l)
EOF
