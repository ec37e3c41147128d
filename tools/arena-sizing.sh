#!/usr/bin/env bash
# Measure the per-thread scratch arena a store shape needs (issue 7,
# docs/operations/performance_kernels.md#arena-sizing).
#
#   tools/arena-sizing.sh [BUILD_DIR] [MEMORIESxDIM ...]
#   tools/arena-sizing.sh build 10000x768 100000x1536
#   ENGRAM_SIZING_BACKEND=reference tools/arena-sizing.sh build
#
# For each shape it starts a real engramd (loopback, --listen 127.0.0.1:0,
# one worker thread) on a synthetic store of that shape (avg_in_degree 8,
# seed 42, arena 1 MiB with overflow = "fallback", so every request is
# served and its full need is still counted), then sends, in this order,
#   1. POST /v1/retention  with RETENTION_IDS ids (default 1000)
#   2. POST /v1/similar    k = 10
#   3. POST /v1/spread     8 seeds, 3 iterations
# and reads GET /v1/arena high_water_bytes after each one. high_water_bytes
# is a running maximum, so the requests go from the expected smallest to the
# expected largest; a step whose reading does not grow is printed as
# "<=PREV" (its own need is not isolated by this order).
# Output: one table row per shape, then "recommended" = 2 x the high water
# rounded up to a MiB (the headroom rule of the doc).
#
# Needs: curl, python3 (standard library only). Loopback only, no root.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
shift || true
SHAPES=("$@")
[ ${#SHAPES[@]} -gt 0 ] || SHAPES=(10000x384 10000x768 10000x1536 100000x384 100000x768 100000x1536)
RETENTION_IDS=${RETENTION_IDS:-1000}
BACKEND=${ENGRAM_SIZING_BACKEND:-auto}
# Standard library only: -S skips site-packages (slow to import under pyenv/conda).
if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"; elif [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
PY="$PY -S"
ENGRAMD="$BUILD/bin/engramd"
PLUGINS="$(cd "$BUILD/plugins" && pwd)"
[ -x "$ENGRAMD" ] || { echo "arena-sizing: $ENGRAMD not found (build first)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/engram-arena-sizing-XXXXXX")
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

hw() {  # high_water_bytes from GET /v1/arena
    curl -fsS "http://127.0.0.1:$PORT/v1/arena" |
        $PY -c 'import json,sys; print(json.load(sys.stdin)["high_water_bytes"])'
}
post() {  # post PATH BODYFILE: fail loudly on anything but 200
    local code
    code=$(curl -sS -o "$WORK/answer.json" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary @"$2" "http://127.0.0.1:$PORT$1")
    [ "$code" = 200 ] || { echo "arena-sizing: $1 -> HTTP $code: $(cat "$WORK/answer.json")" >&2; exit 1; }
}
step() {  # reading after a step, or <=PREV if it did not grow
    if [ "$1" -gt "$2" ]; then echo "$1"; else echo "<=$2"; fi
}

printf '%-8s %-10s %6s %-9s %14s %14s %14s %14s %12s\n' \
    memories dim edges backend "retention($RETENTION_IDS)" similar spread high_water recommended
for shape in "${SHAPES[@]}"; do
    n=${shape%x*}
    dim=${shape#*x}
    cat >"$WORK/engram.toml" <<EOF
[plugins]
reference = "$PLUGINS/libengram_reference.so"
$( [ -f "$PLUGINS/libengram_avx2.so" ] && echo "avx2 = \"$PLUGINS/libengram_avx2.so\"" )
$( [ -f "$PLUGINS/libengram_avx512.so" ] && echo "avx512 = \"$PLUGINS/libengram_avx512.so\"" )
$( [ -f "$PLUGINS/libengram_avx512_vnni.so" ] && echo "avx512_vnni = \"$PLUGINS/libengram_avx512_vnni.so\"" )
[backends]
similarity = "$BACKEND"
spreading = "$BACKEND"
decay = "$BACKEND"
[store]
memories = $n
dim = $dim
avg_in_degree = 8
seed = 42
[server]
threads = 1
[arena]
size = "1MiB"
overflow = "fallback"
EOF
    rm -f "$WORK/engramd.port"
    "$ENGRAMD" --config "$WORK/engram.toml" --listen 127.0.0.1:0 --log-format text \
        --port-file "$WORK/engramd.port" 2>"$WORK/engramd.log" &
    PID=$!
    PORT=""
    for _ in $(seq 600); do  # up to 60 s: a 100,000 x 1536 store takes a few seconds to generate
        # --port-file is written atomically once engramd listens: no log scraping.
        [ -s "$WORK/engramd.port" ] && PORT=$(cat "$WORK/engramd.port")
        [ -n "$PORT" ] && break
        kill -0 "$PID" 2>/dev/null || { cat "$WORK/engramd.log" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$PORT" ] || { echo "arena-sizing: engramd not ready" >&2; cat "$WORK/engramd.log" >&2; exit 1; }
    edges=$(sed -n 's/.*store ready.* edges=\([0-9]*\).*/\1/p' "$WORK/engramd.log")
    served=$(sed -n 's/.*kernel served.* kernel=similarity backend=\([a-z0-9_]*\).*/\1/p' "$WORK/engramd.log")

    $PY - "$WORK" "$n" "$dim" "$RETENTION_IDS" <<'PY'
import json, sys
work, n, dim, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with open(f"{work}/retention.json", "w") as f:
    json.dump({"ids": [i % n for i in range(k)], "now": 1795860000}, f)
with open(f"{work}/similar.json", "w") as f:
    json.dump({"vector": [((i * 37) % 101 - 50) / 50.0 for i in range(dim)], "k": 10}, f)
with open(f"{work}/spread.json", "w") as f:
    json.dump({"seeds": [(i * 7919) % n for i in range(8)], "iterations": 3, "decay": 0.5,
               "threshold": 0.01, "top": 10}, f)
PY
    h0=$(hw)
    post /v1/retention "$WORK/retention.json"; h1=$(hw)
    post /v1/similar "$WORK/similar.json"; h2=$(hw)
    post /v1/spread "$WORK/spread.json"; h3=$(hw)
    [ "$h0" = 0 ] || echo "arena-sizing: warning: high water $h0 before the first request" >&2
    rec=$(( (2 * h3 + 1048575) / 1048576 ))
    printf '%-8s %-10s %6s %-9s %14s %14s %14s %14s %10sMiB\n' "$n" "$dim" "$edges" "$served" \
        "$h1" "$(step "$h2" "$h1")" "$(step "$h3" "$h2")" "$h3" "$rec"
    kill -TERM "$PID"
    wait "$PID" || { echo "arena-sizing: engramd did not exit 0" >&2; exit 1; }
    PID=""
done
