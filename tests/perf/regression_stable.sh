#!/usr/bin/env bash
# ctest perf_regression_stable: the unchanged build must pass
# tools/bench-regression.sh --short against the committed baseline of this CPU
# every time, however loaded the machine is: RUNS (default 2) consecutive runs,
# each must exit 0. A flake here means the short mode's statistic, workloads
# or threshold need revisiting (docs/benchmarks/regression.md).
#   regression_stable.sh BUILD_DIR [RUNS] [OUT_DIR]
# Exit 77 (skipped) when this CPU has no baseline.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:?usage: $0 BUILD_DIR [RUNS] [OUT_DIR]}"
runs="${2:-2}"
out_dir="${3:-$build/Testing/perf-stable}"

failed=0
for i in $(seq 1 "$runs"); do
  rc=0
  "$root/tools/bench-regression.sh" --short --build-dir "$build" --out-dir "$out_dir/$i" || rc=$?
  echo "--- run $i/$runs: bench-regression.sh exited $rc"
  echo
  [ "$rc" = 77 ] && exit 77
  # 3: the machine stayed too disturbed to measure; not a verdict either way.
  if [ "$rc" = 3 ]; then echo "SKIPPED: machine too disturbed to measure"; exit 77; fi
  [ "$rc" = 0 ] || failed=$((failed + 1))
done
if [ "$failed" -ne 0 ]; then
  echo "FAIL: $failed of $runs runs of the unchanged build did not pass"
  exit 1
fi
echo "PASS: $runs of $runs runs of the unchanged build passed"
