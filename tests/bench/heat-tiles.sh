#!/usr/bin/env bash
# Heat tiles over 10,000,000 inspection points (issue 5 benchmark, STAT-3, GIS-2): the
# latency of a cold `heat` tile (its metatile rendered from the binned grid heat_cell)
# against a cold `objects` tile (its metatile rendered from the market subjects) of the
# same tiles, through `twindraw serve` with empty tile caches, one request at a time; the
# same for heat tiles filtered by result category (01, the most common, and 07) and by a
# task, and for a district-scoped viewer (yz_admin) filtering category 01.
# Prints p50 and p99 of each, the ratios (goal: heat/objects <= 2) and medians per zoom.
#   pg_virtualenv -t -v 15 tests/bench/heat-tiles.sh build/twindraw [enterprises] [points] [samples]
# The points are inspections at the demo city's enterprises (an inspection takes place at
# the enterprise), years 2017-2026, units = the enterprise's district bureau, a result
# category of check_result in a plausible mix (30 % with problems), the task of the year
# and unit (380 tasks with their plans), inserted into result_point in one statement: its
# statement-level triggers aggregate them into the grids once.
# 2026-12-01, shared 2-core Xeon box, PostgreSQL 15, 100000 enterprises, 10 M points, 200
# metatiles z10-z16, p50 / p99 (ratio to objects):
# - main's code (category filters count points), quieter of two runs: load 536 s (15.7 M
#   grid rows); objects 36 / 474 ms; heat 52 / 155 (1.46 / 0.33); category=01 89 / 768
#   (2.47 / 1.62: over the goal, z10 median 702 ms); category=07 48 / 149 (1.33 / 0.31);
#   task 12 / 93 (0.33 / 0.20). The run under load: category=01 93 / 1054 against objects
#   78 / 921 (1.19 / 1.15).
# - with the per-category grid (migration 0032, zooms <= 14, scope all): load 821 s (+24.9 M
#   rows, 3.2 GB); objects 46 / 554 ms; heat 60 / 189 (1.30 / 0.34); category=01 80 / 244
#   (1.74 / 0.44, z10 median 134 ms); category=07 51 / 163 (1.12 / 0.29); task 11 / 106
#   (0.24 / 0.19). yz_admin (scope district, still counting points): category=01 139 / 862
#   ms against its own objects tile 17 / 52 ms (8.2 / 16.6; 3.04 / 1.56 against admin's).
#   A second, quieter run: load 783 s; objects 35 / 566 ms; heat 55 / 162 (1.58 / 0.29);
#   category=01 68 / 181 (1.96 / 0.32: z15-16 still count points, 65 / 50 ms medians);
#   category=07 50 / 148 (1.43 / 0.26); task 10 / 101 (0.30 / 0.18); yz_admin category=01
#   88 / 775 against 16 / 52 (5.7 / 15.0).
set -euo pipefail
. "$(dirname "$0")/lib/serve-port.sh"
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
psql -qAt -d "$DB" -c "UPDATE app_user SET must_change_password = false WHERE account IN ('admin', 'yz_admin')" >/dev/null

echo "==> annual plans and tasks: one task per district bureau and year 2017-2026"
psql -qAt -d "$DB" -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
CREATE TABLE bench_unit AS
  SELECT DISTINCT ON (left(m.division_code, 6)) a.id AS unit
    FROM market_subject m JOIN authority a ON a.division_code = left(m.division_code, 6) AND a.kind = 'market_bureau'
   WHERE m.geom IS NOT NULL ORDER BY left(m.division_code, 6), a.id;
INSERT INTO annual_plan(year, name, plan_type, initiating_authority_id, object_scope, start_date, end_date, state,
                        target_unit_ids)
SELECT y, y || ' 年度双随机抽查计划（基准）', 'single', u.unit, '辖区内市场主体', make_date(y, 1, 1), make_date(y, 12, 31),
       'distributed', ARRAY[u.unit]
  FROM generate_series(2017, 2026) y, bench_unit u;
CREATE TABLE bench_task(year int, unit bigint, k int, id bigint);
WITH t AS (
  INSERT INTO inspection_task(plan_id, name, task_type, initiating_authority_id, start_date, end_date, state)
  SELECT p.id, p.year || ' 年度抽查任务（基准）', 'single', p.initiating_authority_id, make_date(p.year, 3, 1),
         make_date(p.year, 11, 30), 'approved'
    FROM annual_plan p
  RETURNING id, initiating_authority_id, start_date)
INSERT INTO bench_task SELECT extract(year FROM start_date)::int, initiating_authority_id, 1, id FROM t;
INSERT INTO task_unit(task_id, authority_id, unit_role, state) SELECT id, unit, 'initiating', 'received' FROM bench_task;
SQL
psql -qAt -d "$DB" -c "SELECT count(*) FROM bench_task" | sed 's/^/    tasks: /'

echo "==> $POINTS inspection points into result_point (and the grid)"
START=$(date +%s.%N)
# Result categories of the dictionary check_result (seed 002) in a plausible mix: 65 % 01
# 未发现问题, 5 % 02, 8 % 03, 1 % 04, 9 % 05, 5 % 06, 4 % 07, 2 % 08, 0.5 % 09, 0.5 % 10;
# problem = result_has_problem(category) (30 %, as before). Task: the task of the point's
# year and unit (380 tasks in the demo city's 38 district bureaus).
psql -qAt -d "$DB" -v ON_ERROR_STOP=1 <<SQL
SET work_mem = '256MB';
CREATE TEMP TABLE s AS
  SELECT row_number() OVER (ORDER BY m.id) AS rn, m.geom,
         (SELECT a.id FROM authority a WHERE a.division_code = left(m.division_code, 6) AND a.kind = 'market_bureau'
           ORDER BY a.id LIMIT 1) AS unit
    FROM market_subject m WHERE m.geom IS NOT NULL;
ANALYZE s;
INSERT INTO result_point(geom, inspected_year, unit_id, task_id, category, problem)
SELECT g.geom, g.year, g.unit, t.id, g.category, result_has_problem(g.category, NULL)
  FROM (SELECT s.geom, (2017 + (i % 10))::smallint AS year, s.unit, 1 AS k,
               CASE WHEN h < 666 THEN '01' WHEN h < 717 THEN '02' WHEN h < 799 THEN '03' WHEN h < 809 THEN '04'
                    WHEN h < 901 THEN '05' WHEN h < 952 THEN '06' WHEN h < 993 THEN '07' WHEN h < 1013 THEN '08'
                    WHEN h < 1018 THEN '09' ELSE '10' END AS category
          FROM generate_series(1, $POINTS) i
          CROSS JOIN LATERAL (SELECT hashint8(i) & 1023 AS h) r
          JOIN s ON s.rn = 1 + (hashint8(i + 7919) & 2147483647) % (SELECT count(*) FROM s)) g
  LEFT JOIN bench_task t ON t.year = g.year AND t.unit = g.unit AND t.k = g.k;
SQL
END=$(date +%s.%N)
psql -qAt -d "$DB" -c "VACUUM ANALYZE result_point" -c "VACUUM ANALYZE heat_cell" >/dev/null
psql -qAt -F ' ' -d "$DB" -c "SELECT (SELECT count(*) FROM result_point), (SELECT count(*) FROM heat_cell),
  pg_size_pretty(pg_total_relation_size('heat_cell'))" | {
  read -r P C S
  echo "    $P points, $C grid rows ($S), loaded and aggregated in $(python3 -c "print(round($END - $START, 1))") s"
}
if [ "$(psql -qAt -d "$DB" -c "SELECT to_regclass('heat_category_cell') IS NOT NULL")" = t ]; then
  psql -qAt -d "$DB" -c "VACUUM ANALYZE heat_category_cell" >/dev/null
  psql -qAt -F ' ' -d "$DB" -c "SELECT count(*), pg_size_pretty(pg_total_relation_size('heat_category_cell'))
    FROM heat_category_cell" | {
    read -r C S
    echo "    per-category grid (levels 0-$(psql -qAt -d "$DB" -c "SELECT heat_category_max_level()")): $C rows ($S)"
  }
fi

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

# The filtered heat tiles: the most common category (01, the worst case: 65 % of the
# points), a problem category (07, 4 %) and the task with the most points.
TASK=$(psql -qAt -d "$DB" -c "SELECT task_id FROM result_point WHERE task_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
psql -qAt -F ' ' -d "$DB" -c "SELECT (SELECT count(*) FROM result_point WHERE category = '01'),
  (SELECT count(*) FROM result_point WHERE category = '07'), (SELECT count(*) FROM result_point WHERE task_id = $TASK)" | {
  read -r C1 C7 CT
  echo "    filters: category=01 ($C1 points), category=07 ($C7 points), task=$TASK ($CT points)"
}

run() {  # $1: name, $2: layer, $3: query string, $4: account (admin); prints one latency (ms) per line
  "$BIN" --database "dbname=$DB" serve --address 127.0.0.1 --port 0 \
    --data-dir "$WORK/data-$1" --threads 2 >"$WORK/serve-$1.log" 2>&1 &
  local pid=$!
  local port
  port=$(serve_port "$WORK/serve-$1.log")
  local token
  token=$(curl -fs -H 'Content-Type: application/json' \
    -d '{"account":"'"${4:-admin}"'","password":"Twindraw@2026","client":"mobile"}' \
    "http://127.0.0.1:$port/api/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  python3 - "$port" "$token" "$2" "$3" "$WORK/tiles.txt" <<'PY'
import http.client, sys, time
port, token, layer, query, listing = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
def get(path):
    c.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{path}: {r.status}")
get(f"/tiles/{layer}/0/0/0.png{query}")  # warm the connection, the session and the style
for line in open(listing):
    if not line.strip():
        continue
    t = time.monotonic()
    get(f"/tiles/{layer}/{line.strip()}.png{query}")
    print((time.monotonic() - t) * 1000)
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run objects objects "" >"$WORK/objects.ms"
run heat heat "" >"$WORK/heat.ms"
run heat-c01 heat "?category=01" >"$WORK/heat-c01.ms"
run heat-c07 heat "?category=07" >"$WORK/heat-c07.ms"
run heat-task heat "?task=$TASK" >"$WORK/heat-task.ms"
# A viewer with a narrower scope: yz_admin (渝中区 district administrator, scope
# 'district'); result_point's row-level security filters the points the index finds.
run yz-objects objects "" yz_admin >"$WORK/yz-objects.ms"
run yz-heat-c01 heat "?category=01" yz_admin >"$WORK/yz-heat-c01.ms"
python3 - "$WORK" "$TASK" <<'PY'
import sys
def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
def load(name):
    return [float(x) for x in open(f"{sys.argv[1]}/{name}.ms") if x.strip()]
o = load("objects")
print(f"objects cold tile:           p50 {pct(o, 50):7.1f} ms  p99 {pct(o, 99):7.1f} ms  ({len(o)} tiles)")
for name, label in (("heat", "heat"), ("heat-c01", "heat category=01"), ("heat-c07", "heat category=07"),
                    ("heat-task", f"heat task={sys.argv[2]}")):
    h = load(name)
    print(f"{label + ' cold tile:':28} p50 {pct(h, 50):7.1f} ms  p99 {pct(h, 99):7.1f} ms  ({len(h)} tiles)"
          f"  ratio to objects: p50 {pct(h, 50) / pct(o, 50):5.2f}  p99 {pct(h, 99) / pct(o, 99):5.2f}  (goal <= 2)")
yo, yh = load("yz-objects"), load("yz-heat-c01")
print(f"{'yz_admin objects cold tile:':28} p50 {pct(yo, 50):7.1f} ms  p99 {pct(yo, 99):7.1f} ms  ({len(yo)} tiles)")
print(f"{'yz_admin heat category=01:':28} p50 {pct(yh, 50):7.1f} ms  p99 {pct(yh, 99):7.1f} ms  ({len(yh)} tiles)"
      f"  ratio to admin's objects: p50 {pct(yh, 50) / pct(o, 50):5.2f}  p99 {pct(yh, 99) / pct(o, 99):5.2f};"
      f" to yz_admin's: p50 {pct(yh, 50) / pct(yo, 50):5.2f}  p99 {pct(yh, 99) / pct(yo, 99):5.2f}")
zooms = [int(line.split("/")[0]) for line in open(f"{sys.argv[1]}/tiles.txt") if line.strip()]
print("median per zoom (ms):  zoom " + " ".join(f"{z:>7}" for z in range(10, 17)))
for name in ("objects", "heat", "heat-c01", "heat-c07", "heat-task", "yz-objects", "yz-heat-c01"):
    v = load(name)
    cols = [pct([t for t, zz in zip(v, zooms) if zz == z] or [0], 50) for z in range(10, 17)]
    print(f"  {name:>24} " + " ".join(f"{c:7.1f}" for c in cols))
PY
