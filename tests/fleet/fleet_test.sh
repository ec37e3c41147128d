#!/usr/bin/env bash
# The fleet test: four engramd on loopback behind a real HAProxy, scraped by a
# real Prometheus with the shipped alert rules, driven by the Ansible kit in
# deploy/ (ansible_connection=local), while a client sends requests through
# HAProxy. Scenarios, in order:
#   A  good plugin (zoo_good) in waves 1-1-2: every host promoted, 0 failed requests
#   B  deploy/rollback.yml -e backend=reference -e kernel=similarity -e drain=true
#   D  the Prometheus gate fails after wave 1 (a p99 bound no backend meets):
#      wave 1 is rolled back, the others untouched
#   E  waves 2-2, a corrupt artifact on the last host of wave 2, with
#      -e drain=true: the play rolls back waves 1 and 2 (e1, e2, e3); every
#      config is byte for byte what it was; every HAProxy server UP again
#   C  bad plugin (zoo_wrong_huge_n: passes validation, 10 % off on this store):
#      the first host's own canary rolls it back, the play stops, the other three
#      are never touched (config bytes, generation, backend)
#   C2 the same bad plugin with mode = "shadow" first: rolled back in shadow,
#      not one answer of it reaches a client
#   F  an alert firing on e1 (EngramReloadFailed, from a failed reload): the
#      gate stops wave 1 of a good plugin, e1 rolled back, the others untouched
# C, C2 and F come last: the auto rollback they cause keeps EngramAutoRollback
# and EngramShadowMismatch firing on e1 for 10 minutes, and the Prometheus
# gate (rightly) refuses a wave with a firing alert.
# Prints time per wave, failed requests, time from a bad wave to the fleet
# back on the previous backend. Loopback only; every loop bounded; a trap
# stops everything it started.
#   tests/fleet/fleet_test.sh            (BUILD_DIR=build by default)
#   ENGRAM_TEST_SKIP_FLEET=1             skip (local shortcut; CI runs it)
#   ENGRAM_FLEET_KEEP=1                  keep the temp dir (logs, configs)
set -euo pipefail

if [ "${ENGRAM_TEST_SKIP_FLEET:-0}" = "1" ]; then
  echo "fleet test skipped (ENGRAM_TEST_SKIP_FLEET=1)"
  exit 0
fi

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=$(cd "${BUILD_DIR:-$ROOT/build}" && pwd)
BIN="$BUILD_DIR/bin"
ZOO="$BUILD_DIR/plugin_zoo"
t_start=$(date +%s.%N)
calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }   # calc EXPR [DECIMALS]
say() { printf '[fleet %6.1fs] %s\n' "$(calc "$(date +%s.%N) - $t_start" 1)" "$*"; }
die() { echo "FLEET TEST FAILED: $*" >&2; exit 1; }

# --- tools -------------------------------------------------------------------
missing=()
for p in ansible haproxy prometheus; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
for f in "$BIN/engramd" "$BIN/engramctl" "$BIN/engram-validate" "$BUILD_DIR/plugins/libengram_reference.so" \
         "$ZOO/libengram_zoo_good.so" "$ZOO/libengram_zoo_truncated.so"; do
  [ -e "$f" ] || die "$f missing: cmake --build $BUILD_DIR --target engramd engramctl engram-validate engram_plugin_reference engram_plugin_zoo_good engram_plugin_zoo_truncated"
done
if [ ! -e "$ZOO/libengram_zoo_wrong_huge_n.so" ]; then
  say "building engram_plugin_zoo_wrong_huge_n"
  cmake --build "$BUILD_DIR" --target engram_plugin_zoo_wrong_huge_n >/dev/null
fi

# --- the kit parses (included task files are not seen by --syntax-check) ---------
python3 - "$ROOT/deploy" <<'PY' || die "a YAML file in deploy/ does not parse"
import pathlib, sys, yaml
for p in sorted(pathlib.Path(sys.argv[1]).rglob("*.yml")):
    yaml.safe_load(p.read_text())
PY
for pb in deploy rollback lb monitoring; do
  ANSIBLE_LOCALHOST_WARNING=false ansible-playbook --syntax-check -i localhost, "$ROOT/deploy/$pb.yml" >/dev/null \
    || die "deploy/$pb.yml: ansible-playbook --syntax-check"
done

# --- temp dir, cleanup ---------------------------------------------------------
T=$(mktemp -d /tmp/engram-fleet.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  if [ "${ENGRAM_FLEET_KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
    echo "fleet test: files kept in $T" >&2
    [ "$rc" -eq 0 ] || { tail -n 20 "$T"/e*/engramd.log "$T/haproxy.log" "$T/prometheus.log" 2>/dev/null | tail -n 80 >&2 || true; }
  else
    rm -rf "$T"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy of the binaries and plugins: another build writing build/
# while this runs must not change (or briefly hide) what the fleet runs.
# engram-validate stays beside engramd, where engramd looks for it.
mkdir -p "$T/bin" "$T/dist"
cp -p "$BIN/engramd" "$BIN/engramctl" "$BIN/engram-validate" "$T/bin/"
cp -p "$BUILD_DIR/plugins/libengram_reference.so" "$ZOO/libengram_zoo_good.so" "$ZOO/libengram_zoo_truncated.so" \
      "$ZOO/libengram_zoo_wrong_huge_n.so" "$T/dist/"
chmod 755 "$T/bin" "$T/dist"
BIN="$T/bin"
ZOO="$T/dist"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS COMMAND...: polls every 0.2 s
  local n=$(( $1 * 5 )); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# --- four engramd ----------------------------------------------------------------
HOSTS=(e1 e2 e3 e4)
declare -A PORT
for h in "${HOSTS[@]}"; do
  d="$T/$h"
  mkdir -p "$d/plugins" "$d/state"
  chmod 755 "$d" "$d/plugins" "$d/state"
  install -m 0644 "$ZOO/libengram_reference.so" "$d/plugins/libengram_reference.so"
  cat > "$d/engram.toml" <<TOML
# $h: one engramd of the loopback fleet (tests/fleet/fleet_test.sh)
[plugins]
reference = "$d/plugins/libengram_reference.so"

[backends]
similarity = "reference"
spreading = "reference"
decay = "reference"

[store]
memories = 6000
dim = 64

[server]
threads = 2
TOML
  "$BIN/engramd" --config "$d/engram.toml" --listen 127.0.0.1:0 --port-file "$d/port" \
    --state-dir "$d/state" >"$d/engramd.log" 2>&1 &
  pids+=($!)
done
for h in "${HOSTS[@]}"; do
  wait_for 60 test -s "$T/$h/port" || die "$h did not start (see $T/$h/engramd.log)"
  PORT[$h]=$(cat "$T/$h/port")
done
say "engramd: $(for h in "${HOSTS[@]}"; do printf '%s=127.0.0.1:%s ' "$h" "${PORT[$h]}"; done)"

url() { echo "http://127.0.0.1:${PORT[$1]}"; }
backend_of() { curl -fsS "$(url "$1")/v1/backends" | json 'd["kernels"]["similarity"]["backend"]'; }
generation_of() { curl -fsS "$(url "$1")/v1/backends" | json 'd["generation"]'; }
fleet_backends() { for h in "${HOSTS[@]}"; do printf '%s=%s ' "$h" "$(backend_of "$h")"; done; }

# --- inventory, HAProxy, Prometheus (rendered by deploy/lb.yml, deploy/monitoring.yml) ---
HAPROXY_PORT=$(free_port)
PROM_PORT=$(free_port)
PROM="http://127.0.0.1:$PROM_PORT"
write_inventory() {  # write_inventory FILE [EXTRA_HOST_VARS_FOR_e4]
  {
    echo "all:"
    echo "  vars:"
    echo "    ansible_connection: local"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "  children:"
    echo "    engram:"
    echo "      vars:"
    echo "        engramctl: $BIN/engramctl"
    echo "        engram_prometheus_url: $PROM"
    echo "        engram_haproxy_socket: $T/haproxy.sock"
    echo "      hosts:"
    for h in "${HOSTS[@]}"; do
      echo "        $h:"
      echo "          engram_port: ${PORT[$h]}"
      echo "          engram_config: $T/$h/engram.toml"
      echo "          engram_plugin_dir: $T/$h/plugins"
      echo "          engram_backup_dir: $T/$h/state/deploy"
      echo "          engram_verify_reference: $T/$h/plugins/libengram_reference.so"
      if [ "$h" = e4 ] && [ -n "${2:-}" ]; then echo "          $2"; fi
    done
    echo "    lb:"
    echo "      hosts:"
    echo "        lb: {}"
    echo "    monitoring:"
    echo "      hosts:"
    echo "        mon: {}"
  } > "$1"
}
write_inventory "$T/inventory.yml"

export ANSIBLE_NOCOLOR=1 ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_RETRY_FILES_ENABLED=false \
       ANSIBLE_FORKS=8 ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
       ANSIBLE_REMOTE_TEMP="$T/ansible-tmp" ANSIBLE_PIPELINING=True
cd "$ROOT"
ansible-playbook -i "$T/inventory.yml" deploy/lb.yml \
  -e haproxy_cfg="$T/haproxy.cfg" -e haproxy_bind="127.0.0.1:$HAPROXY_PORT" \
  -e haproxy_admin_socket="$T/haproxy.sock" -e haproxy_manage_service=false -e haproxy_check_inter=500ms \
  >"$T/lb.log" 2>&1 || { cat "$T/lb.log"; die "deploy/lb.yml"; }
ansible-playbook -i "$T/inventory.yml" deploy/monitoring.yml \
  -e prometheus_cfg="$T/prometheus.yml" -e prometheus_rules="$T/engram-alerts.yml" \
  -e prometheus_scrape_interval=1s -e prometheus_evaluation_interval=1s -e prometheus_manage_service=false \
  >"$T/monitoring.log" 2>&1 || { cat "$T/monitoring.log"; die "deploy/monitoring.yml"; }

haproxy -W -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
pids+=($!)
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prometheus-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$T/prometheus.log" 2>&1 &
pids+=($!)

prom_query() {  # prints the result list as JSON
  curl -fsS "$PROM/api/v1/query" --data-urlencode "query=$1" | json 'json.dumps(d["data"]["result"])'
}
all_up() { [ "$(prom_query 'count(up{job="engram"} == 1)' | json 'd[0]["value"][1] if d else 0')" = 4 ]; }
haproxy_cmd() { python3 - "$T/haproxy.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2] + "\n").encode())
out = b""
while True:
    b = s.recv(65536)
    if not b: break
    out += b
print(out.decode(), end="")
PY
}
# "e1 UP ..." per server of backend engram, from `show stat`
haproxy_states() { haproxy_cmd "show stat" | awk -F, '$1=="engram" && $2!="BACKEND" {printf "%s:%s ", $2, $18}'; }
all_lb_up() { [ "$(haproxy_states | grep -o ':UP ' | wc -l)" = 4 ]; }
rules_loaded() { curl -fsS "$PROM/api/v1/rules" | grep -q EngramReloadFailed; }
wait_for 60 curl -fsS "$PROM/-/ready" || die "prometheus did not start"
wait_for 60 all_up || die "prometheus does not scrape the four engramd"
wait_for 30 rules_loaded || die "prometheus did not load config/engram-alerts.yml"
wait_for 30 all_lb_up || die "haproxy: not every server UP: $(haproxy_states)"
say "haproxy 127.0.0.1:$HAPROXY_PORT ($(haproxy_states)); prometheus 127.0.0.1:$PROM_PORT, 4/4 targets up, rules loaded"

# --- the client ------------------------------------------------------------------
CLIENT_PID=""
client_start() {
  rm -f "$T/client.stop" "$T/client-$1.json"
  python3 "$ROOT/tests/fleet/client.py" --port "$HAPROXY_PORT" --dim 64 --rate 160 --threads 2 \
    --seconds 300 --stop-file "$T/client.stop" --out "$T/client-$1.json" >/dev/null 2>"$T/client-$1.err" &
  CLIENT_PID=$!
  pids+=("$CLIENT_PID")
  sleep 1
}
client_stop() {  # client_stop NAME: stops the client, waits for its summary
  touch "$T/client.stop"
  wait "$CLIENT_PID" || true
  [ -s "$T/client-$1.json" ] || die "client $1 wrote no summary: $(tail -n 5 "$T/client-$1.err")"
}
client_summary() {  # client_summary NAME: prints "sent failed backends"
  json '"%d %d %s" % (d["sent"], d["failed"], json.dumps(d["backends"], sort_keys=True).replace(" ", ""))' < "$T/client-$1.json"
}

# --- deploy helpers ----------------------------------------------------------------
cat > "$T/fast.yml" <<YML
# Loopback pace: seconds, not minutes.
engram_waves: [1, 1, 2]
engram_rollout:
  mode: canary
  steps: [25, 50, 100]
  step_requests: 20
  step_seconds: 1
  shadow_sample: 0.2
  min_comparisons: 10
  max_mismatch_rate: 0.0
  # Four engramd, HAProxy, Prometheus, Ansible and the client share two
  # cores here: a p99 over 20 calls swings several-fold. Correctness
  # (shadow comparisons) is what this test judges; the latency ratio is
  # left to the Prometheus gate's absolute bound.
  max_latency_ratio: 20
  max_error_rate: 0.0
  max_nonfinite: 0
engram_rollout_wait_seconds: 90
engram_gate_observe_seconds: 3
engram_gate_scrape_wait_seconds: 30
engram_gate_max_p99_seconds: 0.05
engram_gate_min_requests: 10
# The shipped EngramUnexpectedBackend expects SIMD backends; this fleet runs
# reference and zoo plugins, so past 5 minutes it would fire everywhere.
engram_gate_ignore_alerts: [EngramUnexpectedBackend]
engram_drain_settle_seconds: 1
YML
deploy() {  # deploy NAME INVENTORY EXTRA_ARGS...: runs deploy.yml, log in $T/NAME.log, returns its exit code
  local name=$1 inv=$2; shift 2
  set +e
  timeout 600 ansible-playbook -i "$inv" deploy/deploy.yml -e @"$T/fast.yml" "$@" >"$T/$name.log" 2>&1
  local rc=$?
  set -e
  return $rc
}
events() { grep -o "$1 [^\"]*" "$2" | sed 's/\\n/ /g'; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
snapshot() {  # snapshot TAG: config sha256 and generation of every host
  for h in "${HOSTS[@]}"; do
    sha_of "$T/$h/engram.toml" > "$T/$h/sha.$1"
    generation_of "$h" > "$T/$h/gen.$1"
  done
}
assert_untouched() {  # assert_untouched TAG HOST...: same config bytes and generation as at TAG, reference serves
  local tag=$1; shift
  for h in "$@"; do
    [ "$(sha_of "$T/$h/engram.toml")" = "$(cat "$T/$h/sha.$tag")" ] || die "$h: config changed"
    [ "$(generation_of "$h")" = "$(cat "$T/$h/gen.$tag")" ] || die "$h: reloaded (generation $(generation_of "$h") != $(cat "$T/$h/gen.$tag"))"
    [ "$(backend_of "$h")" = reference ] || die "$h: similarity served by $(backend_of "$h")"
  done
}
assert_wave1_undone() {  # assert_wave1_undone TAG: e1 back on reference with its config bytes, e2-e4 untouched, no request failed
  local tag=$1
  [ "$(backend_of e1)" = reference ] || die "$tag: e1 serves $(backend_of e1)"
  [ "$(sha_of "$T/e1/engram.toml")" = "$(cat "$T/e1/sha.$tag")" ] || die "$tag: e1 config not restored byte for byte"
  assert_untouched "$tag" e2 e3 e4
  [ "$failed" = 0 ] || die "$tag: $failed of $sent requests failed"
}
SUMMARY="$T/summary.txt"
: > "$SUMMARY"
report() { echo "$*" | tee -a "$SUMMARY"; }

# === A: good plugin, waves 1-1-2 ======================================================
say "A: zoo_good in waves 1-1-2 through deploy/deploy.yml"
client_start A
t0=$(date +%s.%N)
deploy A "$T/inventory.yml" -e plugin=zoo_good -e plugin_src="$ZOO/libengram_zoo_good.so" -e kernel=similarity \
  || { tail -n 60 "$T/A.log"; die "A: deploy.yml failed"; }
tA=$(calc "$(date +%s.%N) - $t0")
client_stop A; read -r sent failed backends <<<"$(client_summary A)"
events ENGRAM-WAVE "$T/A.log" | grep -v WAVE-START > "$T/A.waves"
events ENGRAM-GATE "$T/A.log" > "$T/A.gates"
cat "$T/A.waves" "$T/A.gates"
[ "$(grep -c 'result=ok' "$T/A.waves")" = 3 ] || die "A: expected 3 good waves"
grep -q 'wave=1 hosts=e1 ' "$T/A.waves" && grep -q 'wave=2 hosts=e2 ' "$T/A.waves" && grep -q 'wave=3 hosts=e3,e4 ' "$T/A.waves" \
  || die "A: waves are not e1 / e2 / e3,e4"
[ "$(grep -c 'result=pass' "$T/A.gates")" = 3 ] || die "A: expected 3 passed gates"
for h in "${HOSTS[@]}"; do
  [ "$(backend_of "$h")" = zoo_good ] || die "A: $h serves $(backend_of "$h")"
  grep -q '^similarity = "zoo_good"$' "$T/$h/engram.toml" || die "A: $h [backends] not committed"
  ! grep -q '^\[rollout' "$T/$h/engram.toml" || die "A: $h still has a [rollout] table"
done
[ "$failed" = 0 ] || die "A: $failed of $sent requests failed"
report "A good rollout (zoo_good, waves 1-1-2): $tA s total; requests $sent sent, $failed failed; served by $backends"
while read -r line; do
  report "  $(sed -E 's/.*wave=([0-9]+) hosts=([^ ]+) result=([^ ]+) seconds=([^ ]+).*/wave \1 (\2): \3 in \4 s/' <<<"$line")"
done < "$T/A.waves"
report "  host verdicts (reload sent -> promoted): $(events ENGRAM-VERDICT "$T/A.log" | sed -E 's/.*host=([^ ]+) rc=([0-9]+) started=[^ ]+ seconds=([^ ]+).*/\1 \3 s/' | paste -sd, -)"

# === B: fleet-wide pin ================================================================
say "B: deploy/rollback.yml -e backend=reference -e kernel=similarity -e drain=true"
client_start B
t0=$(date +%s.%N)
set +e
timeout 300 ansible-playbook -i "$T/inventory.yml" deploy/rollback.yml -e backend=reference -e kernel=similarity \
  -e drain=true >"$T/B.log" 2>&1
rc=$?
set -e
tB=$(calc "$(date +%s.%N) - $t0")
client_stop B; read -r sent failed backends <<<"$(client_summary B)"
[ "$rc" = 0 ] || { tail -n 60 "$T/B.log"; die "B: rollback.yml exit $rc"; }
events ENGRAM-PIN "$T/B.log"
for h in "${HOSTS[@]}"; do
  [ "$(backend_of "$h")" = reference ] || die "B: $h serves $(backend_of "$h")"
  grep -q '^similarity = "reference"$' "$T/$h/engram.toml" || die "B: $h [backends] not pinned"
done
wait_for 10 all_lb_up || die "B: not every HAProxy server back UP after the drain: $(haproxy_states)"
[ "$failed" = 0 ] || die "B: $failed of $sent requests failed"
report "B fleet-wide pin (rollback.yml, drain=true): $tB s for the playbook; requests $sent sent, $failed failed; HAProxy: $(haproxy_states)"

# === D: the Prometheus gate stops wave 1 ===================================================
say "D: zoo_good with a p99 bound no backend meets: the gate must stop wave 1"
snapshot D
client_start D
if deploy D "$T/inventory.yml" -e plugin=zoo_good -e plugin_src="$ZOO/libengram_zoo_good.so" -e kernel=similarity \
     -e engram_gate_max_p99_seconds=0.000001; then
  tail -n 60 "$T/D.log"; die "D: deploy.yml passed a gate it cannot pass"
fi
client_stop D; read -r sent failed backends <<<"$(client_summary D)"
events ENGRAM-GATE "$T/D.log"; events ENGRAM-ROLLED-BACK "$T/D.log"
grep -q 'ENGRAM-GATE wave=1 hosts=e1 result=FAIL.* p99 [0-9.]* s > 0.000001 s' "$T/D.log" || die "D: the gate did not fail wave 1 on p99"
grep -q 'ENGRAM-ROLLED-BACK host=e1 rc=0' "$T/D.log" || die "D: e1 not rolled back"
! grep -q 'ENGRAM-WAVE-START wave=2' "$T/D.log" || die "D: the play went on to wave 2"
assert_wave1_undone D
report "D gate failure (p99 bound 1 us): wave 1 promoted by e1, stopped by the Prometheus gate, e1 rolled back; $(events ENGRAM-GATE "$T/D.log" | grep -o 'p99 [^;]*s >[^;]*' | head -1); requests $sent sent, $failed failed"

# === E: corrupt artifact on e4 (wave 2 of 2-2): waves 1-2 rolled back ======================
# Waves of two hosts (A already walks 1-1-2): a multi-host first wave, and the
# failing wave holds a host that took the plugin (e3) beside the one that
# refuses it (e4).
say "E: zoo_good in waves 2-2, but e4 gets a truncated copy: waves 1 and 2 must be rolled back"
write_inventory "$T/inventory-corrupt.yml" "engram_plugin_src: $ZOO/libengram_zoo_truncated.so"
snapshot E
drains_before=$(grep -c 'enters drain state' "$T/haproxy.log" || true)
client_start E
if deploy E "$T/inventory-corrupt.yml" -e plugin=zoo_good -e plugin_src="$ZOO/libengram_zoo_good.so" -e kernel=similarity \
     -e drain=true -e '{"engram_waves": [2, 2]}'; then
  tail -n 60 "$T/E.log"; die "E: deploy.yml succeeded with a corrupt file on e4"
fi
client_stop E; read -r sent failed backends <<<"$(client_summary E)"
events ENGRAM-WAVE "$T/E.log" | grep -v WAVE-START; events ENGRAM-ROLLED-BACK "$T/E.log"; events ENGRAM-HOST-FAILED "$T/E.log"
grep -q 'ENGRAM-WAVE wave=2 hosts=e3,e4 result=FAILED' "$T/E.log" || die "E: wave 2 did not fail"
for h in e1 e2 e3; do grep -q "ENGRAM-ROLLED-BACK host=$h rc=0" "$T/E.log" || die "E: $h not rolled back"; done
for h in "${HOSTS[@]}"; do
  [ "$(backend_of "$h")" = reference ] || die "E: $h serves $(backend_of "$h")"
  [ "$(sha_of "$T/$h/engram.toml")" = "$(cat "$T/$h/sha.E")" ] || die "E: $h config not byte for byte what it was"
done
wait_for 10 all_lb_up || die "E: not every HAProxy server back UP after the drains: $(haproxy_states)"
[ "$(grep -c 'enters drain state' "$T/haproxy.log")" -gt "$drains_before" ] || die "E: no server was drained"
[ "$failed" = 0 ] || die "E: $failed of $sent requests failed"
w2_start=$(events "ENGRAM-WAVE-START wave=2" "$T/E.log" | sed -E 's/.* t=([0-9.]+).*/\1/')
w2_end=$(events "ENGRAM-WAVE wave=2" "$T/E.log" | sed -E 's/.* end=([0-9.]+).*/\1/')
report "E corrupt artifact on e4 in wave 2 of 2-2 (drain=true): e4 refused by engramctl verify before any edit; e1, e2, e3 rolled back; wave 2 start -> whole fleet verified on reference: $(calc "$w2_end - $w2_start") s; every config byte-identical to before; requests $sent sent, $failed failed"

# === C: bad plugin, stopped in wave 1 ===================================================
say "C: zoo_wrong_huge_n (passes validation, wrong on this store)"
snapshot C
client_start C
t0=$(date +%s.%N)
if deploy C "$T/inventory.yml" -e plugin=zoo_wrong_huge_n -e plugin_src="$ZOO/libengram_zoo_wrong_huge_n.so" -e kernel=similarity; then
  tail -n 60 "$T/C.log"; die "C: deploy.yml succeeded with a wrong plugin"
fi
tC=$(calc "$(date +%s.%N) - $t0")
client_stop C; read -r sent failed backends <<<"$(client_summary C)"
events ENGRAM-WAVE "$T/C.log"; events ENGRAM-VERDICT "$T/C.log"; events ENGRAM-HOST-FAILED "$T/C.log"
grep -q 'ENGRAM-WAVE wave=1 hosts=e1 result=FAILED' "$T/C.log" || die "C: wave 1 did not fail"
! grep -q 'ENGRAM-WAVE-START wave=2' "$T/C.log" || die "C: the play went on to wave 2"
assert_wave1_undone C
# When: the wave start, the host's own rollback (in engramd), the play done.
wave_start=$(events ENGRAM-WAVE-START "$T/C.log" | sed -E 's/.* t=([0-9.]+).*/\1/' | head -1)
canary_start=$(events ENGRAM-VERDICT "$T/C.log" | sed -E 's/.* started=([0-9.]+).*/\1/')
host_rb=$(curl -fsS "$(url e1)/v1/rollouts" | json '[a["at_unix"] for a in d["auto_rollbacks"] if a["kernel"]=="similarity"][-1]')
verdict_s=$(events ENGRAM-VERDICT "$T/C.log" | sed -E 's/.* seconds=([0-9.]+).*/\1/')
wave_end=$(events "ENGRAM-WAVE wave=1" "$T/C.log" | sed -E 's/.* end=([0-9.]+).*/\1/')
reason=$(curl -fsS "$(url e1)/v1/rollouts" | json '[a["reason"]+": "+a["detail"] for a in d["auto_rollbacks"]][-1]')
bad_served=$(json 'd["backends"].get("zoo_wrong_huge_n", 0)' < "$T/client-C.json")
report "C bad rollout (zoo_wrong_huge_n): stopped in wave 1 by e1's own canary ($reason)"
report "  reload sent (starts the canary) -> e1's own auto rollback, every call back on reference: $(calc "$host_rb - $canary_start" 3) s; -> verdict seen by the play: $verdict_s s"
report "  wave start -> fleet verified on reference (config restored, engramctl use reference ok): $(calc "$wave_end - $wave_start") s; playbook $tC s"
report "  requests $sent sent, $failed failed; answers served by the bad candidate (its canary share) before its rollback: $bad_served; e2-e4 untouched (config sha256, generation, backend)"

# === C2: the same bad plugin, shadow first: no answer of it reaches a client =========
say "C2: zoo_wrong_huge_n again, mode shadow: it must never serve"
snapshot C2
cat > "$T/shadow.yml" <<YML
engram_rollout:
  mode: shadow
  steps: [25, 50, 100]
  step_requests: 20
  step_seconds: 1
  shadow_sample: 0.5
  min_comparisons: 10
  max_mismatch_rate: 0.0
  max_latency_ratio: 20
YML
client_start C2
if deploy C2 "$T/inventory.yml" -e plugin=zoo_wrong_huge_n -e plugin_src="$ZOO/libengram_zoo_wrong_huge_n.so" \
     -e kernel=similarity -e @"$T/shadow.yml"; then
  tail -n 60 "$T/C2.log"; die "C2: deploy.yml succeeded with a wrong plugin"
fi
client_stop C2; read -r sent failed backends <<<"$(client_summary C2)"
grep -q 'ENGRAM-WAVE wave=1 hosts=e1 result=FAILED' "$T/C2.log" || die "C2: wave 1 did not fail"
assert_wave1_undone C2
bad_served=$(json 'd["backends"].get("zoo_wrong_huge_n", 0)' < "$T/client-C2.json")
[ "$bad_served" = 0 ] || die "C2: $bad_served answers served by the candidate in shadow mode"
reason=$(curl -fsS "$(url e1)/v1/rollouts" | json '[a["reason"]+": "+a["detail"] for a in d["auto_rollbacks"]][-1]')
report "C2 bad rollout, shadow first: stopped in wave 1 in shadow ($reason); answers served by the candidate: 0; requests $sent sent, $failed failed; e2-e4 untouched"

# === F: an alert firing on e1 stops wave 1 at the gate ===================================
say "F: a failed reload on e1 (EngramReloadFailed fires at once), then zoo_good: the gate must stop wave 1"
cp -p "$T/e1/engram.toml" "$T/e1/engram.toml.keep"
printf '\n[this is not toml\n' >> "$T/e1/engram.toml"
! "$BIN/engramctl" --url "$(url e1)" reload >/dev/null 2>&1 || die "F: a broken config reloaded"
mv "$T/e1/engram.toml.keep" "$T/e1/engram.toml"
reload_failed_firing() {
  prom_query "ALERTS{alertstate=\"firing\",alertname=\"EngramReloadFailed\",instance=\"127.0.0.1:${PORT[e1]}\"}" | grep -q EngramReloadFailed
}
wait_for 30 reload_failed_firing || die "F: EngramReloadFailed does not fire for e1"
snapshot F
client_start F
if deploy F "$T/inventory.yml" -e plugin=zoo_good -e plugin_src="$ZOO/libengram_zoo_good.so" -e kernel=similarity; then
  tail -n 60 "$T/F.log"; die "F: deploy.yml passed a gate with an alert firing"
fi
client_stop F; read -r sent failed backends <<<"$(client_summary F)"
events ENGRAM-GATE "$T/F.log"
grep -q 'ENGRAM-GATE wave=1 hosts=e1 result=FAIL .*firing alerts: .*EngramReloadFailed@127.0.0.1:'"${PORT[e1]}" "$T/F.log" \
  || die "F: the gate did not fail on EngramReloadFailed"
grep -q 'ENGRAM-ROLLED-BACK host=e1 rc=0' "$T/F.log" || die "F: e1 not rolled back"
assert_wave1_undone F
report "F firing alert: $(events ENGRAM-GATE "$T/F.log" | grep -o 'firing alerts: [^;]*' | head -1) -> wave 1 stopped at the gate, e1 rolled back, e2-e4 untouched; requests $sent sent, $failed failed"

say "fleet test passed"
echo
echo "=== fleet test summary ==="
cat "$SUMMARY"
