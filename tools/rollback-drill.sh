#!/usr/bin/env bash
# Rollback drill (issue 7): performs the emergency rollback of
# docs/operations/rollback_procedures.md FOR REAL on a live engramd under
# client load, verifies it, rolls forward again and reports the timings.
#
#   tools/rollback-drill.sh [BUILD_DIR]        (default: build)
#
# 1. Records reference answers for a fixed query set from a reference-pinned
#    engramd on the drill's store (tools/drill_client.py record).
# 2. Writes a config pinning every kernel to avx2 (or, when avx2 cannot run
#    here, to the plugin zoo's zoo_good: said in the output), starts engramd
#    (--listen 127.0.0.1:0, port read from the ready line) and puts it under
#    load: 2 client threads POSTing /v1/similar and /v1/retention, every
#    answer checked against the reference answers.
# 3. ROLLBACK exactly as documented: `engramctl use reference` (edits the
#    TOML's [backends] in place, reloads, checks that reference serves).
# 4. VERIFY: /health, /v1/backends (every kernel reference), /metrics
#    (engram_backend_info, engram_reloads_total{result="ok"} moved), answers.
# 5. ROLLFORWARD: the same edit back, reload, check.
# 6. Stops the load (zero failed requests required) and engramd with SIGTERM
#    (exit 0 required). Prints each step's duration and one summary line:
#    rollback-drill: PASS rollback=..ms verify=..ms rollforward=..ms requests=N failed=0
# Exit 0 on PASS, 1 on FAIL. Loopback only, no root; ~5-10 s.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
# Standard library only: -S skips site-packages (a pyenv/conda site can add
# half a second per start on a busy machine).
if [ -n "${PYTHON:-}" ]; then PY="$PYTHON"
elif [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3
else PY=$(command -v python3) || { echo "rollback-drill: FAIL: python3 not found" >&2; exit 1; }
fi
PY="$PY -S"
ENGRAMD="$BUILD/bin/engramd"
ENGRAMCTL="$BUILD/bin/engramctl"
PLUGINS="$BUILD/plugins"
ZOO="$BUILD/plugin_zoo"
CLIENT="$ROOT/tools/drill_client.py"
MEMORIES=2000
DIM=64

WORK=$(mktemp -d "${TMPDIR:-/tmp}/engram-rollback-drill-XXXXXX")
PID=""
cleanup() {
    touch "$WORK/stop" 2>/dev/null || true
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID" 2>/dev/null || true; fi
    if [ "${KEEP_WORK:-0}" = 1 ]; then echo "rollback-drill: work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() {
    echo "rollback-drill: FAIL: $*" >&2
    [ -f "$WORK/engramd.log" ] && { echo "--- engramd log (last 30 lines)" >&2; tail -30 "$WORK/engramd.log" >&2; }
    exit 1
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
for f in "$ENGRAMD" "$ENGRAMCTL" "$PLUGINS/libengram_reference.so"; do [ -e "$f" ] || fail "$f missing (build first)"; done
command -v curl >/dev/null || fail "curl not found"

# The config the drill serves from. Kernels are pinned by name: the rollback
# edits exactly these three lines.
write_config() {  # write_config FILE BACKEND
    cat >"$1.tmp" <<EOF
[plugins]
reference = "$PLUGINS/libengram_reference.so"
$NEW = "$NEW_SO"

[backends]
similarity = "$2"
spreading = "$2"
decay = "$2"

[store]
memories = $MEMORIES
dim = $DIM
seed = 7
default_stability_seconds = 2592000

[server]
threads = 4
EOF
    mv "$1.tmp" "$1"
}
# start_engramd CONFIG LOG / stop_engramd: shared with the other drill.
. "$ROOT/tools/drill-engramd.sh"
served_by() {  # every kernel in /health is served by $1
    curl -fsS "http://127.0.0.1:$PORT/health" | $PY -c '
import json, sys
h = json.load(sys.stdin)
got = {k: v["backend"] for k, v in h["kernels"].items()}
sys.exit(0 if h["status"] == "serving" and set(got.values()) == {sys.argv[1]} and len(got) == 3 else 1)' "$1"
}
metric() {  # metric NAME_WITH_LABELS: its value in /metrics (fails loudly)
    local v
    v=$(curl -fsS "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}') || true
    [ -n "$v" ] || fail "GET /metrics: no sample $1"
    echo "$v"
}

# --- which backend plays "the new build" --------------------------------------
NEW=avx2
NEW_SO="$PLUGINS/libengram_avx2.so"
write_config "$WORK/probe.toml" avx2
if [ ! -f "$NEW_SO" ] || ! "$ENGRAMD" --check-config "$WORK/probe.toml" >"$WORK/probe.log" 2>&1; then
    NEW=zoo_good
    NEW_SO="$ZOO/libengram_zoo_good.so"
    [ -f "$NEW_SO" ] || fail "avx2 unusable here and $NEW_SO missing"
    echo "rollback-drill: avx2 is not usable here ($(grep -o 'E_[A-Z_]*' "$WORK/probe.log" | head -1 || echo missing));" \
         "drilling reference <-> zoo_good (the plugin zoo's correct test plugin) instead"
fi
echo "rollback-drill: drilling $NEW -> reference -> $NEW on a ${MEMORIES}x${DIM} store"

# --- 1. reference answers ------------------------------------------------------
write_config "$WORK/reference.toml" reference
start_engramd "$WORK/reference.toml" "$WORK/reference.log"
$PY "$CLIENT" record --port "$PORT" --log "$WORK/reference.log" --dim $DIM --memories $MEMORIES \
    --out "$WORK/refs.json" || fail "recording reference answers"
stop_engramd

# --- 2. the drill instance, under load -----------------------------------------
CONFIG="$WORK/engram.toml"
write_config "$CONFIG" "$NEW"
start_engramd "$CONFIG" "$WORK/engramd.log"
served_by "$NEW" || fail "engramd does not serve every kernel from $NEW"
$PY "$CLIENT" load --port "$PORT" --log "$WORK/engramd.log" --refs "$WORK/refs.json" \
    --stop "$WORK/stop" --stats "$WORK/stats.json" &
LOAD=$!
sleep 1  # let the load run on $NEW first
kill -0 $LOAD 2>/dev/null || fail "load generator died"
reloads_ok_before=$(metric 'engram_reloads_total{result="ok"}') || exit 1

# --- 3. ROLLBACK: the documented emergency rollback -----------------------------
t=$(now_ms)
"$ENGRAMCTL" --listen "127.0.0.1:$PORT" use reference --config "$CONFIG" >"$WORK/use.log" ||
    fail "engramctl use reference (rollback) failed: $(cat "$WORK/use.log")"
rollback_ms=$(( $(now_ms) - t ))
echo "rollback-drill: step rollback     ${rollback_ms} ms (engramctl use reference: TOML edit + reload + check)"

# --- 4. VERIFY ------------------------------------------------------------------
t=$(now_ms)
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health" || fail "/health not 200 after rollback"
served_by reference || fail "/health: not every kernel on reference"
curl -fsS "http://127.0.0.1:$PORT/v1/backends" | $PY -c '
import json, sys
b = json.load(sys.stdin)
bad = {k: v["backend"] for k, v in b["kernels"].items() if v["backend"] != "reference"}
sys.exit("/v1/backends: not on reference: %s" % bad if bad or len(b["kernels"]) != 3 else 0)' ||
    fail "/v1/backends"
info=$(curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -c '^engram_backend_info{.*backend="reference"' || true)
[ "$info" = 3 ] || fail "engram_backend_info: $info of 3 kernels on reference"
reloads_ok_after=$(metric 'engram_reloads_total{result="ok"}') || exit 1
[ "$reloads_ok_after" -gt "$reloads_ok_before" ] ||
    fail "engram_reloads_total{result=\"ok\"} did not move ($reloads_ok_before -> $reloads_ok_after)"
$PY "$CLIENT" check --port "$PORT" --log "$WORK/engramd.log" --refs "$WORK/refs.json" --backend reference ||
    fail "answers after rollback"
verify_ms=$(( $(now_ms) - t ))
echo "rollback-drill: step verify       ${verify_ms} ms (/health, /v1/backends, /metrics, 16 answers; reloads ok $reloads_ok_before -> $reloads_ok_after)"
sleep 0.5  # load keeps running on reference

# --- 5. ROLLFORWARD -------------------------------------------------------------
t=$(now_ms)
"$ENGRAMCTL" --listen "127.0.0.1:$PORT" use "$NEW" --config "$CONFIG" >"$WORK/use.log" ||
    fail "engramctl use $NEW (roll forward) failed: $(cat "$WORK/use.log")"
served_by "$NEW" || fail "not every kernel back on $NEW"
rollforward_ms=$(( $(now_ms) - t ))
echo "rollback-drill: step rollforward  ${rollforward_ms} ms (engramctl use $NEW + /health)"
sleep 0.5

# --- 6. stop the load, then engramd -------------------------------------------
touch "$WORK/stop"
wait $LOAD || fail "load generator exited non-zero"
read -r requests failed backends < <($PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["requests"], s["failed"], ",".join("%s=%d" % kv for kv in sorted(s["backends"].items())))
for f in s["failures"]: print("  failure:", f, file=sys.stderr)' "$WORK/stats.json")
echo "rollback-drill: load: $requests requests ($backends), $failed failed"
t=$(now_ms)
stop_engramd
echo "rollback-drill: step sigterm      $(( $(now_ms) - t )) ms (exit 0)"
[ "$requests" -gt 0 ] || fail "no requests were made"
[ "$failed" = 0 ] || fail "$failed requests failed during the drill"
case "$backends" in *reference=*) ;; *) fail "no load request was served by reference";; esac
echo "rollback-drill: PASS rollback=${rollback_ms}ms verify=${verify_ms}ms rollforward=${rollforward_ms}ms requests=$requests failed=0"
