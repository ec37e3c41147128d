#!/usr/bin/env bash
# One command: install what is missing, build, and run the whole suite.
#   0. clang-format (.clang-format) check of every tracked C/C++ file;
#   1. default build (build/) through ctest, differential tests at 10,000
#      cases per kernel and backend; the timing tests (label perf) first, alone;
#   2. the suite again under AddressSanitizer + UBSan (build-asan/);
#   2b. the libFuzzer harnesses (tests/fuzz/, clang, build-fuzz/), 20 s each;
#   3. under ThreadSanitizer (build-tsan/): the HTTP server's reload storm and
#      server tests, the arena, and the engine's concurrent cases ([threads]:
#      kernel pool, split requests, concurrent clients, shadow pool);
#   4. the fleet test (tests/fleet/fleet_test.sh): four engramd behind HAProxy,
#      Prometheus with the shipped rules, plugin waves and rollbacks driven by
#      the Ansible kit in deploy/ (default build, loopback only, ~4-6 min);
#   5. the AArch64 cross build, its tests run under qemu-aarch64 (build-aarch64/).
# The next step's build runs in the background at nice 19 while a test step
# runs (ASan during the default ctest; TSan and the fuzz harnesses during the
# ASan ctest; AArch64 during the fleet test): the tests leave a third of the
# two cores idle, and at the lowest priority the build takes only that.
# Never during the timing tests. Each step reuses its build directory, so a
# second run only rebuilds what changed.
# Local shortcuts (CI sets none of them): ENGRAM_TEST_SKIP_ASAN=1,
# ENGRAM_TEST_SKIP_TSAN=1, ENGRAM_TEST_SKIP_AARCH64=1, ENGRAM_TEST_SKIP_FLEET=1,
# ENGRAM_TEST_SKIP_FUZZ=1 (ENGRAM_TEST_FUZZ_SECONDS changes the 20 s per harness).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh test

start=$(date +%s)
step() { printf '\n=== [%4ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }
skip() { [ "${!1:-0}" = "1" ]; }

# Background builds: bg NAME COMMAND... starts one (output in
# build/test-logs/NAME.log, in a session of its own so that an early exit
# can stop the whole build), bg_wait NAME waits for it and fails the run
# with its log if it failed.
logs=build/test-logs
mkdir -p "$logs"
declare -A bg_pid=()
bg() {
  local name=$1
  shift
  setsid -w nice -n 19 "$@" >"$logs/$name.log" 2>&1 &
  bg_pid[$name]=$!
}
bg_wait() {
  local name=$1
  [ -n "${bg_pid[$name]:-}" ] || return 0
  if ! wait "${bg_pid[$name]}"; then
    tail -n 60 "$logs/$name.log" >&2
    echo "tools/test.sh: background step $name failed (whole log: $logs/$name.log)" >&2
    exit 1
  fi
  unset "bg_pid[$name]"
}
trap 'for p in "${bg_pid[@]}"; do kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true; done' EXIT

tsan_targets=(test_server_reload_storm test_server_units test_engine test_arena_metrics engram-validate)

step "clang-format check (tracked C/C++ files; tests/sdk/fixtures keep a frozen header)"
git ls-files -- '*.c' '*.cpp' '*.h' ':!tests/sdk/fixtures/*' | xargs clang-format --dry-run --Werror

step "build (default preset)"
tools/build.sh default
step "ctest (default preset): timing tests (label perf), nothing else running"
ctest --test-dir build --output-on-failure -j 2 -L perf
skip ENGRAM_TEST_SKIP_ASAN || bg asan-build tools/build.sh asan
step "ctest (default preset): the rest${bg_pid[asan-build]:+ (ASan build meanwhile, nice 19)}"
ENGRAM_PROPERTY_CASES="${ENGRAM_PROPERTY_CASES:-10000}" \
  ctest --test-dir build --output-on-failure -j 2 -LE perf

if ! skip ENGRAM_TEST_SKIP_ASAN; then
  step "build (asan preset: AddressSanitizer + UndefinedBehaviorSanitizer), finishing"
  bg_wait asan-build
  # The next steps' builds, one after the other, during the ASan ctest.
  bg next-builds bash -c '
    set -e
    [ "$1" = 1 ] || tools/build.sh tsan "${@:3}"
    [ "$2" = 1 ] || ENGRAM_FUZZ_BUILD_ONLY=1 tools/fuzz.sh' _ \
    "${ENGRAM_TEST_SKIP_TSAN:-0}" "${ENGRAM_TEST_SKIP_FUZZ:-0}" "${tsan_targets[@]}"
  step "ctest (asan preset)${bg_pid[next-builds]:+ (TSan and fuzz builds meanwhile, nice 19)}"
  # qemu-user cannot host ASan's shadow memory: the Nehalem check runs in
  # the default build only. Property tests keep their quick default size.
  # The docs tests check text against the binaries' behaviour, which the
  # default build proves; under ASan they only cost CI time (~80 s).
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2 -LE 'nehalem|perf|sdk|docs'
  step "builds (tsan, fuzz), finishing"
  bg_wait next-builds
fi

if ! skip ENGRAM_TEST_SKIP_FUZZ; then
  step "fuzz (libFuzzer + ASan + UBSan, build-fuzz/): config, json, npy, csv, plugin_table"
  tools/fuzz.sh "${ENGRAM_TEST_FUZZ_SECONDS:-20}"
fi

if ! skip ENGRAM_TEST_SKIP_TSAN; then
  step "build (tsan preset: ThreadSanitizer), server and engine targets"
  # engram-validate: every plugin these tests (and the engramd they start)
  # load is first validated in a child, found beside the executable in
  # build-tsan/bin. The test targets pull in the plugins and zoo they use.
  tools/build.sh tsan "${tsan_targets[@]}"
  step "ctest (tsan preset): reload storm, reload coalescing, engine threads ([threads] cases), arena"
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir build-tsan --output-on-failure -j 2 \
      -R '^(server_reload_storm|server_units|engine_threads|arena_metrics)$'
fi

skip ENGRAM_TEST_SKIP_AARCH64 || bg aarch64-build env ENGRAM_AARCH64_BUILD_ONLY=1 tools/test-aarch64.sh
if ! skip ENGRAM_TEST_SKIP_FLEET; then
  step "fleet: deploy/ (Ansible waves, HAProxy, Prometheus gate) against four engramd${bg_pid[aarch64-build]:+ (AArch64 build meanwhile, nice 19)}"
  BUILD_DIR=build tests/fleet/fleet_test.sh
fi
if ! skip ENGRAM_TEST_SKIP_AARCH64; then
  step "aarch64 cross build, finishing; ctest under qemu-aarch64"
  bg_wait aarch64-build
  ENGRAM_PROPERTY_CASES=2000 tools/test-aarch64.sh
fi
step "all suites passed"
