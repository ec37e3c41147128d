# Sourced by tools/rollback-drill.sh and tools/rollout-drill.sh: start and
# stop the drill's engramd. Needs ENGRAMD and a fail() from the caller; sets
# PID and PORT.

start_engramd() {  # start_engramd CONFIG LOG
    # The port from --port-file (written atomically once listening), not
    # from the log: the log format may be text or JSON.
    rm -f "$2.port"
    "$ENGRAMD" --config "$1" --listen 127.0.0.1:0 --port-file "$2.port" 2>"$2" &
    PID=$!
    PORT=""
    for _ in $(seq 600); do
        [ -s "$2.port" ] && PORT=$(cat "$2.port")
        [ -n "$PORT" ] && return 0
        kill -0 "$PID" 2>/dev/null || fail "engramd exited before ready: $(cat "$2")"
        sleep 0.05
    done
    fail "engramd not ready after 30 s"
}

stop_engramd() {  # SIGTERM, and exit status 0 required
    kill -TERM "$PID"
    local rc=0
    wait "$PID" || rc=$?
    PID=""
    [ "$rc" = 0 ] || fail "engramd exited $rc after SIGTERM (want 0)"
}
