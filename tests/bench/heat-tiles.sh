#!/usr/bin/env bash
# Heat tiles over 10,000,000 inspection points (issue 5 benchmark, STAT-3, GIS-2): the
# latency of a cold `heat` tile (its metatile rendered from the binned grid heat_cell)
# against a cold `objects` tile (its metatile rendered from the market subjects) of the
# same tiles, through `twindraw serve` with empty tile caches, one request at a time.
# Prints p50 and p99 of each and the ratios (goal: heat/objects <= 2).
#   pg_virtualenv -t -v 15 tests/bench/heat-tiles.sh build/twindraw [enterprises] [points] [samples]
# The points are inspections at the demo city's enterprises (an inspection takes place at
# the enterprise), years 2017-2026, units = the enterprise's district bureau, 30 % with
# problems, inserted into result_point in one statement: its statement-level trigger
# aggregates them into the grid once.
# 2026-12-01, shared 2-core box (other builds running), 100000 enterprises, 10 M points
# (772 s to load and aggregate, 15.7 M grid rows), 200 metatiles z10-z16:
# objects p50 151 ms p99 1901 ms; heat p50 168 ms p99 645 ms; ratio p50 1.12, p99 0.34.
set -euo pipefail
BIN=$(realpath "$1")
N=${2:-100000}
POINTS=${3:-10000000}
SAMPLES=${4:-200}
WORK=$(mktemp -d)
DB=twindraw_bench_heat_$$
trap 'kill $(jobs -p) 2>/dev/null || true; dropdb --if-exists "$DB" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
createdb "$DB"
"$BIN" --database "dbname=$DB" migrate >/dev/null
echo "==> demo city with $N enterprises"
"$BIN" --database "dbname=$DB" demo --enterprises "$N" --seed 7 >/dev/null
psql -qAt -d "$DB" -c "UPDATE app_user SET must_change_password = false WHERE account = 'admin'" >/dev/null

echo "==> $POINTS inspection points into result_point (and the grid)"
START=$(date +%s.%N)
psql -qAt -d "$DB" -v ON_ERROR_STOP=1 <<SQL
SET work_mem = '256MB';
CREATE TEMP TABLE s AS
  SELECT row_number() OVER (ORDER BY m.id) AS rn, m.geom,
         (SELECT a.id FROM authority a WHERE a.division_code = left(m.division_code, 6) AND a.kind = 'market_bureau'
           ORDER BY a.id LIMIT 1) AS unit
    FROM market_subject m WHERE m.geom IS NOT NULL;
ANALYZE s;
INSERT INTO result_point(geom, inspected_year, unit_id, problem)
SELECT s.geom, 2017 + (i % 10), s.unit, (hashint8(i) & 1023) < 307
  FROM generate_series(1, $POINTS) i
  JOIN s ON s.rn = 1 + (hashint8(i + 7919) & 2147483647) % (SELECT count(*) FROM s);
SQL
END=$(date +%s.%N)
psql -qAt -d "$DB" -c "VACUUM ANALYZE result_point" -c "VACUUM ANALYZE heat_cell" >/dev/null
psql -qAt -F ' ' -d "$DB" -c "SELECT (SELECT count(*) FROM result_point), (SELECT count(*) FROM heat_cell),
  pg_size_pretty(pg_total_relation_size('heat_cell'))" | {
  read -r P C S
  echo "    $P points, $C grid rows ($S), loaded and aggregated in $(python3 -c "print(round($END - $START, 1))") s"
}

# Sample tiles: the tile of a random enterprise at a random zoom 10..16, one per
# metatile (so every request is a cold metatile render), the same list for both layers.
psql -qAt -F ' ' -d "$DB" -c "SELECT ST_X(geom), ST_Y(geom) FROM market_subject WHERE geom IS NOT NULL
  ORDER BY hashint8(id) LIMIT $((SAMPLES * 3))" >"$WORK/places.txt"
python3 - "$SAMPLES" "$WORK/places.txt" >"$WORK/tiles.txt" <<'PY'
import math, sys, random
random.seed(11)
want = int(sys.argv[1])
seen, out = set(), []
for line in open(sys.argv[2]):
    lon, lat = map(float, line.split())
    z = random.randint(10, 16)
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
    key = (z, x // 8, y // 8)
    if key in seen:
        continue
    seen.add(key)
    out.append(f"{z}/{x}/{y}")
    if len(out) == want:
        break
print("\n".join(out))
PY
echo "==> $(wc -l <"$WORK/tiles.txt") cold tiles (distinct metatiles, z10-z16) per layer"

run() {  # $1: layer; prints one latency (ms) per line
  local port=$((20000 + RANDOM % 20000))
  "$BIN" --database "dbname=$DB" serve --address 127.0.0.1 --port "$port" \
    --data-dir "$WORK/data-$1" --threads 2 >"$WORK/serve-$1.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local token
  token=$(curl -fs -H 'Content-Type: application/json' \
    -d '{"account":"admin","password":"Twindraw@2026","client":"mobile"}' \
    "http://127.0.0.1:$port/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  python3 - "$port" "$token" "$1" "$WORK/tiles.txt" <<'PY'
import http.client, sys, time
port, token, layer, listing = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
def get(path):
    c.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{path}: {r.status}")
get(f"/tiles/{layer}/0/0/0.png")  # warm the connection, the session and the style
for line in open(listing):
    if not line.strip():
        continue
    t = time.monotonic()
    get(f"/tiles/{layer}/{line.strip()}.png")
    print((time.monotonic() - t) * 1000)
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run objects >"$WORK/objects.ms"
run heat >"$WORK/heat.ms"
python3 - "$WORK/objects.ms" "$WORK/heat.ms" <<'PY'
import sys
def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
o = [float(x) for x in open(sys.argv[1]) if x.strip()]
h = [float(x) for x in open(sys.argv[2]) if x.strip()]
print(f"objects cold tile: p50 {pct(o, 50):7.1f} ms  p99 {pct(o, 99):7.1f} ms  ({len(o)} tiles)")
print(f"heat    cold tile: p50 {pct(h, 50):7.1f} ms  p99 {pct(h, 99):7.1f} ms  ({len(h)} tiles)")
print(f"ratio heat/objects: p50 {pct(h, 50) / pct(o, 50):5.2f}  p99 {pct(h, 99) / pct(o, 99):5.2f}  (goal <= 2)")
PY
