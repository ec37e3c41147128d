#!/usr/bin/env bash
# HTTP throughput of engramd for POST /v1/similar (k=10) on a 10,000 x 768
# synthetic store: wrk with 1 and 2 connections, steady and with a reload
# (SIGHUP) every 100 ms; plus engramd's CPU time per request (from
# /proc/PID/stat) against the similarity kernel's own time (engramctl verify).
#
#   tools/bench-http.sh [BUILD_DIR] [SECONDS]      (defaults: build, 10)
#
# Needs wrk and a built engramd/engramctl/plugins. Loopback only.
set -euo pipefail

BUILD=$(realpath "${1:-build}")
SECS=${2:-10}
BACKEND=${ENGRAM_BENCH_BACKEND:-auto}
TMP=$(mktemp -d)
PID=
cleanup() {
    [[ -n "${HUP_PID:-}" ]] && kill "$HUP_PID" 2>/dev/null || true
    [[ -n "$PID" ]] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk not installed (apt-get install wrk)" >&2; exit 1; }

cat > "$TMP/engram.toml" <<TOML
[plugins]
reference = "$BUILD/plugins/libengram_reference.so"
$( [[ -f $BUILD/plugins/libengram_avx2.so ]] && echo "avx2 = \"$BUILD/plugins/libengram_avx2.so\"" )
[backends]
similarity = "$BACKEND"
spreading = "$BACKEND"
decay = "$BACKEND"
priority = ["avx2", "reference"]
[store]
memories = 10000
dim = 768
seed = 42
[server]
threads = 2
TOML

# The request body: one fixed 768-d query, k = 10.
python3 - "$TMP" <<'PY'
import json, random, sys
random.seed(1)
body = json.dumps({"vector": [round(random.uniform(-1, 1), 6) for _ in range(768)], "k": 10})
open(sys.argv[1] + "/similar.lua", "w").write(f"""
wrk.method = "POST"
wrk.body = {json.dumps(body)}
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d rps=%.1f p50_us=%d p99_us=%d\\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99)))
end
""")
PY

"$BUILD/bin/engramd" --config "$TMP/engram.toml" --listen 127.0.0.1:0 --state-dir "$TMP" 2> "$TMP/engramd.log" &
PID=$!
for _ in $(seq 600); do grep -q "engramd ready" "$TMP/engramd.log" && break; sleep 0.1; done
PORT=$(sed -n 's/.*engramd ready.* port=\([0-9]*\).*/\1/p' "$TMP/engramd.log")
[[ -n "$PORT" ]] || { cat "$TMP/engramd.log"; exit 1; }
URL="http://127.0.0.1:$PORT"
SERVING=$(curl -s "$URL/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernels"]["similarity"]["backend"])')
echo "engramd pid $PID on $URL, similarity served by: $SERVING"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)

run() {  # name connections reload(0|1)
    local name=$1 conns=$2 reload=$3 before after out
    if [[ $reload == 1 ]]; then
        ( while :; do kill -HUP "$PID"; sleep 0.1; done ) &
        HUP_PID=$!
    fi
    before=$(cpu_ticks)
    out=$(wrk -t"$conns" -c"$conns" -d"${SECS}s" --latency -s "$TMP/similar.lua" "$URL/v1/similar")
    after=$(cpu_ticks)
    if [[ $reload == 1 ]]; then kill "$HUP_PID"; wait "$HUP_PID" 2>/dev/null || true; HUP_PID=; fi
    local line reqs
    line=$(grep RESULT <<<"$out")
    reqs=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
    printf '%-28s %s cpu_ms_per_req=%s\n' "$name" "${line#RESULT }" \
        "$(awk -v a="$after" -v b="$before" -v hz="$HZ" -v n="$reqs" 'BEGIN { printf "%.3f", (a - b) * 1000 / hz / n }')"
}

run "1 connection, steady" 1 0
run "2 connections, steady" 2 0
run "1 connection, reload/100ms" 1 1
run "2 connections, reload/100ms" 2 1
GENS=$(curl -s "$URL/v1/backends" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["generation"], d["reloads"]["ok"], d["reloads"]["failed"])')
echo "generation / reloads ok / failed after the runs: $GENS"

# The kernel's own time for one 10,000 x 768 similarity call (best of 5).
PLUGIN="$BUILD/plugins/libengram_${SERVING}.so"
"$BUILD/bin/engramctl" verify "$PLUGIN" --cases 20 | grep -E "timing|PASS|FAIL" || true
