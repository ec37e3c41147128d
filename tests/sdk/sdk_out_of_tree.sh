#!/usr/bin/env bash
# ctest sdk_out_of_tree (GitHub issue 8): a plugin built out of tree against
# the INSTALLED SDK loads into the INSTALLED engramd.
#
#   1. cmake --install <build> --prefix <tmp>/prefix; check the layout (no zoo,
#      no fixture plugins installed) and that the installed example config
#      passes --check-config where it lies.
#   2. copy examples/plugin-minimal out of the source tree; configure and build
#      it with only -DCMAKE_PREFIX_PATH=<prefix>; no path into the source tree
#      may appear in its build; only the entry point is exported.
#   3. SDK semantics: FEATURES avx2 fma -> -mavx2 -mfma and
#      ENGRAM_PLUGIN_FEATURES; the version file refuses 2.0 and a newer minor.
#   4. installed engramd --check-config: reference + example, decay = "example".
#   5. a plugin built against the frozen ABI 1.0 header (fixtures/) loads,
#      self-tests and serves all three kernels.
#   6. installed engramd serving; SIGHUP after switching similarity to
#      "example" -> "reload generation=2 result=ok".
#
# usage: sdk_out_of_tree.sh BUILD_DIR SOURCE_DIR CMAKE CXX ABI_V1_0_PLUGIN
# KEEP_SDK_WORK=1 keeps the temp dir; it is also kept when the test fails.
set -euo pipefail

build=$1 src=$2 cmake=$3 cxx=$4 fixture=$5
src=$(cd "$src" && pwd -P)
work=$(mktemp -d "${TMPDIR:-/tmp}/engram-sdk-oot.XXXXXX")
work=$(cd "$work" && pwd -P)
daemon=""
ok=0

cleanup() {
    if [[ -n $daemon ]] && kill -0 "$daemon" 2>/dev/null; then kill -KILL "$daemon" 2>/dev/null || true; fi
    if [[ $ok == 1 && ${KEEP_SDK_WORK:-0} != 1 ]]; then rm -rf "$work"; else echo "work dir kept: $work"; fi
}
trap cleanup EXIT

step() { echo "== $*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
# has FILE REGEX: grep -E with the file shown on failure
has() {
    grep -Eq -- "$2" "$1" || {
        echo "--- $1:" >&2
        cat "$1" >&2
        fail "$1 does not match /$2/"
    }
}

case "$work/" in "$src"/*) fail "temp dir $work is inside the source tree $src" ;; esac
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi

# --- 1. install ------------------------------------------------------------
step "install $build -> $work/prefix"
P=$work/prefix
"$cmake" --install "$build" --prefix "$P" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "cmake --install"; }
for f in bin/engramd include/engram/kernel_abi.h share/engram/engram.toml share/engram/engram-alerts.yml; do
    [[ -f $P/$f ]] || fail "not installed: $f"
done
[[ ! -f $build/bin/engramctl || -x $P/bin/engramctl ]] || fail "not installed: bin/engramctl"
[[ ! -f $src/tools/engramd.service || -f $P/lib/systemd/system/engramd.service ]] ||
    fail "not installed: lib/systemd/system/engramd.service"
ref=$(find "$P" -name libengram_reference.so -path '*/engram/plugins/*')
[[ -n $ref ]] || fail "libengram_reference.so not installed under */engram/plugins/"
plugindir=$(dirname "$ref")
sdkdir=$(find "$P" -type d -path '*/cmake/EngramKernelSDK')
for f in EngramKernelSDKConfig.cmake EngramKernelSDKConfigVersion.cmake EngramPlugin.cmake; do
    [[ -f $sdkdir/$f ]] || fail "not installed: <libdir>/cmake/EngramKernelSDK/$f"
done
# Exactly the shipped plugins: what build/plugins/ holds, nothing from the zoo or fixtures.
want=$(cd "$build/plugins" && ls libengram_*.so | sort | tr '\n' ' ')
got=$(cd "$plugindir" && ls libengram_*.so | sort | tr '\n' ' ')
[[ $want == "$got" ]] || fail "installed plugins '$got' != built plugins '$want'"
stray=$(find "$P" -name 'libengram_zoo_*' -o -name 'libengram_abi_v1_0.so')
[[ -z $stray ]] || fail "test plugins were installed: $stray"

step "installed example config works in place"
"$P/bin/engramd" --check-config "$P/share/engram/engram.toml" --log-format text \
    >"$work/example-config.out" 2>"$work/example-config.err" || { cat "$work/example-config.err"; fail "installed engram.toml"; }
has "$work/example-config.out" "configuration OK"
has "$work/example-config.err" "kernel served .*backend=reference .*path=$plugindir/libengram_reference.so"

# --- 2. the example, out of tree --------------------------------------------
step "build examples/plugin-minimal out of tree against $P"
cp -r "$src/examples/plugin-minimal" "$work/example"
rm -rf "$work/example/build"
EB=$work/example-build
(
    # Nothing from the environment may point into the source tree.
    unset CMAKE_PREFIX_PATH CPATH CPLUS_INCLUDE_PATH C_INCLUDE_PATH LIBRARY_PATH EngramKernelSDK_DIR
    cd "$work"
    "$cmake" -S "$work/example" -B "$EB" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
        >"$work/example-configure.log" 2>&1 || { cat "$work/example-configure.log"; exit 1; }
    "$cmake" --build "$EB" >"$work/example-build.log" 2>&1 || { cat "$work/example-build.log"; exit 1; }
) || fail "example plugin did not configure/build against the installed SDK"
example=$EB/libengram_example.so
[[ -f $example ]] || fail "no $example"
has "$EB/CMakeCache.txt" "^EngramKernelSDK_DIR:PATH=$sdkdir\$"
has "$EB/compile_commands.json" "$P/include"
leaks=$(grep -rlF -- "$src" "$EB" --include=CMakeCache.txt --include=compile_commands.json \
    --include=build.ninja --include='*.make' --include=flags.make --include=Makefile 2>/dev/null || true)
[[ -z $leaks ]] || fail "the out-of-tree build refers to the source tree $src in: $leaks"
"$cmake" --install "$EB" --prefix "$work/example-prefix" >/dev/null || fail "cmake --install of the example"
[[ -f $work/example-prefix/lib/engram/plugins/libengram_example.so ]] ||
    fail "engram_add_plugin(INSTALL) did not install to <prefix>/lib/engram/plugins/"
exports=$(nm -D --defined-only "$example" | awk '{print $3}' | sort | tr '\n' ' ')
[[ $exports == "engram_kernel_plugin_entry " ]] || fail "libengram_example.so exports '$exports', want only engram_kernel_plugin_entry"

# --- 3. SDK semantics --------------------------------------------------------
step "SDK: FEATURES flags, ENGRAM_PLUGIN_FEATURES, version compatibility"
abi_minor=$(sed -n 's/^#define ENGRAM_ABI_MINOR \([0-9]*\).*/\1/p' "$P/include/engram/kernel_abi.h")
mkdir -p "$work/feat"
cat >"$work/feat/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(feat LANGUAGES CXX)
find_package(EngramKernelSDK 2.0 QUIET)
if(EngramKernelSDK_FOUND)
  message(FATAL_ERROR "an SDK of ABI 1 must not satisfy find_package(EngramKernelSDK 2.0)")
endif()
find_package(EngramKernelSDK 1.$((abi_minor + 1)) QUIET)
if(EngramKernelSDK_FOUND)
  message(FATAL_ERROR "an SDK of ABI 1.$abi_minor must not satisfy 1.$((abi_minor + 1))")
endif()
find_package(EngramKernelSDK 1.0 REQUIRED)
if(NOT TARGET EngramKernelSDK::abi)
  message(FATAL_ERROR "no EngramKernelSDK::abi")
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  engram_add_plugin(NAME feat SOURCES feat.cpp FEATURES avx2 fma)
  target_compile_definitions(engram_plugin_feat PRIVATE ENGRAM_FEAT_X86)
else()
  engram_add_plugin(NAME feat SOURCES feat.cpp)
endif()
EOF
cat >"$work/feat/feat.cpp" <<'EOF'
#include <engram/kernel_abi.h>
#ifdef ENGRAM_FEAT_X86
#if !defined(__AVX2__) || !defined(__FMA__)
#error "FEATURES avx2 fma did not compile with -mavx2 -mfma"
#endif
static_assert(ENGRAM_PLUGIN_FEATURES == (ENGRAM_CPU_AVX2 | ENGRAM_CPU_FMA), "ENGRAM_PLUGIN_FEATURES");
#else
static_assert(ENGRAM_PLUGIN_FEATURES == 0, "ENGRAM_PLUGIN_FEATURES");
#endif
int engram_feat_hidden() { return 0; }
EOF
(
    unset CMAKE_PREFIX_PATH EngramKernelSDK_DIR
    "$cmake" -S "$work/feat" -B "$work/feat-build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_PREFIX_PATH="$P" >"$work/feat.log" 2>&1 &&
        "$cmake" --build "$work/feat-build" >>"$work/feat.log" 2>&1
) || { cat "$work/feat.log"; fail "SDK semantics project"; }
[[ -z $(nm -D --defined-only "$work/feat-build/libengram_feat.so" | grep engram_feat_hidden || true) ]] ||
    fail "hidden visibility is not on for SDK plugins"

# --- 4. installed engramd + example plugin -----------------------------------
write_config() { # FILE SIMILARITY_BACKEND
    cat >"$1" <<EOF
[plugins]
reference = "$plugindir/libengram_reference.so"
example = "$example"

[backends]
similarity = "$2"
spreading = "reference"
decay = "example"
priority = ["reference"]

[store]
kind = "synthetic"
memories = 500
dim = 32
avg_in_degree = 4
seed = 7
EOF
}
step "installed engramd --check-config: decay served by example"
cfg=$work/sdk.toml
write_config "$cfg" reference
"$P/bin/engramd" --check-config "$cfg" --log-format text >"$work/check.out" 2>"$work/check.err" ||
    { cat "$work/check.err"; fail "--check-config with the example plugin"; }
has "$work/check.out" "configuration OK"
has "$work/check.err" "kernel served generation=1 kernel=decay backend=example "
has "$work/check.err" "kernel served generation=1 kernel=similarity backend=reference "

# --- 5. ABI 1.0 fixture -------------------------------------------------------
step "a plugin built against the frozen ABI 1.0 header loads"
[[ -f $fixture ]] || fail "no fixture plugin $fixture"
cat >"$work/abi10.toml" <<EOF
[plugins]
abi_v1_0 = "$fixture"

[backends]
similarity = "abi_v1_0"
spreading = "abi_v1_0"
decay = "abi_v1_0"

[store]
kind = "synthetic"
memories = 200
dim = 16
avg_in_degree = 4
seed = 3
EOF
"$P/bin/engramd" --check-config "$work/abi10.toml" --log-format text >"$work/abi10.out" 2>"$work/abi10.err" ||
    { cat "$work/abi10.err"; fail "the ABI 1.0 plugin was refused"; }
for k in similarity spreading decay; do
    has "$work/abi10.err" "kernel served generation=1 kernel=$k backend=abi_v1_0 "
done

# --- 6. serve, SIGHUP reload to similarity = example --------------------------
step "installed engramd serving; SIGHUP reload switches similarity to example"
mkdir -p "$work/state"
"$P/bin/engramd" --config "$cfg" --listen 127.0.0.1:0 --state-dir "$work/state" --log-format text \
    --port-file "$work/engramd.port" >"$work/serve.out" 2>"$work/serve.err" &
daemon=$!
wait_log() { # REGEX SECONDS
    local end=$((SECONDS + $2))
    while ((SECONDS < end)); do
        grep -Eq -- "$1" "$work/serve.err" && return 0
        kill -0 "$daemon" 2>/dev/null || { cat "$work/serve.err" >&2; fail "engramd exited while waiting for /$1/"; }
        sleep 0.1
    done
    cat "$work/serve.err" >&2
    fail "no /$1/ in the engramd log after $2 s"
}
# Ready = the port file exists (engramd writes it atomically once listening).
end=$((SECONDS + 30))
until [[ -s "$work/engramd.port" ]]; do
    kill -0 "$daemon" 2>/dev/null || { cat "$work/serve.err" >&2; fail "engramd exited before listening"; }
    ((SECONDS < end)) || { cat "$work/serve.err" >&2; fail "no port file from engramd after 30 s"; }
    sleep 0.1
done
write_config "$cfg.tmp" example
mv -f "$cfg.tmp" "$cfg"
kill -HUP "$daemon"
wait_log "reload generation=2 result=ok" 30
has "$work/serve.err" "kernel served generation=2 kernel=similarity backend=example "
kill -TERM "$daemon"
rc=0
wait "$daemon" || rc=$?
daemon=""
[[ $rc == 0 ]] || { cat "$work/serve.err" >&2; fail "engramd exited $rc on SIGTERM"; }

ok=1
echo "PASS: sdk_out_of_tree"
