#!/usr/bin/env bash
# Cached tiles under load (issue 5 benchmark, GIS-2): wrk with 64 connections for 30 s
# against `twindraw serve` answering tiles already in its disk cache — on its tile port
# (`--tile-port`, server/tile-port.hpp) and, for the record, on its main (Pistache)
# port — then against nginx serving the very same cached PNG files from disk on the
# same machine. Prints the requests/s of each and the ratio twindraw / nginx (goal >= 0.5).
#   pg_virtualenv -t -v 15 tests/bench/tiles-cached.sh build/twindraw [enterprises] [seconds]
# Needs wrk and nginx (scripts/deps installs both; nginx-light). tests/bench/smoke.sh runs it
# from scripts/test at 300 enterprises and one-second runs.
# Both servers get the same number of workers (TWINDRAW_BENCH_WORKERS, default 2: the
# cores of the box); wrk runs 2 threads on the same machine. twindraw authorises every
# request as in service: the bearer session (from its session cache, kept fresh by
# LISTEN/NOTIFY), the tile permission and the data-scope cache key, and checks the
# expiry signal; it writes its JSON access log (nginx's is off). Every answer is
# checked: any non-2xx fails the run.
#
# Recorded runs (shared 2-core box, 2026-12-01; see docs/map-tiles.md):
#   before (main port only, session and expiry queue asked in PostgreSQL per request):
#     twindraw 4,917 req/s, nginx 167,305 req/s, ratio 0.03
#   after (tile port; load average ~10 from other builds): tile port 73,812 req/s,
#     nginx 67,518 req/s, ratio 1.09 (goal 0.5 reached); main port 12,399 req/s on the
#     same tiles (0.18), /healthz 13,308 (0.20); again with the final build (load ~3 to ~9):
#     tile port 74,471, nginx 70,006, ratio 1.06; main port 13,740 (0.20). docs/map-tiles.md.
set -euo pipefail
. "$(dirname "$0")/lib/serve-port.sh"
BIN=$(realpath "$1")
N=${2:-20000}
SECONDS_RUN=${3:-30}
WORKERS=${TWINDRAW_BENCH_WORKERS:-2}
command -v wrk >/dev/null || { echo "wrk is missing: scripts/deps installs it" >&2; exit 2; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is missing: scripts/deps (or apt-get install nginx-light)" >&2; exit 2; }
WORK=$(mktemp -d)
chmod 755 "$WORK"   # nginx workers run as another user when started by root
DB=twindraw_bench_cached_$$
NGINX_PID=""
cleanup() {
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  dropdb --if-exists "$DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
createdb "$DB"
"$BIN" --database "dbname=$DB" migrate >/dev/null
echo "==> demo city with $N enterprises"
"$BIN" --database "dbname=$DB" demo --enterprises "$N" --seed 7 >/dev/null
psql -qAt -d "$DB" -c "UPDATE app_user SET must_change_password = false WHERE account = 'admin'" >/dev/null

# Both of serve's ports 0 (the kernel's choice: no collision with another run), read from
# its "listening" log line.
"$BIN" --database "dbname=$DB" serve --address 127.0.0.1 --port 0 --tile-port 0 \
  --tile-threads "$WORKERS" --data-dir "$WORK/data" \
  --threads "$WORKERS" --pool-size $((WORKERS * 2)) >"$WORK/serve.log" 2>&1 &
TD_PORT=$(serve_port "$WORK/serve.log")
TILE_PORT=$(serve_port "$WORK/serve.log" tile_port)
TOKEN=$(curl -fs -H 'Content-Type: application/json' \
  -d '{"account":"admin","password":"Twindraw@2026","client":"mobile"}' \
  "http://127.0.0.1:$TD_PORT/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# The tiles: the objects layer over the central districts, z11-z14 (whole 8x8 metatiles).
python3 - >"$WORK/tiles.txt" <<'PY'
import math
def tile(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
for z in range(11, 15):
    x0, y0 = tile(106.40, 29.70, z)
    x1, y1 = tile(106.70, 29.45, z)
    for x in range(x0 // 8 * 8, x1 // 8 * 8 + 8):
        for y in range(y0 // 8 * 8, y1 // 8 * 8 + 8):
            print(f"/tiles/objects/{z}/{x}/{y}.png")
PY
TILES=$(wc -l <"$WORK/tiles.txt")
echo "==> warming the cache: $TILES tiles through twindraw"
python3 - "$TD_PORT" "$TOKEN" "$WORK/tiles.txt" <<'PY'
import http.client, sys
port, token, listing = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
for p in open(listing):
    c.request("GET", p.strip(), headers={"Authorization": "Bearer " + token})
    r = c.getresponse(); r.read()
    if r.status != 200: sys.exit(f"{p.strip()}: {r.status}")
PY
KEYS=$(ls "$WORK/data/tiles/objects")
[ "$(echo "$KEYS" | wc -l)" -eq 1 ] || { echo "expected one cache key, got: $KEYS" >&2; exit 1; }
CACHE="$WORK/data/tiles/objects/$KEYS"
FILES=$(find "$CACHE" -name '*.png' | wc -l)
BYTES=$(du -sb "$CACHE" | cut -f1)
echo "==> $FILES cached files, $((BYTES / 1024)) KiB in $CACHE"
[ "$FILES" -eq "$TILES" ] || { echo "cache holds $FILES files for $TILES tiles" >&2; exit 1; }
chmod -R a+rX "$WORK/data"

# nginx has no port 0: a random port, and another one when that one is taken (nginx
# then exits after its bind retries; a silent listener there times the curl out) — up to
# ten tries.
NG_PORT=""
for _ in $(seq 10); do
  NG_PORT=$((20000 + RANDOM % 20000))
  mkdir -p "$WORK/nginx/logs"
  cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes $WORKERS;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types { image/png png; }
  server {
    listen 127.0.0.1:$NG_PORT;
    location /tiles/objects/ { alias $CACHE/; }
  }
}
CONF
  "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
  NGINX_PID=$!
  for _ in $(seq 100); do
    curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$NG_PORT$(head -1 "$WORK/tiles.txt")" && break 2
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  NGINX_PID="" NG_PORT=""
done
[ -n "$NG_PORT" ] || { echo "nginx did not start:" >&2; cat "$WORK/nginx/logs/error.log" >&2; exit 1; }
# The same bytes from both.
P=$(sed -n 5p "$WORK/tiles.txt")
cmp <(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$TD_PORT$P") <(curl -fs "http://127.0.0.1:$NG_PORT$P") \
  || { echo "twindraw and nginx serve different bytes for $P" >&2; exit 1; }
cmp <(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$TILE_PORT$P") <(curl -fs "http://127.0.0.1:$NG_PORT$P") \
  || { echo "the tile port and nginx serve different bytes for $P" >&2; exit 1; }
# The tile port authorises: no token, no tile.
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$TILE_PORT$P")" = 401 ] \
  || { echo "the tile port answered a request without a session" >&2; exit 1; }

# wrk walks the tile list round robin on every connection.
cat >"$WORK/paths.lua" <<LUA
local paths = {}
for line in io.lines("$WORK/tiles.txt") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
bench() {  # $1 URL base [$2 "plain": no tile list]; prints requests/s; fails on any non-2xx answer
  local out script=(-s "$WORK/paths.lua")
  [ "${2:-}" = plain ] && script=()
  out=$(wrk -t2 -c64 -d"${SECONDS_RUN}s" --latency "${script[@]}" -H "Authorization: Bearer $TOKEN" "$1")
  echo "$out" >&2
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers from $1" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
echo "==> wrk -c64 -d${SECONDS_RUN}s: twindraw serve, tile port ($WORKERS event loops)"
TP=$(bench "http://127.0.0.1:$TILE_PORT")
echo "==> wrk -c64 -d${SECONDS_RUN}s: nginx ($WORKERS workers) on the same files"
NG=$(bench "http://127.0.0.1:$NG_PORT")
echo "==> wrk -c64 -d${SECONDS_RUN}s: twindraw serve, main port ($WORKERS Pistache threads)"
TD=$(bench "http://127.0.0.1:$TD_PORT")
# For the record: the same server answering /healthz (no session, no database, no file),
# the ceiling of its HTTP layer on this box.
echo "==> wrk -c64 -d${SECONDS_RUN}s: twindraw /healthz"
HZ=$(bench "http://127.0.0.1:$TD_PORT/healthz" plain)
# The tile port wrote one access-log line per answer, as the main port does.
grep -q '"port":"tile"' "$WORK/serve.log" || { echo "no access log lines from the tile port" >&2; exit 1; }
python3 - "$TP" "$NG" "$FILES" "$HZ" "$TD" <<'PY'
import sys
tp, ng, n, hz, td = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print(f"cached tiles                : {n}")
print(f"twindraw tile port          : {tp:10.1f} requests/s")
print(f"nginx                       : {ng:10.1f} requests/s")
print(f"ratio                       : {tp / ng:10.2f} (goal >= 0.5: {'reached' if tp / ng >= 0.5 else 'NOT reached'})")
print(f"twindraw main port (tiles)  : {td:10.1f} requests/s ({td / ng:.2f} of nginx)")
print(f"twindraw main port /healthz : {hz:10.1f} requests/s ({hz / ng:.2f} of nginx)")
PY
