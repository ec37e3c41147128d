#!/usr/bin/env bash
# A CPU without AVX2, for real: engramd on an emulated Nehalem (SSE4.2, no
# AVX) must refuse the avx2 and avx512 plugins with E_CPU_FEATURE and serve
# every kernel from reference -- exit 0, no SIGILL. And on this machine with
# AVX-512 masked out, "auto" must land on avx2.
#
# usage: nehalem_check.sh MODE QEMU ENGRAMD PROBE PLUGIN_DIR WORK_DIR
#   MODE nehalem  run under qemu-x86_64 -cpu Nehalem
#   MODE masked   run natively with ENGRAM_DISABLE_CPU_FEATURES=avx512
#                 (exit 77 = skipped when this CPU has no AVX2 at all)
set -euo pipefail
mode=$1 qemu=$2 engramd=$3 probe=$4 plugins=$5 work=$6

fail() { echo "FAIL: $*" >&2; exit 1; }

for p in reference avx2 avx512 avx512_vnni; do
  [ -f "$plugins/libengram_$p.so" ] || fail "$plugins/libengram_$p.so is missing (build the plugin first)"
done
mkdir -p "$work"
cfg="$work/nehalem.toml"
cat > "$cfg" <<TOML
[plugins]
reference = "$plugins/libengram_reference.so"
avx2 = "$plugins/libengram_avx2.so"
avx512 = "$plugins/libengram_avx512.so"
avx512_vnni = "$plugins/libengram_avx512_vnni.so"

[backends]
similarity = "auto"
spreading = "auto"
decay = "auto"
priority = ["avx512_vnni", "avx512", "avx2", "reference"]

[store]
kind = "synthetic"
memories = 200
dim = 16
avg_in_degree = 4
TOML

# Runs engramd --check-config; prints its stderr; fails on a non-zero exit
# (132 would be SIGILL: an instruction the CPU does not have).
check_config() {
  local rc=0
  "$@" "$engramd" --check-config "$cfg" >"$work/stdout.txt" 2>"$work/stderr.txt" || rc=$?
  cat "$work/stderr.txt"
  [ "$rc" -eq 0 ] || fail "engramd --check-config exited $rc (132 = SIGILL)"
}
expect_line() {
  grep -Eq -- "$1" "$work/stderr.txt" || fail "no stderr line matching: $1"
}

case "$mode" in
  nehalem)
    [ -x "$qemu" ] || fail "qemu-x86_64 not found (tools/deps.sh installs qemu-user)"
    out=$("$qemu" -cpu Nehalem "$probe")
    echo "$out"
    grep -q "builtin avx=0 avx2=0 fma=0 avx512f=0" <<<"$out" || fail "the emulated Nehalem still shows AVX"
    grep -q "^detected sse4.2$" <<<"$out" || fail "detect_cpu_features sees more than sse4.2 on Nehalem"
    check_config "$qemu" -cpu Nehalem
    for p in avx2 avx512 avx512_vnni; do expect_line "plugin skipped plugin=$p code=E_CPU_FEATURE"; done
    for k in similarity spreading decay; do expect_line "kernel served .*kernel=$k backend=reference "; done
    ;;
  masked)
    "$probe" | grep -q "avx2=1" || { echo "SKIP: this CPU has no AVX2"; exit 77; }
    check_config env ENGRAM_DISABLE_CPU_FEATURES=avx512
    expect_line "plugin skipped plugin=avx512 code=E_CPU_FEATURE"
    expect_line "plugin skipped plugin=avx512_vnni code=E_CPU_FEATURE"
    for k in similarity spreading decay; do expect_line "kernel served .*kernel=$k backend=avx2 "; done
    ;;
  *) fail "unknown mode $mode" ;;
esac
echo "PASS ($mode)"
