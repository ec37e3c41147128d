#!/usr/bin/env bash
# libFuzzer harnesses (tests/fuzz/) under AddressSanitizer + UBSan, built with
# Debian's clang into build-fuzz/, each run for a bounded time.
#
#   tools/fuzz.sh [SECONDS] [HARNESS...]   # default 60 s each, every harness
#
# Harnesses: config (TOML reader), json (request codec + /v1/similar fast
# parser), npy (.npy header and reader), csv (edges/memories readers),
# plugin_table (ABI negotiation of a fuzzed kernel table).
# Each run starts from the seeds in tests/fuzz/corpus/<harness>/ plus what
# earlier runs found (build-fuzz/corpus/<harness>/, never the source tree);
# a crash leaves its input in build-fuzz/artifacts/ and fails the script.
# Environment: ENGRAM_FUZZ_BUILD_DIR (default build-fuzz), ENGRAM_FUZZ_ARGS
# (extra libFuzzer flags, e.g. "-jobs=2 -workers=2"), ENGRAM_FUZZ_JOBS (how
# many harnesses run at once; default: the number of cores).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
all=(config json npy csv plugin_table)
harnesses=("$@")
[ "${#harnesses[@]}" -gt 0 ] || harnesses=("${all[@]}")
build="${ENGRAM_FUZZ_BUILD_DIR:-build-fuzz}"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DENGRAM_BUILD_TESTS=OFF -DENGRAM_BUILD_BENCH=OFF -DENGRAM_BUILD_FUZZ=ON \
    "-DCMAKE_C_FLAGS=-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined >&2
fi
targets=()
for h in "${harnesses[@]}"; do targets+=(--target "fuzz_$h"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}" >&2

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$build/artifacts"
# One harness per core at a time (each libFuzzer run is single-threaded):
# on the 2-core CI machine the five 20 s runs take 60 s instead of 100 s.
jobs_max="${ENGRAM_FUZZ_JOBS:-$(nproc)}"
run_one() {  # run_one HARNESS: writes $build/fuzz_HARNESS.{log,result}
  local h=$1 corpus="$build/corpus/$1" log="$build/fuzz_$1.log"
  mkdir -p "$corpus"
  echo "=== fuzz_$h: ${seconds}s" >&2
  # shellcheck disable=SC2086
  if "$build/bin/fuzz_$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$h-" ${ENGRAM_FUZZ_ARGS:-} \
       "$corpus" "tests/fuzz/corpus/$h" >"$log" 2>&1; then
    echo ok >"$build/fuzz_$h.result"
  else
    echo failed >"$build/fuzz_$h.result"
  fi
}
for h in "${harnesses[@]}"; do
  rm -f "$build/fuzz_$h.result"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  run_one "$h" &
done
wait
total=0
failed=()
for h in "${harnesses[@]}"; do
  log="$build/fuzz_$h.log"
  if [ "$(cat "$build/fuzz_$h.result" 2>/dev/null)" = ok ]; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -E '^#[0-9]+.*DONE' "$log" | tail -1 | sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/')
    echo "fuzz_$h: ${runs:-?} executions in ${seconds}s, no defect ($cov)"
    total=$((total + ${runs:-0}))
  else
    echo "fuzz_$h: DEFECT FOUND, see $log and $build/artifacts/$h-*" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 >&2 || true
    failed+=("$h")
  fi
done
echo "fuzz: $total executions in total"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: defects in ${failed[*]}; replay with: $build/bin/fuzz_<harness> <artifact>" >&2
  exit 1
fi
