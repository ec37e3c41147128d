#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs, only those missing.
# Everything comes from Debian's archive: nothing vendored, nothing fetched at
# build time. Used by tools/run.sh and tools/test.sh; safe to run repeatedly.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config
  # core
  libboost-dev libboost-program-options-dev libtomlplusplus-dev libssl-dev
  # engramd: sd_notify (systemd Type=notify readiness)
  libsystemd-dev
  # tests and benchmarks
  catch2 libbenchmark-dev
  # aarch64 cross build, run under qemu; qemu-x86_64 -cpu Nehalem for the no-AVX2 check
  g++-aarch64-linux-gnu qemu-user
  # benchmark peers
  libopenblas-dev libsleef-dev libgraphblas-dev libfaiss-dev
  libssl-dev:arm64
  # HTTP server and JSON, and load/ops tooling
  libcpp-httplib-dev nlohmann-json3-dev libsimdjson-dev curl wrk prometheus python3
  # benchmark charts, Debian packages for tests/sdk
  python3-matplotlib dpkg-dev file
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
updated=0

# aarch64 cross build links the target's libcrypto (core/common/sha256.cpp):
# Debian multiarch. The arm64 and amd64 libssl-dev must be the same version.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
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

echo "tools/deps.sh: installing ${missing[*]}" >&2
[ "$updated" = 1 ] || $SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
