#!/usr/bin/env bash
# Browser test of the web shell against the real server (BASE-1..4).
#
# Usage: tests/e2e/run.sh /path/to/twindraw
# Runs inside a throwaway PostgreSQL cluster (pg_virtualenv sets PGHOST, PGPORT, ...):
# creates a uniquely named database, migrates it, loads the demo city, serves web/dist on
# a free port and drives it with playwright-core in Debian's chromium. Anything missing
# (web/dist, playwright-core, chromium, PostgreSQL) is a failure, never a skip.
# TWINDRAW_KEEP_TEST_DB=1 keeps the database; E2E_SCREENSHOT_DIR=dir keeps screenshots.
set -euo pipefail

fail() {
  echo "e2e: $*" >&2
  exit 1
}

[[ $# -eq 1 ]] || fail "usage: $0 /path/to/twindraw"
TWINDRAW=$(realpath -- "$1") || fail "twindraw binary not found: $1"
[[ -x $TWINDRAW ]] || fail "twindraw binary not executable: $TWINDRAW"
HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd -- "$HERE/../.." && pwd)
WEB_DIST=$ROOT/web/dist
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

[[ -f $WEB_DIST/index.html ]] || fail "web/dist/index.html is missing: build the web first (cd web && npm ci && npm run build)"
[[ -f $ROOT/web/node_modules/playwright-core/package.json ]] || fail "playwright-core is missing: run npm ci in web/"
[[ -x $CHROMIUM ]] || fail "chromium not found at $CHROMIUM (apt-get install chromium)"
for tool in createdb dropdb curl python3 node; do
  command -v "$tool" >/dev/null || fail "$tool is required"
done
psql -XAtqc 'SELECT 1' postgres >/dev/null 2>&1 ||
  fail "no PostgreSQL server answers (run under pg_virtualenv, as ctest does in CI)"

DB="twindraw_e2e_$$_${RANDOM}"
WORK=$(mktemp -d -t twindraw-e2e.XXXXXX)
SERVER_PID=
STATUS=1

cleanup() {
  local rc=$?
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    # Bounded wait for a clean shutdown, then force.
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $STATUS -ne 0 && -f $WORK/server.log ]]; then
    echo "---- server log (last 60 lines) ----" >&2
    tail -n 60 "$WORK/server.log" >&2 || true
  fi
  if [[ -z ${TWINDRAW_KEEP_TEST_DB:-} ]]; then
    dropdb --if-exists --force "$DB" 2>/dev/null || dropdb --if-exists "$DB" || true
  else
    echo "e2e: kept database $DB" >&2
  fi
  rm -rf -- "$WORK"
  exit "$rc"
}
trap cleanup EXIT

echo "e2e: database $DB"
createdb "$DB"
"$TWINDRAW" --database "dbname=$DB" migrate
# 1,000 enterprises: several specs draw from 渝中区, and a draw takes at least one object of
# every non-empty stratum, so a small district runs out after two or three draws.
"$TWINDRAW" --database "dbname=$DB" demo --enterprises 1000 --seed 7

mkdir -p "$WORK/data"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE_URL="http://127.0.0.1:$PORT"
"$TWINDRAW" --database "dbname=$DB" serve --address 127.0.0.1 --port "$PORT" --tile-port 0 --web-dir "$WEB_DIST" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

# Wait until the server answers /readyz (bounded; fails early if the server dies).
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null --max-time 2 "$BASE_URL/readyz" 2>/dev/null; do
  kill -0 "$SERVER_PID" 2>/dev/null || fail "twindraw serve exited before it was ready"
  ((SECONDS < deadline)) || fail "twindraw serve did not become ready on $BASE_URL within 60 s"
  sleep 0.2
done
echo "e2e: server ready on $BASE_URL"

TWINDRAW_URL=$BASE_URL CHROMIUM=$CHROMIUM node "$HERE/main.mjs"
STATUS=0
