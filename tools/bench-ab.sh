#!/usr/bin/env bash
# Before/after of a kernel change, side by side in one run: engram_bench runs
# alternately against two (or more) plugin directories through
# ENGRAM_BENCH_PLUGIN_DIR, round after round, so a co-tenant's burst or a
# change in the machine's memory bandwidth lands on every variant alike
# instead of on whichever ran during it. Prints, per benchmark and variant,
# the median and the minimum CPU time over the rounds, and each variant's
# median relative to the first variant's.
#
#   tools/bench-ab.sh [--build-dir DIR] [--rounds N] [--min-time S] FILTER NAME=DIR NAME=DIR...
#
# DIR holds the plugins of one variant (the .so files of a build's plugins/
# directory, copied aside; a variant needs the reference plugin too, as
# engram_bench loads what it finds there). FILTER is a --benchmark_filter.
#   --build-dir DIR   the engram_bench to run: DIR/bin/engram_bench
#                     (default $ENGRAM_BUILD_DIR, else build/)
#   --rounds N        rounds (default 3); each round runs every variant once
#   --min-time S      --benchmark_min_time of each run (default 0.3)
# Example (docs/benchmarks/README.md, "Before and after"):
#   mkdir -p /tmp/ab/old && cp build/plugins/*.so /tmp/ab/old/   # before the change
#   ...rebuild...;  mkdir -p /tmp/ab/new && cp build/plugins/*.so /tmp/ab/new/
#   tools/bench-ab.sh '^spreading/avx2/' old=/tmp/ab/old new=/tmp/ab/new
# Exit: 0 done, 2 usage or run error. Standard tools only: bash, python3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${ENGRAM_BUILD_DIR:-$root/build}
rounds=3
min_time=0.3
usage() {
    sed -n '10,22p' "$0" >&2
    exit 2
}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --build-dir) build_dir=${2:?}; shift 2 ;;
        --rounds) rounds=${2:?}; shift 2 ;;
        --min-time) min_time=${2:?}; shift 2 ;;
        -h | --help) usage ;;
        --*) echo "bench-ab: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[[ $# -ge 2 ]] || usage
filter=$1
shift
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench-ab: --rounds must be a positive integer" >&2; exit 2; }
bench=$build_dir/bin/engram_bench
[[ -x $bench ]] || { echo "bench-ab: no $bench (build first)" >&2; exit 2; }
names=()
dirs=()
for v in "$@"; do
    [[ $v == *=* ]] || { echo "bench-ab: variant '$v' is not NAME=DIR" >&2; exit 2; }
    names+=("${v%%=*}")
    dirs+=("${v#*=}")
    [[ -d ${v#*=} ]] || { echo "bench-ab: ${v#*=} is not a directory" >&2; exit 2; }
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((r = 1; r <= rounds; ++r)); do
    for i in "${!names[@]}"; do
        if ! ENGRAM_BENCH_PLUGIN_DIR=${dirs[$i]} "$bench" --benchmark_filter="$filter" \
            --benchmark_min_time="$min_time" --benchmark_format=json \
            > "$out/${names[$i]}.$r.json" 2> "$out/${names[$i]}.$r.err"; then
            echo "bench-ab: engram_bench failed for ${names[$i]} (round $r):" >&2
            tail -5 "$out/${names[$i]}.$r.err" >&2
            exit 2
        fi
    done
done

python3 - "$out" "${names[@]}" <<'PY'
import json, os, statistics, sys
out, names = sys.argv[1], sys.argv[2:]
times = {}  # (benchmark, variant) -> [cpu ns]
for f in sorted(os.listdir(out)):
    if not f.endswith(".json"):
        continue
    name = f.split(".")[0]
    for b in json.load(open(os.path.join(out, f))).get("benchmarks", []):
        if b.get("run_type", "iteration") != "iteration" or "error_occurred" in b:
            continue
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        times.setdefault((b["name"], name), []).append(b["cpu_time"] * scale)
if not times:
    sys.exit("bench-ab: no benchmark matched the filter")
for bench in sorted({b for b, _ in times}):
    base = times.get((bench, names[0]))
    for n in names:
        t = times.get((bench, n))
        if not t:
            print(f"{bench:48s} {n:10s} missing")
            continue
        med = statistics.median(t)
        rel = f"  {med / statistics.median(base):.3f}x of {names[0]}" if base and n != names[0] else ""
        print(f"{bench:48s} {n:10s} median {med / 1e6:9.4f} ms  min {min(t) / 1e6:9.4f} ms  "
              f"rounds {len(t)}{rel}")
PY
