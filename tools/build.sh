#!/usr/bin/env bash
# Configures (once) and builds one CMake preset: tools/build.sh [PRESET [TARGET...]]
# (default: "default", into build/, all targets). Shared by run.sh and test.sh
# so a run reuses whatever an earlier run already built.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
shift || true
case "$preset" in
  default) dir=build ;;
  *) dir="build-$preset" ;;
esac
if [ ! -f "$dir/build.ninja" ]; then
  cmake --preset "$preset" >&2
fi
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$dir" -j "$(nproc)" "${targets[@]}" >&2
