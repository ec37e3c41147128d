#!/usr/bin/env bash
# One command: install what is missing (only what engramd needs: tools/deps.sh
# run), build the "run" preset (build-run/: engramd, engramctl, the validator
# and the plugins; no tests, no benchmarks), and run engramd in the foreground
# on the shipped config. Extra arguments go to engramd.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh run
tools/build.sh run
# The shipped config names the plugins of the default build (../build/plugins,
# relative to config/); this run uses build-run's, beside its own copy.
sed 's#"\.\./build/plugins/#"plugins/#' config/engram.toml > build-run/engram.toml
exec build-run/bin/engramd --config build-run/engram.toml "$@"
