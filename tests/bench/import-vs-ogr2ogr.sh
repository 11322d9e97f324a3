#!/bin/bash
# Batch import benchmark (BASE-1): `twindraw import objects` against
# `ogr2ogr -f PostgreSQL --config PG_USE_COPY YES` on the same CSV and database.
# ogr2ogr only copies the file into a scratch table; twindraw also validates every
# row (USCC check digit, division, coordinates in China), rejects in-file duplicates
# and upserts by USCC, so a ratio above 1 is expected. Not part of CI; run by hand:
#
#   pg_virtualenv -t tests/bench/import-vs-ogr2ogr.sh build/twindraw [rows]
#
# Prints both wall times, the ratio twindraw/ogr2ogr and twindraw's peak RSS.
set -euo pipefail

BIN=${1:?usage: $0 /path/to/twindraw [rows]}
ROWS=${2:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/twindraw-bench-XXXXXX)
DB=twindraw_bench_$$
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

createdb "$DB"
"$BIN" --database "dbname=$DB" migrate >/dev/null
psql -q -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
INSERT INTO division(code, name, level, parent_code) VALUES ('500000', '重庆市', 1, NULL) ON CONFLICT DO NOTHING;
INSERT INTO division(code, name, level, parent_code) VALUES
  ('500103', '渝中区', 3, '500000'), ('500104', '大渡口区', 3, '500000'), ('500105', '江北区', 3, '500000'),
  ('500106', '沙坪坝区', 3, '500000'), ('500107', '九龙坡区', 3, '500000'), ('500108', '南岸区', 3, '500000'),
  ('500112', '渝北区', 3, '500000') ON CONFLICT DO NOTHING;
SQL

CSV=$WORK/subjects.csv
echo "generating $ROWS rows ..."
python3 "$HERE/gen-subjects.py" "$ROWS" > "$CSV"
echo "file: $(du -h "$CSV" | cut -f1)"

elapsed() {  # seconds from /usr/bin/time -v output
    awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$1"
}

/usr/bin/time -v -o "$WORK/ogr.time" \
    ogr2ogr -f PostgreSQL "PG:dbname=$DB" "$CSV" -nln ogr_scratch -lco GEOMETRY_NAME=geom \
    -oo AUTODETECT_TYPE=NO -oo X_POSSIBLE_NAMES=经度 -oo Y_POSSIBLE_NAMES=纬度 -a_srs EPSG:4326 \
    --config PG_USE_COPY YES
/usr/bin/time -v -o "$WORK/td.time" "$BIN" --database "dbname=$DB" import objects "$CSV" > "$WORK/td.out"

OGR_S=$(elapsed "$WORK/ogr.time")
TD_S=$(elapsed "$WORK/td.time")
TD_RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/td.time")
OGR_ROWS=$(psql -Atq -d "$DB" -c "SELECT count(*) FROM ogr_scratch")
TD_ROWS=$(psql -Atq -d "$DB" -c "SELECT count(*) FROM market_subject")

echo "ogr2ogr:  ${OGR_S} s, ${OGR_ROWS} rows"
echo "twindraw: ${TD_S} s, ${TD_ROWS} rows, peak RSS $((TD_RSS / 1024)) MB"
awk -v a="$TD_S" -v b="$OGR_S" 'BEGIN { printf "ratio twindraw/ogr2ogr: %.2f\n", a / b }'
if [ "$TD_ROWS" != "$ROWS" ] || [ "$OGR_ROWS" != "$ROWS" ]; then
    echo "row counts differ from $ROWS" >&2
    cat "$WORK/td.out" >&2
    exit 1
fi
