#!/usr/bin/env bash
# One command: install what is missing, build, and run the whole suite:
#   1. the default build (build/) through ctest;
#   2. the same suite under AddressSanitizer + UBSan (build-asan/).
# ENGRAM_TEST_SKIP_ASAN=1 skips step 2 for a quick local loop (CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh

step() { printf '\n=== %s\n' "$*"; }

step "build (default preset)"
tools/build.sh default
step "ctest (default preset)"
ctest --test-dir build --output-on-failure -j 2

if [ "${ENGRAM_TEST_SKIP_ASAN:-0}" != "1" ]; then
  step "build (asan preset: AddressSanitizer + UndefinedBehaviorSanitizer)"
  tools/build.sh asan
  step "ctest (asan preset)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j 2
fi
step "all suites passed"
