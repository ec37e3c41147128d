#!/usr/bin/env bash
# HTTP throughput of engramd for POST /v1/similar (k=10) on a 10,000 x 768
# synthetic store: wrk with 1 and 2 connections, steady and with a reload
# (SIGHUP) every 100 ms; plus engramd's CPU time per request (from
# /proc/PID/stat) against the similarity kernel's own mean time in the same
# run (engramd's engram_kernel_duration_seconds), and engramctl verify's
# best-of-5 kernel time at the end for comparison.
#
#   tools/bench-http.sh [BUILD_DIR] [SECONDS]      (defaults: build, 3)
#
# ENGRAM_BENCH_ROUNDS (default 8): interleaved steady/reload rounds; the
# summary is the median of each. ENGRAM_BENCH_BACKEND: "auto" or a plugin.
#
# Needs wrk and a built engramd/engramctl/plugins. Loopback only.
set -euo pipefail

BUILD=$(realpath "${1:-build}")
SECS=${2:-3}
ROUNDS=${ENGRAM_BENCH_ROUNDS:-8}
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

# The port comes from --port-file (written atomically once engramd listens),
# not from a log line: the log format may be text or JSON.
"$BUILD/bin/engramd" --config "$TMP/engram.toml" --listen 127.0.0.1:0 --state-dir "$TMP" \
    --port-file "$TMP/engramd.port" 2> "$TMP/engramd.log" &
PID=$!
PORT=""
for _ in $(seq 600); do
    [[ -s "$TMP/engramd.port" ]] && PORT=$(cat "$TMP/engramd.port") && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
[[ -n "$PORT" ]] || { cat "$TMP/engramd.log"; exit 1; }
URL="http://127.0.0.1:$PORT"
SERVING=$(curl -s "$URL/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["kernels"]["similarity"]["backend"])')
echo "engramd pid $PID on $URL, similarity served by: $SERVING"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
# "SUM COUNT" of engramd's own similarity-kernel histogram: the kernel's time
# inside the same run, on the same cache and the same busy cores.
kernel_sum_count() {
    curl -s "$URL/metrics" | awk '/^engram_kernel_duration_seconds_sum\{kernel="similarity"/ { s += $2 }
        /^engram_kernel_duration_seconds_count\{kernel="similarity"/ { c += $2 } END { printf "%.9f %d\n", s, c }'
}
HZ=$(getconf CLK_TCK)

# Every run has the same 10 Hz signal sender beside it: signal 0 (nothing)
# for "steady", SIGHUP for "reload", so the reload is the only difference.
# The sender runs SCHED_IDLE: at normal priority its wakeups alone, with no
# reload at all, tripled p99 on this 2-core machine (measured; wrk, engramd
# and the sender share the cores).
run() {  # name connections signal(0|HUP)
    local name=$1 conns=$2 sig=$3 before after out k_before k_after
    chrt -i 0 python3 -c 'import os, signal, sys, time
sig = 0 if sys.argv[2] == "0" else signal.SIGHUP
while True:
    os.kill(int(sys.argv[1]), sig); time.sleep(0.1)' "$PID" "$sig" &
    HUP_PID=$!
    k_before=$(kernel_sum_count)
    before=$(cpu_ticks)
    out=$(wrk -t"$conns" -c"$conns" -d"${SECS}s" --latency -s "$TMP/similar.lua" "$URL/v1/similar")
    after=$(cpu_ticks)
    k_after=$(kernel_sum_count)
    kill "$HUP_PID"; wait "$HUP_PID" 2>/dev/null || true; HUP_PID=
    local line reqs
    line=$(grep RESULT <<<"$out")
    reqs=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
    # cpu/kernel: engramd's CPU per request over the kernel's mean time per
    # call in the same run (the issue 4 target is <= 1.2).
    printf '%-22s %s %s\n' "$name" "${line#RESULT }" \
        "$(awk -v a="$after" -v b="$before" -v hz="$HZ" -v n="$reqs" -v kb="$k_before" -v ka="$k_after" 'BEGIN {
            split(kb, x, " "); split(ka, y, " ");
            cpu = (a - b) * 1000 / hz / n; kern = (y[1] - x[1]) * 1000 / (y[2] - x[2]);
            printf "cpu_ms_per_req=%.3f kernel_ms_per_call=%.3f cpu/kernel=%.2f", cpu, kern, cpu / kern }')" |
        tee -a "$TMP/runs.txt"
}

# Steady and reload runs interleaved, ROUNDS times: on a shared machine the
# noise drifts over minutes, so each pair sees the same conditions.
for round in $(seq "$ROUNDS"); do
    for conns in 1 2; do
        run "c$conns steady r$round" "$conns" 0
        run "c$conns reload r$round" "$conns" HUP
    done
done
echo "--- medians over $ROUNDS rounds"
for conns in 1 2; do
    python3 - "$TMP/runs.txt" "$conns" <<'PY'
import re, statistics, sys
rows = [l for l in open(sys.argv[1]) if l.startswith("c" + sys.argv[2] + " ")]
def vals(kind, key):
    return [float(re.search(key + r"=([0-9.]+)", l).group(1)) for l in rows if " " + kind + " " in l]
s, r = vals("steady", "p99_us"), vals("reload", "p99_us")
pairs = statistics.median(b / a for a, b in zip(s, r))  # each reload run over the steady run just before it
print(f"{sys.argv[2]} connection(s): p99 steady {statistics.median(s) / 1000:.2f} ms, during reloads "
      f"{statistics.median(r) / 1000:.2f} ms, ratio of medians {statistics.median(r) / statistics.median(s):.2f}, "
      f"median of per-round ratios {pairs:.2f} (target <= 1.25); cpu/kernel steady "
      f"{statistics.median(vals('steady', 'cpu/kernel')):.2f}, during reloads "
      f"{statistics.median(vals('reload', 'cpu/kernel')):.2f} (target <= 1.2)")
PY
done
GENS=$(curl -s "$URL/v1/backends" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["generation"], d["reloads"]["ok"], d["reloads"]["failed"])')
echo "generation / reloads ok / failed after the runs: $GENS"

# The kernel's own time for one 10,000 x 768 similarity call (best of 5).
PLUGIN="$BUILD/plugins/libengram_${SERVING}.so"
"$BUILD/bin/engramctl" verify "$PLUGIN" --cases 20 | grep -E "timing|PASS|FAIL" || true
