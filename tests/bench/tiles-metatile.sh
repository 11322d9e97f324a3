#!/usr/bin/env bash
# Cold rendering of the `objects` layer, z12-z16, over the demo city's enterprises
# (issue 5 benchmark, GIS-2): 8x8 metatiles (one query and one render per 64 tiles)
# against one-tile-at-a-time rendering (TWINDRAW_TILE_METATILE=1) of the same tiles,
# both through `twindraw serve` with an empty cache. Prints tiles/s of each and the ratio.
#   pg_virtualenv -t -v 15 tests/bench/tiles-metatile.sh build/twindraw [enterprises] [district]
# 2026-12-01, shared 2-core box, 100000 enterprises, 渝中区 (2432 subjects), 1408 tiles:
# metatiles 264 tiles/s, single tiles 145 tiles/s, ratio 1.83x (issue goal 5x not reached).
set -euo pipefail
BIN=$(realpath "$1")
N=${2:-100000}
DISTRICT=${3:-500103}   # the area fetched: the extent of this district's subjects
WORK=$(mktemp -d)
DB=twindraw_bench_tiles_$$
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
createdb "$DB"
"$BIN" --database "dbname=$DB" migrate >/dev/null
echo "==> demo city with $N enterprises"
"$BIN" --database "dbname=$DB" demo --enterprises "$N" --seed 7 >/dev/null
psql -qAt -d "$DB" -c "UPDATE app_user SET must_change_password = false WHERE account = 'admin'" >/dev/null
read -r MINX MINY MAXX MAXY COUNT < <(psql -qAt -F ' ' -d "$DB" -c \
  "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), n FROM (SELECT ST_Extent(geom) e, count(*) n FROM market_subject WHERE left(division_code, 6) = '$DISTRICT') s")
echo "==> $COUNT subjects in $DISTRICT, box $MINX $MINY $MAXX $MAXY"
python3 - "$MINX" "$MINY" "$MAXX" "$MAXY" >"$WORK/tiles.txt" <<'PY'
import math, sys
minx, miny, maxx, maxy = map(float, sys.argv[1:5])
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
# Whole metatiles (8x8, aligned) covering the box: what a full map view or a seeding run
# asks for, and the same tiles in both modes.
for z in range(12, 17):
    x0, y0 = tile(minx, maxy, z)
    x1, y1 = tile(maxx, miny, z)
    x0, y0 = x0 // 8 * 8, y0 // 8 * 8
    x1, y1 = min(x1 // 8 * 8 + 7, 2 ** z - 1), min(y1 // 8 * 8 + 7, 2 ** z - 1)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            print(f"{z}/{x}/{y}")
PY
TILES=$(wc -l <"$WORK/tiles.txt")
echo "==> $TILES tiles z12-z16"

run() {  # $1: metatile size; prints seconds
  local port=$((20000 + RANDOM % 20000))
  TWINDRAW_TILE_METATILE=$1 "$BIN" --database "dbname=$DB" serve --address 127.0.0.1 --port "$port" \
    --data-dir "$WORK/data-$1" --threads 2 >"$WORK/serve-$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local token
  token=$(curl -fs -H 'Content-Type: application/json' \
    -d '{"account":"admin","password":"Twindraw@2026","client":"mobile"}' \
    "http://127.0.0.1:$port/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  # Two client threads with keep-alive connections (no process per request), timed inside.
  python3 - "$port" "$token" "$WORK/tiles.txt" <<'PY'
import http.client, sys, threading, time
port, token, listing = int(sys.argv[1]), sys.argv[2], sys.argv[3]
paths = ["/tiles/objects/" + line.strip() + ".png" for line in open(listing) if line.strip()]
failed = []
def worker(part):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for p in part:
        c.request("GET", p, headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        r.read()
        if r.status != 200:
            failed.append((p, r.status))
start = time.monotonic()
# Each thread takes whole metatiles in turn, so that the two never wait for the same render.
groups = {}
for p in paths:
    z, x, y = map(int, p[len("/tiles/objects/"):-4].split("/"))
    groups.setdefault((z, x // 8, y // 8), []).append(p)
ordered = list(groups.values())
parts = [sum(ordered[i::2], []) for i in range(2)]
threads = [threading.Thread(target=worker, args=(parts[i],)) for i in range(2)]
for t in threads: t.start()
for t in threads: t.join()
if failed:
    sys.exit(f"failed tiles: {failed[:3]}")
print(time.monotonic() - start)
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

T8=$(run 8)
T1=$(run 1)
python3 - "$TILES" "$T8" "$T1" <<'PY'
import sys
n, t8, t1 = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"metatile 8x8 : {n / t8:8.1f} tiles/s ({t8:.2f} s)")
print(f"single tiles : {n / t1:8.1f} tiles/s ({t1:.2f} s)")
print(f"ratio        : {t1 / t8:8.2f}x (goal >= 5x)")
PY
