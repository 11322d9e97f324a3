#!/bin/bash
# Draw benchmark (DRAW-1..3, VERIFY-1, issue 12 §3): TwinDraw's whole draw — the commitment
# (population freeze with the "inspected this year" rule, canonical digest, quotas, H(E),
# the public log entry) and the witness step (W entered, seed, keys, k smallest per
# stratum, the result stored, the reveal logged) — against the naive `ORDER BY random() LIMIT k` per
# stratum in SQL on the same database and the same population — which is not
# reproducible. 12 strata (risk 1..3 × credit A..D), 1 % each, after 2 % of the
# population was drawn and confirmed earlier this year. Also times `draw verify` of the
# exported record. Not part of CI; run by hand:
#
#   pg_virtualenv -t tests/bench/draw-vs-random.sh build/twindraw [population]
#
# Prints N, both wall times, the ratio twindraw/naive (goal ≤ 0.5) and the verify time;
# the draw's own phases (population query, digest, insert, keys …) go to stderr
# (TWINDRAW_DRAW_PHASES).
set -euo pipefail

BIN=${1:?usage: $0 /path/to/twindraw [population]}
N=${2:-10000000}
WORK=$(mktemp -d /tmp/twindraw-drawbench-XXXXXX)
DB=twindraw_drawbench_$$
cleanup() {
    dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }

createdb "$DB"
"$BIN" --database "dbname=$DB" migrate >/dev/null
echo "N = $N market subjects"
psql -q -v ON_ERROR_STOP=1 -d "$DB" -v n="$N" <<'SQL'
INSERT INTO division(code, name, level, parent_code) VALUES ('500000', '重庆市', 1, NULL), ('500103', '渝中区', 3, '500000');
ALTER TABLE market_subject DISABLE TRIGGER audit_capture_insert;
INSERT INTO market_subject(id, uscc, name, division_code, risk_level, credit_level)
SELECT i, lpad(i::text, 18, '0'), '企业' || i, '500103', 1 + (i % 4), substr('ABCD', (1 + (i / 4) % 4)::int, 1)
  FROM generate_series(1, :n) i;
ALTER TABLE market_subject ENABLE TRIGGER audit_capture_insert;
ANALYZE market_subject;
-- The drawer and the 监督人员 (another person) of the draws below.
INSERT INTO app_user(id, account, name, password_hash, must_change_password) VALUES
  (1, 'bench_drawer', '抽取人', '-', false), (2, 'bench_witness', '监督人员', '-', false);
SQL

strata() {  # $1 = ratio in percent
    local s="" r c
    for r in 1 2 3; do for c in A B C D; do
        s="$s${s:+,}{\"risk\":$r,\"credit\":\"$c\",\"ratio\":$1}"
    done; done
    echo "$s"
}
# Earlier this year: 2 % drawn and confirmed (then closed), so the rule has work to do.
echo "{\"title\":\"earlier\",\"strata\":[$(strata 2)],\"groups\":1,\"per_group\":0}" > "$WORK/earlier.json"
"$BIN" --database "dbname=$DB" draw run --user 1 "$WORK/earlier.json" >/dev/null
"$BIN" --database "dbname=$DB" draw witness --user 2 1 0123456789abcdef >/dev/null
# Confirmed and closed by hand: its drawn objects (written by a confirmation) from its result.
psql -q -v ON_ERROR_STOP=1 -d "$DB" \
     -c "UPDATE draw SET status = 'confirmed', confirmed_by = 1, confirmed_at = now() WHERE id = 1" \
     -c "INSERT INTO draw_object(draw_id, object_kind, object_id, stratum, group_no, open)
         SELECT 1, 'market_subject', x::bigint, s.key, 1, false
           FROM draw d, jsonb_each(d.result->'selected') s, jsonb_array_elements_text(s.value) x WHERE d.id = 1" \
     -c "ANALYZE draw_object"

echo "{\"title\":\"bench\",\"strata\":[$(strata 1)],\"groups\":10,\"per_group\":0}" > "$WORK/bench.json"
T0=$(now)
OUT=$(TWINDRAW_DRAW_PHASES=1 "$BIN" --database "dbname=$DB" draw run --user 1 "$WORK/bench.json")
TC=$(now)
ID=$(echo "$OUT" | sed -n 's/.*编号 \([0-9]*\).*/\1/p')
OUT2=$(TWINDRAW_DRAW_PHASES=1 "$BIN" --database "dbname=$DB" draw witness --user 2 "$ID" fedcba98765432100123456789abcdef)
T1=$(now)
echo "twindraw: $OUT"
echo "twindraw: $OUT2"

# The naive way, same population, same rule, one transaction, results kept in a table.
T2=$(now)
psql -q -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
BEGIN;
CREATE TABLE naive_pick (stratum text, id bigint);
DO $$
DECLARE r int; c text; k bigint;
BEGIN
  FOR r IN 1..3 LOOP FOREACH c IN ARRAY ARRAY['A','B','C','D'] LOOP
    SELECT ceil(count(*) * 0.01) INTO k FROM market_subject o
     WHERE o.risk_level = r AND o.credit_level = c
       AND NOT EXISTS (SELECT 1 FROM draw_object d JOIN draw x ON x.id = d.draw_id
                        WHERE d.object_kind = 'market_subject' AND d.object_id = o.id AND x.status = 'confirmed'
                          AND x.confirmed_at >= date_trunc('year', now()));
    INSERT INTO naive_pick
    SELECT 'R' || r || 'C' || c, o.id FROM market_subject o
     WHERE o.risk_level = r AND o.credit_level = c
       AND NOT EXISTS (SELECT 1 FROM draw_object d JOIN draw x ON x.id = d.draw_id
                        WHERE d.object_kind = 'market_subject' AND d.object_id = o.id AND x.status = 'confirmed'
                          AND x.confirmed_at >= date_trunc('year', now()))
     ORDER BY random() LIMIT k;
  END LOOP; END LOOP;
END $$;
COMMIT;
SQL
T3=$(now)
NAIVE=$(psql -Atq -d "$DB" -c "SELECT count(*) FROM naive_pick")
OURS=$(psql -Atq -d "$DB" -c "SELECT sum(jsonb_array_length(value)) FROM draw, jsonb_each(result->'selected') WHERE id = $ID")

"$BIN" --database "dbname=$DB" draw export "$ID" > "$WORK/record.json"
T4=$(now)
"$BIN" draw verify "$WORK/record.json" >/dev/null
T5=$(now)

awk -v a="$T0" -v m="$TC" -v b="$T1" -v c="$T2" -v d="$T3" -v e="$T4" -v f="$T5" -v n="$N" -v o="$OURS" -v v="$NAIVE" \
    -v size="$(du -h "$WORK/record.json" | cut -f1)" 'BEGIN {
    printf "population N = %d, 12 strata, 1 %%: twindraw drew %d, naive drew %d\n", n, o, v
    printf "twindraw whole draw: %.2f s (commit %.2f s, witness and reveal %.2f s)\n", b - a, m - a, b - m
    printf "naive ORDER BY random(): %.2f s\n", d - c
    printf "ratio twindraw/naive: %.2f (goal <= 0.5)\n", (b - a) / (d - c)
    printf "draw verify of the record (%s): %.2f s\n", size, f - e
}'
[ "$OURS" = "$NAIVE" ] || { echo "the two ways drew different counts" >&2; exit 1; }
