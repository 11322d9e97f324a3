#!/bin/bash
# The cost of security (issue 3 benchmark): wrk on loopback, 64 connections, 30 s, against
# GET /api/subjects?page=1 (the object list) with a bearer session, the permission check
# and row-level security (the transaction runs as twindraw_app), against the same request
# with every check off (twindraw_bench_server --nochecks: all routes public, no session,
# the owner's connection without SET ROLE, so no RLS). Also the login rate.
# Not part of CI; run by hand on a throwaway cluster:
#
#   pg_virtualenv -t tests/bench/auth-load.sh [build-dir] [enterprises]
#
# Needs wrk, curl, the reference npm packages (scripts/deps; or TWINDRAW_REFDATA_DIR).
# Prints requests/s of both (the mean of alternating rounds, TWINDRAW_BENCH_ROUNDS=2), their
# ratio (goal >= 0.8), non-2xx answers, and logins/s.
# TWINDRAW_BENCH_DURATION (30s), TWINDRAW_BENCH_WARMUP (5s) and TWINDRAW_BENCH_CONNECTIONS
# (64) shrink it: tests/bench/smoke.sh runs it from scripts/test at 300 enterprises and
# one-second runs. Both servers bind port 0 (the kernel's choice) and log the port.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}
ENTERPRISES=${2:-20000}
DURATION=${TWINDRAW_BENCH_DURATION:-30s}
WARMUP=${TWINDRAW_BENCH_WARMUP:-5s}
CONNECTIONS=${TWINDRAW_BENCH_CONNECTIONS:-64}
REFDATA=${TWINDRAW_REFDATA_DIR:-$ROOT/data/refdata/node_modules}
DB=twindraw_bench_auth_$$
WORK=$(mktemp -d /tmp/twindraw-authload-XXXXXX)
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

cmake --build "$BUILD" --target twindraw twindraw_bench_server >/dev/null
BIN=$BUILD/twindraw
SERVER=$BUILD/twindraw_bench_server

createdb "$DB"
URL="dbname=$DB"
"$BIN" --database "$URL" migrate >/dev/null
echo "==> demo city with $ENTERPRISES enterprises"
"$BIN" --database "$URL" demo --enterprises "$ENTERPRISES" --seed 1 --refdata-dir "$REFDATA" --reference-dir "$ROOT/data" >/dev/null
# The demo's initial password must be changed at first login; mark it changed directly.
psql -q -d "$DB" -c "UPDATE app_user SET must_change_password = false" >/dev/null

# Both servers run at once (checks on at $PORT, off at $OFF_PORT) and the wrk runs
# alternate on, off, on, off, ... so that background load on the machine hits both alike.
OFF_PID=
start() {  # start name [--nochecks]: prints "pid port"; the server binds port 0 and logs it
    local log=$WORK/server-$1.log port=""
    shift
    "$SERVER" --database "$URL" --port 0 "$@" >"$log" 2>&1 &
    local pid=$!
    for _ in $(seq 600); do
        port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\).*/\1/p' "$log" 2>/dev/null || true)
        [ -n "$port" ] && curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && { echo "$pid $port"; return 0; }
        sleep 0.1
    done
    echo "server did not start:" >&2
    cat "$log" >&2
    exit 1
}
token() {  # token account
    curl -fsS -H 'Content-Type: application/json' \
        -d "{\"account\":\"$1\",\"password\":\"Twindraw@2026\",\"client\":\"mobile\"}" \
        "http://127.0.0.1:$PORT/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
run_wrk() {  # run_wrk name url [wrk args...]
    local name=$1 url=$2
    shift 2
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" >"$WORK/$name.txt"
    local rps non2xx
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/$name.txt")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$WORK/$name.txt")
    echo "${rps} ${non2xx:-0}"
}

psql -q -d "$DB" -c "VACUUM ANALYZE" >/dev/null
read -r SERVER_PID PORT <<<"$(start on)"
read -r OFF_PID OFF_PORT <<<"$(start off --nochecks)"
[ -n "$PORT" ] && [ -n "$OFF_PORT" ] || exit 1
trap 'kill $OFF_PID 2>/dev/null || true; cleanup' EXIT
ADMIN_TOKEN=$(token admin)
DISTRICT_TOKEN=$(token yz_admin)
LIST="http://127.0.0.1:$PORT/api/subjects?page=1"
OFF_LIST="http://127.0.0.1:$OFF_PORT/api/subjects?page=1"
curl -fsS -H "Authorization: Bearer $ADMIN_TOKEN" "$LIST" >/dev/null
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" -H "Authorization: Bearer $ADMIN_TOKEN" "$LIST" >/dev/null  # warm-up
wrk -t2 -c"$CONNECTIONS" -d"$WARMUP" "$OFF_LIST" >/dev/null
ONS=() OFFS=() BAD=0
for round in $(seq "${TWINDRAW_BENCH_ROUNDS:-2}"); do
    echo "==> round $round: checks on (system administrator, scope all), $CONNECTIONS connections, $DURATION"
    read -r r b < <(run_wrk "on$round" "$LIST" -H "Authorization: Bearer $ADMIN_TOKEN")
    ONS+=("$r"); BAD=$((BAD + b)); ON_BAD=$b
    echo "    $r requests/s, non-2xx $b"
    echo "==> round $round: checks OFF (bench-only --nochecks)"
    read -r r b < <(run_wrk "off$round" "$OFF_LIST")
    OFFS+=("$r"); OFF_BAD=$b
    echo "    $r requests/s, non-2xx $b"
done
echo "==> checks on: district administrator of 渝中区 (scope district)"
read -r DIST DIST_BAD < <(run_wrk district "$LIST" -H "Authorization: Bearer $DISTRICT_TOKEN")
cat >"$WORK/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"account":"leader","password":"Twindraw@2026","client":"mobile"}'
wrk.headers["Content-Type"] = "application/json"
LUA
echo "==> login (Argon2id), POST /api/auth/login"
read -r LOGIN LOGIN_BAD < <(run_wrk login "http://127.0.0.1:$PORT/api/auth/login" -s "$WORK/login.lua")
ON=$(printf '%s\n' "${ONS[@]}" | awk '{s += $1} END {printf "%.2f", s / NR}')
OFF=$(printf '%s\n' "${OFFS[@]}" | awk '{s += $1} END {printf "%.2f", s / NR}')
ON_BAD=$BAD

python3 - "$ON" "$OFF" "$DIST" <<'PY'
import sys
on, off, dist = map(float, sys.argv[1:4])
print(f"ratio checks-on / checks-off (mean of the rounds): {on / off:.3f} (goal >= 0.8); district user: {dist / off:.3f}")
PY
printf '%-44s %12s %10s\n' "case" "requests/s" "non-2xx"
printf '%-44s %12s %10s\n' "list, permission + RLS (admin, scope all)" "$ON" "$ON_BAD"
printf '%-44s %12s\n' "  rounds (on)" "${ONS[*]}"
printf '%-44s %12s\n' "  rounds (off)" "${OFFS[*]}"
printf '%-44s %12s %10s\n' "list, permission + RLS (渝中 district admin)" "$DIST" "$DIST_BAD"
printf '%-44s %12s %10s\n' "list, checks off" "$OFF" "$OFF_BAD"
printf '%-44s %12s %10s\n' "login (password only)" "$LOGIN" "$LOGIN_BAD"
