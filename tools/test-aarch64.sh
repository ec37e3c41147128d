#!/usr/bin/env bash
# AArch64 for real: cross-builds the kernel layers (common, platform, oracle,
# loader), the reference and neon plugins, the plugin zoo and their tests with
# g++-aarch64-linux-gnu (preset "aarch64", build-aarch64/), then runs ctest,
# which starts every test binary under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR).
#   ENGRAM_PROPERTY_CASES  differential cases per kernel and backend (default
#                          here 2000: qemu is ~10x slower than the machine)
#   ENGRAM_AARCH64_BUILD_DIR  build somewhere else than build-aarch64/
# Needs tools/deps.sh first (cross compiler, qemu-user, libssl-dev:arm64).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in aarch64-linux-gnu-g++ qemu-aarch64; do
  command -v "$tool" >/dev/null || { echo "tools/test-aarch64.sh: $tool missing; run tools/deps.sh" >&2; exit 1; }
done
[ -e /usr/lib/aarch64-linux-gnu/libcrypto.so ] ||
  { echo "tools/test-aarch64.sh: arm64 libcrypto missing (libssl-dev:arm64); run tools/deps.sh" >&2; exit 1; }

dir="${ENGRAM_AARCH64_BUILD_DIR:-build-aarch64}"
if [ ! -f "$dir/build.ninja" ]; then
  cmake --preset aarch64 -B "$dir" >&2
fi
cmake --build "$dir" -j "$(nproc)" >&2

# Prove the binaries really are AArch64 before trusting a green run.
readelf -h "$dir/plugins/libengram_neon.so" 2>/dev/null | grep -q 'Machine: *AArch64' ||
  { echo "tools/test-aarch64.sh: $dir/plugins/libengram_neon.so is not an AArch64 object" >&2; exit 1; }

export ENGRAM_PROPERTY_CASES="${ENGRAM_PROPERTY_CASES:-2000}"
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
