#!/usr/bin/env bash
# ctest perf_regression_detects_slowdown: the harness's test-only knob makes
# every avx2 kernel call 20% slower (ENGRAM_BENCH_TEST_SLOWDOWN=avx2:1.20,
# bench/bench_test_knobs.h); tools/bench-regression.sh --short must exit 1 and
# name the avx2 benchmarks that gate (decay/avx2/10000, similarity/avx2/768x1),
# and only avx2 ones. 20%, not 10%: a shift of 5-10% whose baseline lies
# inside the run's own interquartile range is informational since 7123ea5
# (docs/benchmarks/regression.md, rule 5), and on a loaded CI machine the 10%
# knob measured +9.6% on decay/avx2/10000 with a wide range: reported
# "slower (informational)", which failed this test. Above 10% the gate must
# decide.
#   regression_detects_slowdown.sh BUILD_DIR [OUT_DIR]
# Exit 77 (skipped) when this CPU has no baseline or no avx2 backend.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:?usage: $0 BUILD_DIR [OUT_DIR]}"
out_dir="${2:-$build/Testing/perf-slowdown}"

rc=0
report="$(ENGRAM_BENCH_TEST_SLOWDOWN=avx2:1.20 "$root/tools/bench-regression.sh" --short \
  --build-dir "$build" --out-dir "$out_dir" 2>&1)" || rc=$?
echo "$report"
echo "--- bench-regression.sh exited $rc"
[ "$rc" = 77 ] && exit 77
# 3: the machine stayed too disturbed to measure; not a verdict either way.
if [ "$rc" = 3 ]; then echo "SKIPPED: machine too disturbed to measure"; exit 77; fi
if [ "$rc" = 0 ] && ! grep -q '^[a-z]*/avx2/' <<<"$report"; then
  echo "SKIPPED: no avx2 backend on this machine"; exit 77
fi

fail=0
if [ "$rc" != 1 ]; then
  echo "FAIL: expected exit 1 (regression) for a 20% slower avx2 backend, got $rc"; fail=1
fi
# decay/avx2/10000 (~6 us a call): the knob adds 20% plus its clock reads;
# the 768x1 pair (~50 ns) is slowed far more. Spreading 1000x8 does not gate
# in short mode on this machine (its reference is too noisy: the baseline
# marks it informational), so it may be reported as "slower (noisy here
# ...)" and is not required.
for b in decay/avx2/10000 similarity/avx2/768x1; do
  if ! grep -q "^REGRESSION: $b " <<<"$report"; then
    echo "FAIL: $b was not reported as a regression"; fail=1
  fi
done
if grep '^REGRESSION: ' <<<"$report" | grep -v '^REGRESSION: [a-z]*/avx2/'; then
  echo "FAIL: a benchmark that was not slowed is reported as a regression (above)"; fail=1
fi
[ "$fail" = 0 ] && echo "PASS: the 20% avx2 slowdown is reported, nothing else is"
exit "$fail"
