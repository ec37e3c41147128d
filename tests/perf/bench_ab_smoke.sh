#!/usr/bin/env bash
# tools/bench-ab.sh end to end on the real engram_bench and plugins: two
# variants (the same plugin directory under two names), two rounds; every
# benchmark must be listed for both with a median, the second relative to
# the first; a variant that is not NAME=DIR, or a missing directory, is a
# usage error (2).
#   bench_ab_smoke.sh BUILD_DIR
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
ab=$root/tools/bench-ab.sh
out=$("$ab" --build-dir "$build" --rounds 2 --min-time 0.01 '^decay/(reference|avx2)/10000$' \
    before="$build/plugins" after="$build/plugins")
echo "$out"
for b in decay/reference/10000 decay/avx2/10000; do
    grep -Eq "^$b +before +median +[0-9.]+ ms +min +[0-9.]+ ms +rounds 2\$" <<<"$out" ||
        { echo "FAIL: no 'before' line for $b"; exit 1; }
    grep -Eq "^$b +after +median +[0-9.]+ ms +min +[0-9.]+ ms +rounds 2 +[0-9.]+x of before\$" <<<"$out" ||
        { echo "FAIL: no 'after' line for $b"; exit 1; }
done
set +e
"$ab" --build-dir "$build" '^decay/' "$build/plugins" x="$build/plugins" 2>/dev/null
[[ $? -eq 2 ]] || { echo "FAIL: a variant without NAME= was accepted"; exit 1; }
"$ab" --build-dir "$build" '^decay/' a=/nonexistent/dir b="$build/plugins" 2>/dev/null
[[ $? -eq 2 ]] || { echo "FAIL: a missing directory was accepted"; exit 1; }
echo "bench-ab smoke: ok"
