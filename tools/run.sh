#!/usr/bin/env bash
# One command: install what is missing, build, and run engramd in the
# foreground on the shipped config. Extra arguments go to engramd.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh
tools/build.sh default
exec build/bin/engramd --config config/engram.toml "$@"
