#!/usr/bin/env bash
# Cold rendering of the `objects` layer, z12-z16, over the demo city's enterprises
# (issue 5 benchmark, GIS-2): 8x8 metatiles (one query, one Mapnik render, 64 tiles cut,
# encoded and stored per metatile) against one-tile-at-a-time rendering (one query and one
# render per tile, same 128 px buffer) of the same tiles: the tiles of whole metatiles
# covering one district's subjects, into an empty cache.
#   cmake --build build --target twindraw twindraw_bench_tiles
#   pg_virtualenv -t -v 15 tests/bench/tiles-metatile.sh build/twindraw [enterprises] [district]
# The measurement is build/twindraw_bench_tiles (tests/bench/bench-tiles.cpp): TileService
# in-process against the PostGIS database, no HTTP, 2 worker threads; it prints tiles/s
# (wall) and tiles per CPU-second (the process and its PostgreSQL backends: steadier on a
# shared box), the CPU time per phase and the ratio. HTTP=1 also runs the same tiles
# through `twindraw serve` with a Python keep-alive client (adds session, expiry check,
# read-back and HTTP per tile, the same in both modes). ROUNDS=n repeats (best is kept).
#
# 2026-12-01, shared 2-core box (load average 4-7 from other helpers' builds), best of 2
# rounds, in-process:
#   1,000,000 enterprises, 渝中区 (23,163 subjects), 1,664 tiles (26 metatiles):
#     8x8 82.7 tiles/s, 1x1 35.6 tiles/s: ratio 2.32x (per CPU-second 86.7 vs 38.8: 2.24x)
#     thread CPU s, 8x8 vs 1x1: render 13.1 vs 24.2 (1.34 M vs 4.15 M points queried),
#     cut+encode 2.9 vs 3.8, store 0.3 vs 0.8, query 0.8 vs 2.7, PostgreSQL ~2 vs ~11
#   100,000 enterprises (2,432 subjects), 1,408 tiles: 500.9 vs 256.1 tiles/s, 1.96x
#   through HTTP (HTTP=1), 1,000,000: 21.6 vs 11.5 tiles/s, 1.88x (box busier then)
# The issue's goal of 5x is not reached.
# Why not 5x: Mapnik's MarkersSymbolizer costs ~8-11 us per point whether the marker is
# drawn or only falls in the buffer, and every point is drawn once in each tile that shows
# it in both modes; at z12-z13 a metatile holds ~10^5-10^6 points, so rendering is per
# point, not per tile. Metatiles save the query per tile, the buffer overlap (a 128 px
# buffer is 4x a tile's area, 1.27x a metatile's) and 63 of 64 palette computations; the
# PNG encoding and the writing of 64 tiles remain per tile in both modes.
set -euo pipefail
. "$(dirname "$0")/lib/serve-port.sh"
BIN=$(realpath "$1")
BENCH=$(dirname "$BIN")/twindraw_bench_tiles
[ -x "$BENCH" ] || { echo "build it first: cmake --build $(dirname "$BIN") --target twindraw_bench_tiles" >&2; exit 2; }
N=${2:-1000000}
DISTRICT=${3:-500103}   # the area fetched: the extent of this district's subjects
WORK=$(mktemp -d)
DB=twindraw_bench_tiles_$$
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
createdb "$DB"
"$BIN" --database "dbname=$DB" migrate >/dev/null
echo "==> demo city with $N enterprises"
"$BIN" --database "dbname=$DB" demo --enterprises "$N" --seed 7 >/dev/null
psql -qAt -d "$DB" -c "VACUUM ANALYZE market_subject" >/dev/null
echo "==> in-process: $BENCH"
"$BENCH" --database "dbname=$DB" --district "$DISTRICT" --rounds "${ROUNDS:-1}"
[ "${HTTP:-0}" = 1 ] || exit 0
echo "==> through HTTP (twindraw serve, Python keep-alive client, 2 threads)"
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
  TWINDRAW_TILE_METATILE=$1 "$BIN" --database "dbname=$DB" serve --address 127.0.0.1 --port 0 \
    --data-dir "$WORK/data-$1" --threads 2 >"$WORK/serve-$1.log" 2>&1 &
  local pid=$!
  local port
  port=$(serve_port "$WORK/serve-$1.log")
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
