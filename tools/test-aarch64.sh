#!/usr/bin/env bash
# AArch64 for real: cross-builds the kernel layers (common, platform, oracle,
# loader), the reference, neon and neon_dotprod plugins, the plugin zoo and their tests with
# g++-aarch64-linux-gnu (preset "aarch64", build-aarch64/), then runs ctest,
# which starts every test binary under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR).
#   ENGRAM_PROPERTY_CASES  differential cases per kernel and backend (default
#                          here 2000: qemu is ~10x slower than the machine)
#   ENGRAM_AARCH64_BUILD_DIR  build somewhere else than build-aarch64/
# Sets ENGRAM_VALIDATOR to $dir/engram-validate-qemu (written here), so the
# loader's validation child runs under qemu too (no binfmt_misc needed).
# Needs tools/deps.sh first (cross compiler, qemu-user, libssl-dev:arm64).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in aarch64-linux-gnu-g++ qemu-aarch64; do
  command -v "$tool" >/dev/null || { echo "tools/test-aarch64.sh: $tool missing; run tools/deps.sh" >&2; exit 1; }
done
[ -e /usr/lib/aarch64-linux-gnu/libcrypto.so ] ||
  { echo "tools/test-aarch64.sh: arm64 libcrypto missing (libssl-dev:arm64); run tools/deps.sh" >&2; exit 1; }

dir="${ENGRAM_AARCH64_BUILD_DIR:-build-aarch64}"
# Configured every time (quick when nothing changed), so an existing build
# directory picks up changes to the preset, e.g. its emulator command.
cmake --preset aarch64 -B "$dir" >&2
cmake --build "$dir" -j "$(nproc)" >&2

# Prove the binaries really are AArch64 before trusting a green run.
for p in neon neon_dotprod; do
  readelf -h "$dir/plugins/libengram_$p.so" 2>/dev/null | grep -q 'Machine: *AArch64' ||
    { echo "tools/test-aarch64.sh: $dir/plugins/libengram_$p.so is not an AArch64 object" >&2; exit 1; }
done

# The emulator command (the preset's) is qemu-aarch64 -L /usr/aarch64-linux-gnu
# -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib. -L makes the cross
# toolchain's ld.so the interpreter; without the -E, that ld.so finds libc.so.6
# through the host's ld.so.cache in /lib/aarch64-linux-gnu, i.e. the multiarch
# libc6:arm64 that libssl-dev:arm64 pulls in, usually another glibc build than
# libc6-arm64-cross. In that mix pthread_create spins forever, and the
# validator's reentrancy check starts threads.
#
# The validation child. ctest starts each test binary under qemu, but when an
# emulated test (or the loader in it) spawns engram-validate, the kernel is
# asked to exec an AArch64 ELF, which fails without binfmt_misc. So the
# loader is pointed (ENGRAM_VALIDATOR, core/loader/child_validation.h) at a
# wrapper that starts the AArch64 validator under the same emulator command
# as the preset's CMAKE_CROSSCOMPILING_EMULATOR. A plain exec keeps the
# result pipe (fd 3) open all the way to the validator.
abs_dir=$(cd "$dir" && pwd)
emulator=$(sed -n 's/^CMAKE_CROSSCOMPILING_EMULATOR:[A-Z]*=//p' "$abs_dir/CMakeCache.txt")
[ -n "$emulator" ] || emulator="qemu-aarch64;-L;/usr/aarch64-linux-gnu;-E;LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib"
[ -x "$abs_dir/bin/engram-validate" ] ||
  { echo "tools/test-aarch64.sh: $abs_dir/bin/engram-validate was not built" >&2; exit 1; }
wrapper="$abs_dir/engram-validate-qemu"
{
  echo '#!/bin/sh'
  echo '# Written by tools/test-aarch64.sh: the AArch64 validator under qemu-user.'
  printf 'exec'
  IFS=';' read -ra emu_words <<<"$emulator"
  for w in "${emu_words[@]}" "$abs_dir/bin/engram-validate"; do printf ' %q' "$w"; done
  printf ' "$@"\n'
} >"$wrapper"
chmod 755 "$wrapper"
export ENGRAM_VALIDATOR="$wrapper"

export ENGRAM_PROPERTY_CASES="${ENGRAM_PROPERTY_CASES:-2000}"
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
