#!/usr/bin/env bash
# Installs the Debian 12 packages a task needs, only those missing.
# Everything comes from Debian's archive: nothing vendored, nothing fetched at
# build time. Safe to run repeatedly.
#
#   tools/deps.sh run     build and run engramd/engramctl (tools/run.sh; the
#                         "run" preset: no tests, no benchmarks)
#   tools/deps.sh test    run + everything the whole suite needs (tools/test.sh):
#                         Catch2, the aarch64 cross build and qemu, promtool,
#                         clang/libFuzzer, and the benchmark peers (the default
#                         build also builds engram_bench, which tests/perf runs)
#   tools/deps.sh bench   run + Google Benchmark and the peers (tools/bench.sh)
#
# With no argument: test (everything), as before.
set -euo pipefail

profile="${1:-test}"

RUN_PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config
  # core: Boost.DLL (headers) and Boost.ProgramOptions, toml++, libcrypto
  libboost-dev libboost-program-options-dev libtomlplusplus-dev libssl-dev
  # engramd: sd_notify (systemd Type=notify readiness)
  libsystemd-dev
  # HTTP server and JSON (engramd, engramctl), simdjson for /v1/similar
  libcpp-httplib-dev nlohmann-json3-dev libsimdjson-dev
)
BENCH_PACKAGES=(
  libbenchmark-dev
  # benchmark peers
  libopenblas-dev libsleef-dev libgraphblas-dev libfaiss-dev
  # HTTP load generator, ratio table and charts
  wrk python3 python3-matplotlib
  # real-data recall of the compressed embeddings (bench/make_wordnet_fixture.py)
  wordnet-base python3-numpy
)
TEST_PACKAGES=(
  catch2
  # aarch64 cross build, run under qemu; qemu-x86_64 -cpu Nehalem for the no-AVX2 check
  g++-aarch64-linux-gnu qemu-user libssl-dev:arm64
  # alert rules (promtool), ops and docs checks, tests/sdk's Debian packages
  prometheus curl openssl python3 dpkg-dev file
  # libFuzzer harnesses (tools/fuzz.sh): Debian's clang; the fuzzer and
  # sanitizer runtimes are only a Recommends of libclang-common-14-dev
  clang libclang-rt-14-dev
  # tools/test.sh's first step: the tree must be clang-format clean
  clang-format
  # fleet test (tests/fleet/fleet_test.sh): the deploy/ kit's engines, with
  # prometheus above (ansible brings community.general's haproxy module)
  ansible haproxy
)

case "$profile" in
  run) PACKAGES=("${RUN_PACKAGES[@]}") ;;
  bench) PACKAGES=("${RUN_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
  test) PACKAGES=("${RUN_PACKAGES[@]}" "${BENCH_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: tools/deps.sh [run|test|bench]" >&2; exit 2 ;;
esac

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
updated=0

# aarch64 cross build links the target's libcrypto (core/common/sha256.cpp):
# Debian multiarch. The arm64 and amd64 libssl-dev must be the same version.
if [ "$profile" = test ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "tools/deps.sh: enabling the arm64 architecture for the cross build" >&2
  $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -qq
  updated=1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "tools/deps.sh $profile: installing ${missing[*]}" >&2
[ "$updated" = 1 ] || $SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
