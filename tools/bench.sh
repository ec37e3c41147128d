#!/usr/bin/env bash
# Builds engram_bench in Release (its own build dir), runs every kernel x
# backend and the peers, writes the Google Benchmark JSON and prints the
# issue-3 ratio table (tools/bench_ratios.py).
#
#   tools/bench.sh                 # full: 5 repetitions, medians
#   tools/bench.sh --short         # quick: one 0.05 s run per benchmark
#   tools/bench.sh [--short] [ARGS...]   # ARGS go to engram_bench, e.g.
#       --benchmark_filter='^(similarity|peer_openblas)'
#
# Environment: ENGRAM_BENCH_BUILD_DIR (default build-bench/),
# ENGRAM_BENCH_OUT (JSON, default <build dir>/engram_bench.json),
# ENGRAM_BENCH_PLUGIN_DIR (plugins to load, default <build dir>/plugins),
# ENGRAM_BENCH_CHECK=1 (exit 1 when a target is missed).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh bench

build="${ENGRAM_BENCH_BUILD_DIR:-build-bench}"
out="${ENGRAM_BENCH_OUT:-$build/engram_bench.json}"

mode=(--benchmark_repetitions=5 --benchmark_report_aggregates_only=true)
if [ "${1:-}" = "--short" ]; then
  shift
  mode=(--benchmark_min_time=0.05)
fi

if [ ! -f "$build/build.ninja" ]; then
  # -Wno-restrict: GCC 12 at -O3 reports a false -Wrestrict inside
  # libstdc++'s string operator+ (GCC PR 105651), which -Werror would turn
  # into a build failure of the core in Release; no effect on generated code.
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DENGRAM_BUILD_TESTS=OFF \
    -DENGRAM_BUILD_BENCH=ON -DCMAKE_CXX_FLAGS=-Wno-restrict >&2
fi
# engram_bench depends on every plugin target, so this builds them too.
cmake --build "$build" -j 2 --target engram_bench >&2

# The WordNet noun graph (spreading/<backend>/wordnet_nouns*): made from
# Debian wordnet-base in under a second, kept in the build tree.
if [ ! -f "$build/scratch/wordnet_nouns_edges.csv" ]; then
  /usr/bin/python3 bench/make_wordnet_fixture.py --graph-only --out "$build/scratch" >&2
fi

echo "engram_bench: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) CPUs" >&2
"$build/bin/engram_bench" "${mode[@]}" --benchmark_out="$out" --benchmark_out_format=json "$@"

check=()
if [ "${ENGRAM_BENCH_CHECK:-0}" = "1" ]; then check=(--check); fi
echo
python3 tools/bench_ratios.py "$out" "${check[@]}"
