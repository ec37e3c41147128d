#!/usr/bin/env bash
# Rollout drill (progressive delivery): runs the documented rollout workflow
# FOR REAL on a live engramd under client load and records the timings that
# docs/operations/rollouts.md quotes.
#
#   tools/rollout-drill.sh [BUILD_DIR]        (default: build)
#
# Store: 6000 x 64 (more memories than the validation child ever tries).
# Load: 2 client threads (tools/drill_client.py), every answer checked
# against answers recorded from a reference-pinned instance on the same store.
# 1. SHADOW a plugin that passes validation but is wrong on this store
#    (zoo_wrong_huge_n): must end rolled_back (mismatch) and never serve.
# 2. CANARY a plugin twice as slow (zoo_slow): must be rolled back (latency)
#    at the first step.
# 3. CANARY a good plugin (zoo_good) through 10 -> 50 -> 100 %: promoted;
#    made permanent with `engramctl use zoo_good --kernel similarity` and the
#    [rollout.similarity] table removed.
# 4. WATCHDOG: a plain swap to a plugin that fails on this store
#    (zoo_error_huge_n): the host rolls it back by itself.
# Zero failed requests are required in 1-3 (phase 4 deliberately serves a
# broken plugin until the watchdog acts: its failures are counted and shown).
# Prints one line per phase and a summary line:
#   rollout-drill: PASS shadow_catch=..ms canary_rollback=..ms promote=..ms watchdog=..ms requests=N failed=0
# Loopback only, no root; ~10-20 s.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
if [ -x /usr/bin/python3 ]; then PY="/usr/bin/python3 -S"; else PY="$(command -v python3) -S"; fi
ENGRAMD="$BUILD/bin/engramd"
ENGRAMCTL="$BUILD/bin/engramctl"
PLUGINS="$BUILD/plugins"
ZOO="$BUILD/plugin_zoo"
CLIENT="$ROOT/tools/drill_client.py"
MEMORIES=6000
DIM=64

WORK=$(mktemp -d "${TMPDIR:-/tmp}/engram-rollout-drill-XXXXXX")
PID=""
LOAD=""
cleanup() {
    touch "$WORK/stop" 2>/dev/null || true
    [ -n "$LOAD" ] && wait "$LOAD" 2>/dev/null || true
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "rollout-drill: work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() {
    echo "rollout-drill: FAIL: $*" >&2
    [ -f "$WORK/engramd.log" ] && { echo "--- engramd log (last 30 lines)" >&2; tail -30 "$WORK/engramd.log" >&2; }
    exit 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
for f in "$ENGRAMD" "$ENGRAMCTL" "$PLUGINS/libengram_reference.so" "$ZOO/libengram_zoo_good.so" \
         "$ZOO/libengram_zoo_slow.so" "$ZOO/libengram_zoo_wrong_huge_n.so" "$ZOO/libengram_zoo_error_huge_n.so"; do
    [ -e "$f" ] || fail "$f missing (build first)"
done
command -v curl >/dev/null || fail "curl not found"

write_config() {  # write_config FILE SIMILARITY_BACKEND [EXTRA_TOML]
    cat >"$1.tmp" <<EOF
[plugins]
reference = "$PLUGINS/libengram_reference.so"
zoo_good = "$ZOO/libengram_zoo_good.so"
zoo_slow = "$ZOO/libengram_zoo_slow.so"
zoo_wrong_huge_n = "$ZOO/libengram_zoo_wrong_huge_n.so"
zoo_error_huge_n = "$ZOO/libengram_zoo_error_huge_n.so"

[backends]
similarity = "$2"
spreading = "reference"
decay = "reference"

[store]
memories = $MEMORIES
dim = $DIM
seed = 7
default_stability_seconds = 2592000

[server]
threads = 4

[watchdog]
window_seconds = 30
min_calls = 10
max_error_rate = 0.05
${3:-}
EOF
    mv "$1.tmp" "$1"
}
# start_engramd CONFIG LOG / stop_engramd: shared with the other drill.
. "$ROOT/tools/drill-engramd.sh"
json_get() {  # json_get PATH PYTHON_EXPR(j): prints the expression's value
    curl -fsS "http://127.0.0.1:$PORT$1" | $PY -c "import json,sys; j=json.load(sys.stdin); print($2)"
}
reload() { "$ENGRAMCTL" --listen "127.0.0.1:$PORT" reload >"$WORK/reload.log" || fail "reload: $(cat "$WORK/reload.log")"; }
wait_phase() {  # wait_phase PHASE SECONDS: until /v1/rollouts says so
    for _ in $(seq $(( $2 * 50 ))); do
        [ "$(json_get /v1/rollouts 'j["rollouts"].get("similarity",{}).get("phase","")')" = "$1" ] && return 0
        sleep 0.02
    done
    fail "similarity rollout not $1 after $2 s: $(json_get /v1/rollouts 'j["rollouts"]')"
}
start_load() {  # start_load NAME
    rm -f "$WORK/stop"
    $PY "$CLIENT" load --port "$PORT" --log "$WORK/engramd.log" --refs "$WORK/refs.json" \
        --stop "$WORK/stop" --stats "$WORK/$1.json" &
    LOAD=$!
    sleep 0.3
}
stop_load() {  # stop_load NAME: prints "requests failed backends"
    touch "$WORK/stop"
    wait "$LOAD" || true
    LOAD=""
    $PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["requests"], s["failed"], ",".join("%s=%d" % kv for kv in sorted(s["backends"].items())))' "$WORK/$1.json"
}
drop_rollout_table() {  # drop_rollout_table FILE: removes [rollout.similarity] and its keys
    $PY -c '
import sys
p = sys.argv[1]
out, skip = [], False
for l in open(p).read().split("\n"):
    if l.startswith("[rollout.similarity]"):
        skip = True
        continue
    if skip and l.startswith("["):
        skip = False
    if not skip:
        out.append(l)
open(p + ".tmp", "w").write("\n".join(out))' "$1"
    mv "$1.tmp" "$1"
}

# --- reference answers ------------------------------------------------------------
write_config "$WORK/reference.toml" reference
start_engramd "$WORK/reference.toml" "$WORK/reference.log"
$PY "$CLIENT" record --port "$PORT" --log "$WORK/reference.log" --dim $DIM --memories $MEMORIES \
    --out "$WORK/refs.json" >/dev/null || fail "recording reference answers"
stop_engramd

CONFIG="$WORK/engram.toml"
write_config "$CONFIG" reference
start_engramd "$CONFIG" "$WORK/engramd.log"
start_load main

# --- 1. shadow catches a plugin wrong on the served data -------------------------
t=$(now_ms)
write_config "$CONFIG" reference '[rollout.similarity]
candidate = "zoo_wrong_huge_n"
mode = "shadow"
shadow_sample = 0.05'
reload
wait_phase rolled_back 30
shadow_ms=$(( $(now_ms) - t ))
reason=$(json_get /v1/rollouts 'j["rollouts"]["similarity"]["reason"]')
example=$(json_get /v1/rollouts 'j["mismatches"][0]["difference"]')
served=$(json_get /v1/backends 'j["kernels"]["similarity"]["backend"]')
[ "$served" = reference ] || fail "similarity served by $served after the shadow failure"
echo "rollout-drill: shadow   zoo_wrong_huge_n rolled back after ${shadow_ms} ms (reload + 5 % shadow sample): $reason"
echo "rollout-drill:          mismatch example: $example"

# --- 2. canary rolls back a plugin twice as slow ---------------------------------
t=$(now_ms)
write_config "$CONFIG" reference '[rollout.similarity]
candidate = "zoo_slow"
mode = "canary"
steps = [10, 50, 100]
step_requests = 50
step_seconds = 1
shadow_sample = 0.05
max_latency_ratio = 1.5'
reload
wait_phase rolled_back 60
canary_ms=$(( $(now_ms) - t ))
step=$(json_get /v1/rollouts 'j["rollouts"]["similarity"]["step"]')
reason=$(json_get /v1/rollouts 'j["rollouts"]["similarity"]["reason"]')
[ "$step" = 0 ] || fail "zoo_slow rolled back at step index $step, not the first"
echo "rollout-drill: canary   zoo_slow rolled back at the first step (10 %) after ${canary_ms} ms: $reason"

# --- 3. a good plugin promotes through every step --------------------------------
t=$(now_ms)
write_config "$CONFIG" reference '[rollout.similarity]
candidate = "zoo_good"
mode = "canary"
steps = [10, 50, 100]
step_requests = 50
step_seconds = 1
shadow_sample = 0.05
max_latency_ratio = 3'
reload
"$ENGRAMCTL" --listen "127.0.0.1:$PORT" rollout wait --kernel similarity --wait-seconds 60 >"$WORK/wait.log" ||
    fail "rollout wait: $(cat "$WORK/wait.log")"
promote_ms=$(( $(now_ms) - t ))
echo "rollout-drill: canary   zoo_good promoted through 10 -> 50 -> 100 % in ${promote_ms} ms"
grep -- '  - ' "$WORK/wait.log" | sed 's/^/rollout-drill:        /' || true
# Made permanent: the backend in [backends], the [rollout] table removed.
"$ENGRAMCTL" --listen "127.0.0.1:$PORT" use zoo_good --kernel similarity --config "$CONFIG" >"$WORK/use.log" ||
    fail "engramctl use zoo_good: $(cat "$WORK/use.log")"
drop_rollout_table "$CONFIG"
reload
served=$(json_get /v1/backends 'j["kernels"]["similarity"]["backend"]')
[ "$served" = zoo_good ] || fail "zoo_good does not serve after making it permanent ($served)"
read -r requests failed backends < <(stop_load main)
echo "rollout-drill: load     $requests requests ($backends), $failed failed"
[ "$failed" = 0 ] || fail "$failed requests failed during phases 1-3"

# --- 4. the watchdog undoes a bad plain swap -------------------------------------
start_load watchdog
t=$(now_ms)
write_config "$CONFIG" zoo_error_huge_n
reload
swapped_ms=$(json_get /v1/backends 'int(j["reloads"]["last"]["finished_unix"]*1000)')
n=0
for _ in $(seq 500); do
    n=$(json_get /v1/backends 'len(j["auto_rollbacks"])')
    [ "$n" -gt 0 ] && break
    sleep 0.01
done
[ "$n" -gt 0 ] || fail "the watchdog did not roll back"
back_ms=$(now_ms)
at=$(json_get /v1/backends 'int(j["auto_rollbacks"][-1]["at_unix"]*1000)')
detail=$(json_get /v1/backends 'j["auto_rollbacks"][-1]["reason"] + ": " + j["auto_rollbacks"][-1]["detail"]')
served=$(json_get /v1/backends 'j["kernels"]["similarity"]["backend"]')
[ "$served" = zoo_good ] || fail "after the watchdog similarity is served by $served, not zoo_good"
sleep 0.5
read -r wrequests wfailed wbackends < <(stop_load watchdog)
echo "rollout-drill: watchdog zoo_error_huge_n swapped in (reload $(( swapped_ms - t )) ms), rolled back" \
     "$(( at - swapped_ms )) ms after the swap was published (seen by the poller after $(( back_ms - swapped_ms )) ms): $detail"
echo "rollout-drill: watchdog load: $wrequests requests ($wbackends), $wfailed failed while the broken plugin served"
stop_engramd
echo "rollout-drill: PASS shadow_catch=${shadow_ms}ms canary_rollback=${canary_ms}ms promote=${promote_ms}ms" \
     "watchdog=$(( at - swapped_ms ))ms requests=$requests failed=0"
