#!/usr/bin/env bash
# Performance-regression check of the kernels (issue 6). Runs engram_bench from
# an existing build, in several separate processes, with repetitions in random
# interleaved order, then compares every backend's time RELATIVE TO THE
# REFERENCE BACKEND on the same workload in the same run against the committed
# baseline of this CPU (bench/baselines/<cpu-slug>.json, one section per mode:
# the ratios depend on what runs around them), with tools/bench_compare.py.
# See docs/benchmarks/regression.md.
#
#   tools/bench-regression.sh [--short]          # the test-suite mode (default)
#   tools/bench-regression.sh --full             # every benchmark, for releases
#   tools/bench-regression.sh --full --update-baseline   # rewrite the baseline
#
# Options (each overrides the mode's default):
#   --build-dir DIR     the build to run (default $ENGRAM_BUILD_DIR, else build/):
#                       DIR/bin/engram_bench and, unless ENGRAM_BENCH_PLUGIN_DIR
#                       says otherwise, the plugins it was built with
#   --baseline FILE     default $ENGRAM_BENCH_BASELINE, else
#                       bench/baselines/$(tools/bench_compare.py slug).json
#   --out-dir DIR       where the JSON goes (default DIR/bench-regression)
#   --processes N       separate engram_bench processes   (short 3, full 3)
#   --repetitions N     repetitions per process           (short 7, full 10)
#   --min-time S        --benchmark_min_time per repetition (short 0.02, full 0.1)
#   --filter REGEX      --benchmark_filter                (short: see SHORT_FILTER)
#   --threshold X       fail above this slowdown (default 0.05 = 5%)
#   --confirm N         when the first round finds regressions, run N more
#                       processes and decide on all processes together
#                       (short 4, full 2; 0 = decide on the first round)
#   --retries N         when too few processes are usable (the reference kernels
#                       ran > 1.25x slower than in the baseline: a disturbed
#                       machine), wait 10 s and run more, up to N times (2)
#   --update-baseline   write this run's ratios into this mode's section of the
#                       baseline instead of comparing (the section is replaced;
#                       with --filter only the measured entries are)
#
# Exit: 0 pass (improvements are reported, not failed), 1 regression over the
# threshold or a backend benchmark missing/failing, 2 usage or run error,
# 3 inconclusive (the machine stayed too disturbed), 77 no baseline for this
# CPU (ctest shows the test as skipped).
# Standard tools only: bash, python3 (standard library).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# Short mode: small, cache-resident workloads of each kernel. Measured on a
# busy 2-vCPU machine, their ratios to the reference are the stable ones; the
# L3/DRAM-sized batches (768x1000 and up) move by 5-30% from one process to the
# next with other tenants' memory traffic, so they are left to --full.
# (Google Benchmark 1.7.1's std::regex needs the anchors inside the alternation.)
SHORT_FILTER='^(similarity|spreading|decay)/[a-z0-9_]+/(768x1$|1000x8$|10000$)'

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

mode=short
update=0
build="${ENGRAM_BUILD_DIR:-$root/build}"
baseline="${ENGRAM_BENCH_BASELINE:-}"
out_dir=""
processes="" repetitions="" min_time="" filter="" filter_set=0 threshold=0.05 confirm="" retries=2
while [ $# -gt 0 ]; do
  case "$1" in
    --short) mode=short ;;
    --full) mode=full ;;
    --update-baseline) update=1 ;;
    --build-dir) build="$2"; shift ;;
    --baseline) baseline="$2"; shift ;;
    --out-dir) out_dir="$2"; shift ;;
    --processes) processes="$2"; shift ;;
    --repetitions) repetitions="$2"; shift ;;
    --min-time) min_time="$2"; shift ;;
    --filter) filter="$2"; filter_set=1; shift ;;
    --threshold) threshold="$2"; shift ;;
    --confirm) confirm="$2"; shift ;;
    --retries) retries="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-regression: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$mode" = short ]; then
  : "${processes:=3}" "${repetitions:=7}" "${min_time:=0.02}" "${confirm:=4}"
  [ "$filter_set" = 1 ] || filter="$SHORT_FILTER"
else
  : "${processes:=3}" "${repetitions:=10}" "${min_time:=0.1}" "${confirm:=2}"
fi

bench="$build/bin/engram_bench"
if [ ! -x "$bench" ]; then
  echo "bench-regression: $bench not found; build it first, e.g." >&2
  echo "  cmake --build $build --target engram_bench" >&2
  exit 2
fi
# The WordNet noun graph of spreading/<backend>/wordnet_nouns* (in the full
# baseline): made from Debian wordnet-base (tools/deps.sh bench), as
# tools/bench.sh makes it; without it engram_bench leaves those workloads out
# and the comparison reports them missing.
if [ "$mode" = full ] && [ ! -f "$build/scratch/wordnet_nouns_edges.csv" ]; then
  /usr/bin/python3 "$root/bench/make_wordnet_fixture.py" --graph-only --out "$build/scratch" >&2 ||
    echo "bench-regression: could not make the WordNet graph fixture (is wordnet-base installed?)" >&2
fi
compare=(python3 "$root/tools/bench_compare.py")
slug="$("${compare[@]}" slug)"
: "${baseline:=$root/bench/baselines/$slug.json}"

if [ "$update" = 0 ] && [ ! -f "$baseline" ]; then
  echo "bench-regression: SKIPPED: no baseline for this CPU (slug $slug): $baseline does not exist."
  echo "  Nothing was measured. To create one on this machine (a quiet machine is better):"
  echo "    tools/bench-regression.sh --$mode --update-baseline"
  exit 77
fi

: "${out_dir:=$build/bench-regression}"
mkdir -p "$out_dir"
rm -f "$out_dir"/run-*.json "$out_dir"/run-*.log
build_type="$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)"

args=(--benchmark_repetitions="$repetitions" --benchmark_enable_random_interleaving=true
      --benchmark_min_time="$min_time" --benchmark_out_format=json)

echo "bench-regression: $mode mode, $processes process(es) x $repetitions repetitions," \
     "min_time $min_time s, filter '${filter:-all}'"
echo "  $(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)" \
     "(slug $slug), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
     "build ${build_type:-?} ($build)"
[ -z "${ENGRAM_BENCH_TEST_SLOWDOWN:-}" ] ||
  echo "  test knob: ENGRAM_BENCH_TEST_SLOWDOWN=$ENGRAM_BENCH_TEST_SLOWDOWN"

runs=()
# run_processes FIRST LAST FILTER: engram_bench processes FIRST..LAST, appended to runs.
run_processes() {
  local p json log start
  for p in $(seq "$1" "$2"); do
    json="$out_dir/run-$p.json"
    log="$out_dir/run-$p.log"
    start=$SECONDS
    if ! "$bench" "${args[@]}" ${3:+--benchmark_filter="$3"} --benchmark_out="$json" >"$log" 2>&1; then
      echo "bench-regression: engram_bench failed (process $p); its output ($log):" >&2
      tail -n 20 "$log" >&2
      exit 2
    fi
    echo "  process $p/$2: $((SECONDS - start)) s -> $json"
    runs+=("$json")
  done
}
run_processes 1 "$processes" "$filter"
echo

common=(--baseline "$baseline" --mode "$mode" --threshold "$threshold" --build-type "$build_type")
if [ "$update" = 1 ]; then
  replace=()
  if [ "$filter_set" = 0 ]; then replace=(--replace); fi
  "${compare[@]}" update "${runs[@]}" "${common[@]}" "${replace[@]}" \
    --command "tools/bench-regression.sh --$mode --update-baseline (${processes} x ${repetitions} repetitions, min_time ${min_time}${filter:+, filter $filter})"
else
  # Each round compares all processes so far. A process measured in a
  # disturbed period (its reference kernels > 1.25x slower than in the
  # baseline) is left out by bench_compare.py; with fewer than $processes
  # left it answers 3 (inconclusive) and another $processes run after a pause,
  # up to --retries times. A round that finds regressions gets a
  # confirmation round (--confirm more processes).
  suspects="$out_dir/suspects.txt"
  next=$((processes + 1)) retried=0 confirmed=0
  while :; do
    status=0
    rm -f "$suspects"
    "${compare[@]}" compare "${runs[@]}" "${common[@]}" ${filter:+--filter "$filter"} \
      --min-processes "$processes" --suspects "$suspects" >"$out_dir/report.txt" || status=$?
    if [ "$status" = 3 ] && [ "$retried" -lt "$retries" ]; then
      grep -E '^(DISTURBED|INCONCLUSIVE)|^  DISTURBED' "$out_dir/report.txt" | sed 's/^ */  /'
      retried=$((retried + 1))
      echo "bench-regression: machine disturbed; waiting 10 s, then $processes more process(es)" \
           "(retry $retried/$retries)"
      sleep 10
      run_processes "$next" $((next + processes - 1)) "$filter"
      next=$((next + processes))
      continue
    fi
    if [ "$status" = 1 ] && [ "$confirmed" = 0 ] && [ "$confirm" -gt 0 ] && [ -s "$suspects" ]; then
      # Confirmation round: a real slowdown persists; a noisy first round (a
      # disturbed period, an unlucky process) is outvoted by the median. Same
      # selection as the first round: a ratio depends on what runs around it
      # (processes of only the suspects measured -30%..+27% off).
      grep -E '^(REGRESSION|HINT)' "$out_dir/report.txt" | sed 's/^/  round 1: /'
      confirmed=1
      echo "bench-regression: confirming with $confirm more process(es)"
      run_processes "$next" $((next + confirm - 1)) "$filter"
      next=$((next + confirm))
      continue
    fi
    break
  done
  echo
  cat "$out_dir/report.txt"
  if [ "$status" = 3 ]; then
    echo "bench-regression: INCONCLUSIVE: the machine stayed too disturbed to compare ratios"
  fi
  exit "$status"
fi
