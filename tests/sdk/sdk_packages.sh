#!/usr/bin/env bash
# ctest sdk_packages (GitHub issue 8): the Debian packages.
#
#   1. tools/package.sh builds one .deb per component (host, each plugin, sdk).
#   2. dpkg-deb --contents / -f: the host has engramd (+ engramctl, config,
#      alerts, unit) and no plugin; each plugin package holds only its .so and
#      depends on the ABI virtual package, never on a host version; the host
#      Provides that virtual package and carries shlibdeps Depends; the SDK
#      holds kernel_abi.h + the CMake package and is Architecture: all.
#   3. host + reference unpacked into a temp root (dpkg-deb -x): the unpacked
#      engramd passes --check-config on the unpacked example config
#      (usr/share/engram/engram.toml -> ../../lib/engram/plugins/...), and the
#      reference plugin's version in the log is its package's version.
#   4. the unpacked SDK builds examples/plugin-minimal, and the unpacked host
#      serves decay from it.
#
# usage: sdk_packages.sh BUILD_DIR SOURCE_DIR CPACK     (exit 77: skipped)
set -euo pipefail

build=$1 src=$2 cpack=$3
for tool in dpkg-deb dpkg-shlibdeps file; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done
cmake=$(dirname "$cpack")/cmake
work=$(mktemp -d "${TMPDIR:-/tmp}/engram-sdk-deb.XXXXXX")
ok=0
cleanup() {
    if [[ $ok == 1 && ${KEEP_SDK_WORK:-0} != 1 ]]; then rm -rf "$work"; else echo "work dir kept: $work"; fi
}
trap cleanup EXIT
step() { echo "== $*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
has() {
    grep -Eq -- "$2" "$1" || {
        echo "--- $1:" >&2
        cat "$1" >&2
        fail "$1 does not match /$2/"
    }
}
hasnt() {
    if grep -Eq -- "$2" "$1"; then
        echo "--- $1:" >&2
        cat "$1" >&2
        fail "$1 matches /$2/"
    fi
}

abi_major=$(sed -n 's/^#define ENGRAM_ABI_MAJOR \([0-9]*\).*/\1/p' "$src/core/include/engram/kernel_abi.h")
abi_minor=$(sed -n 's/^#define ENGRAM_ABI_MINOR \([0-9]*\).*/\1/p' "$src/core/include/engram/kernel_abi.h")
abi_pkg=engram-kernel-abi-$abi_major
project_version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")

# --- 1. build ----------------------------------------------------------------
step "tools/package.sh $build"
out=$work/debs
bash "$src/tools/package.sh" "$build" "$out" "$cpack" >"$work/package.out" || fail "tools/package.sh"
cat "$work/package.out"
count=$(wc -l <"$build/packages.txt")
[[ $(ls "$out"/*.deb | wc -l) == "$count" ]] || fail "expected $count packages"
deb() { ls "$out/$1"_*.deb; }
contents() { # DEB -> file list "usr/bin/engramd" etc. (regular files and links only)
    dpkg-deb --contents "$1" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./||' >"$work/$(basename "$1").list"
    echo "$work/$(basename "$1").list"
}
field() { dpkg-deb -f "$1" "$2"; }
for d in "$out"/*.deb; do # CMake lists leaking into control text show up as ';'
    ! field "$d" Description | grep -q ";" || fail "$(basename "$d"): Description has ';': $(field "$d" Description)"
done

# --- 2. contents and control fields -------------------------------------------
step "host package"
host=$(deb engram-kernel-host)
dpkg-deb --contents "$host"
l=$(contents "$host")
has "$l" "^usr/bin/engramd$"
[[ ! -f $build/bin/engramctl ]] || has "$l" "^usr/bin/engramctl$"
has "$l" "^usr/share/engram/engram.toml$"
has "$l" "^usr/share/engram/engram-alerts.yml$"
[[ ! -f $src/tools/engramd.service ]] || has "$l" "^usr/lib/systemd/system/engramd.service$"
hasnt "$l" "libengram_|kernel_abi.h|EngramKernelSDK"
[[ $(field "$host" Version) == "$project_version" ]] || fail "host Version $(field "$host" Version) != $project_version"
field "$host" Provides | grep -qw "$abi_pkg" || fail "host does not Provide $abi_pkg"
depends=$(field "$host" Depends)
echo "host Depends: $depends"
for lib in libc6 libstdc\\+\\+6 libboost-program-options; do
    grep -Eq "$lib" <<<"$depends" || fail "host Depends lacks $lib (dpkg-shlibdeps): $depends"
done

for p in $(awk '$1 ~ /^plugin-/ {print $2}' "$build/packages.txt"); do
    step "plugin package $p"
    name=${p#engram-plugin-}
    d=$(deb "$p")
    dpkg-deb --contents "$d"
    l=$(contents "$d")
    [[ $(cat "$l") == "usr/lib/engram/plugins/libengram_${name//-/_}.so" ]] ||
        fail "$p must hold only usr/lib/engram/plugins/libengram_${name//-/_}.so, holds: $(tr '\n' ' ' <"$l")"
    depends=$(field "$d" Depends)
    echo "$p Depends: $depends"
    grep -qw "$abi_pkg" <<<"$depends" || fail "$p does not depend on $abi_pkg"
    ! grep -q "engram-kernel-host" <<<"$depends" || fail "$p depends on a host package: $depends"
done

step "sdk package"
sdk=$(deb engram-kernel-sdk)
dpkg-deb --contents "$sdk"
l=$(contents "$sdk")
has "$l" "^usr/include/engram/kernel_abi.h$"
has "$l" "^usr/lib/cmake/EngramKernelSDK/EngramKernelSDKConfig.cmake$"
has "$l" "^usr/lib/cmake/EngramKernelSDK/EngramKernelSDKConfigVersion.cmake$"
has "$l" "^usr/lib/cmake/EngramKernelSDK/EngramPlugin.cmake$"
has "$l" "^usr/share/doc/engram-kernel-sdk/plugin-sdk.md$"
has "$l" "^usr/share/doc/engram-kernel-sdk/examples/plugin-minimal/example_plugin.cpp$"
hasnt "$l" "\\.so$|^usr/bin/"
[[ $(field "$sdk" Architecture) == all ]] || fail "sdk Architecture $(field "$sdk" Architecture) != all"
[[ $(field "$sdk" Version) == "$abi_major.$abi_minor".* ]] || fail "sdk Version $(field "$sdk" Version) is not $abi_major.$abi_minor.x"

# --- 3. unpack host + reference, check the example config -----------------------
step "dpkg-deb -x host + reference into a temp root; --check-config the example config"
root=$work/root
dpkg-deb -x "$host" "$root"
dpkg-deb -x "$(deb engram-plugin-reference)" "$root"
"$root/usr/bin/engramd" --check-config "$root/usr/share/engram/engram.toml" --log-format text \
    >"$work/root-check.out" 2>"$work/root-check.err" || { cat "$work/root-check.err"; fail "unpacked host + reference"; }
has "$work/root-check.out" "configuration OK"
ref_version=$(field "$(deb engram-plugin-reference)" Version)
has "$work/root-check.err" "kernel served generation=1 kernel=decay backend=reference version=$ref_version path=$root/usr/lib/engram/plugins/libengram_reference.so"

# --- 4. the unpacked SDK builds the example; the unpacked host serves it ----------
step "the unpacked SDK builds examples/plugin-minimal; the unpacked host serves decay from it"
sdkroot=$work/sdkroot
dpkg-deb -x "$sdk" "$sdkroot"
cp -r "$sdkroot/usr/share/doc/engram-kernel-sdk/examples/plugin-minimal" "$work/example"
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
(
    unset CMAKE_PREFIX_PATH EngramKernelSDK_DIR
    "$cmake" -S "$work/example" -B "$work/example-build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_PREFIX_PATH="$sdkroot/usr" >"$work/example.log" 2>&1 &&
        "$cmake" --build "$work/example-build" >>"$work/example.log" 2>&1
) || { cat "$work/example.log"; fail "example against the unpacked SDK"; }
has "$work/example-build/CMakeCache.txt" "^EngramKernelSDK_DIR:PATH=$sdkroot/usr/lib/cmake/EngramKernelSDK\$"
cat >"$work/example.toml" <<EOF
[plugins]
reference = "$root/usr/lib/engram/plugins/libengram_reference.so"
example = "$work/example-build/libengram_example.so"

[backends]
decay = "example"
priority = ["reference"]

[store]
kind = "synthetic"
memories = 300
dim = 24
EOF
"$root/usr/bin/engramd" --check-config "$work/example.toml" --log-format text \
    >"$work/example-check.out" 2>"$work/example-check.err" || { cat "$work/example-check.err"; fail "unpacked host + example"; }
has "$work/example-check.err" "kernel served generation=1 kernel=decay backend=example "

ok=1
echo "PASS: sdk_packages"
