#!/usr/bin/env bash
# Builds the Debian packages from a finished build, one `cpack` run per
# package so that each gets its own version (CMake 3.25's DEB generator has one
# Version per run):
#
#   engram-kernel-host_<project version>_<arch>.deb
#   engram-plugin-<name>_<plugin version>_<arch>.deb   (reference, avx2, avx512, avx512-vnni | neon, neon-dotprod)
#   engram-kernel-sdk_<abi major>.<abi minor>.<patch>_all.deb
#
# usage: tools/package.sh [BUILD_DIR [OUT_DIR [CPACK]]]
#   BUILD_DIR  a configured and built tree (default: build)
#   OUT_DIR    where the .deb files go (default: BUILD_DIR/packages)
#   CPACK      the cpack executable (default: cpack on PATH)
# Prints the path of each package built. See docs/plugin-sdk.md ("Packages").
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
out=${2:-$build/packages}
cpack=${3:-cpack}
list=$build/packages.txt

if [[ ! -f $build/CPackConfig.cmake || ! -f $list ]]; then
    echo "package.sh: $build is not a configured Engram build (no CPackConfig.cmake/packages.txt)" >&2
    exit 2
fi
for tool in dpkg-deb dpkg-shlibdeps file; do
    command -v "$tool" >/dev/null || { echo "package.sh: $tool is required (apt-get install dpkg-dev file)" >&2; exit 2; }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

while read -r component name version; do
    [[ -n $component ]] || continue
    log=$out/cpack-$component.log
    if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$out/_work-$component" \
        -D "CPACK_COMPONENTS_ALL=$component" >"$log" 2>&1; then
        echo "package.sh: cpack failed for $component (log: $log)" >&2
        tail -n 30 "$log" >&2
        exit 1
    fi
    deb=$(find "$out/_work-$component" -maxdepth 1 -name "${name}_*.deb" | head -n 1)
    if [[ -z $deb ]]; then
        echo "package.sh: cpack made no ${name}_*.deb for $component (log: $log)" >&2
        exit 1
    fi
    mv -f "$deb" "$out/"
    rm -rf "$out/_work-$component"
    got=$(dpkg-deb -f "$out/$(basename "$deb")" Version)
    if [[ $got != "$version" ]]; then
        echo "package.sh: $name has version $got, expected $version" >&2
        exit 1
    fi
    echo "$out/$(basename "$deb")"
done <"$list"
