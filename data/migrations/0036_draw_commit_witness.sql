-- Draws that no insider can steer (issue 12 §3; DRAW-3..11, VERIFY-1, AUDIT-1).
--
-- A draw is no longer made and shown in one step. POST /api/draws freezes the
-- population and writes a commitment into the public draw log: the population digest,
-- the parameters and H(E) of the server's entropy E, before any randomness is known
-- (status committed). The supervising person (监督人员), another account holding
-- draw.witness, then enters a witness value W; when the bureau requires a public beacon
-- the drawer enters it after that (status witnessed until then). Only then is the seed
-- SHA-256(digest ‖ E ‖ H(W) [‖ H(beacon)]) computed and the result made (revealed).
-- The drawer or the named co-drawer confirms it with their draw password. An attempt is
-- given up only by a request with a reason that another person (draw.change.approve)
-- approves (abandoned); its selection is never shown. docs/draw-algorithm.md has the
-- format twindraw-draw/2; format-1 records keep verifying.
--
-- Only a confirmed draw holds objects out of other draws: draw_object and draw_inspector
-- rows are now written by the confirmation, so the in_open_draw rule (open rows of
-- draw_object) sees nothing of a committed, witnessed or revealed attempt, and the
-- unique index draw_object_open_idx refuses to confirm an attempt that drew an object a
-- confirmed draw holds since. Old drafts (format 1) release their objects here; they can
-- only be abandoned.

ALTER TABLE draw DROP CONSTRAINT draw_status_check;
ALTER TABLE draw ADD CONSTRAINT draw_status_check
  CHECK (status IN ('draft', 'confirmed', 'discarded', 'committed', 'witnessed', 'revealed', 'abandoned'));
ALTER TABLE draw
  ALTER COLUMN seed DROP NOT NULL,
  ALTER COLUMN result DROP NOT NULL,
  ALTER COLUMN inspector_pools DROP NOT NULL,
  ALTER COLUMN inspector_digest DROP NOT NULL,
  ADD COLUMN format               smallint NOT NULL DEFAULT 1 CHECK (format IN (1, 2)),
  ADD COLUMN entropy_commitment   bytea CHECK (octet_length(entropy_commitment) = 32),
  ADD COLUMN co_drawer_id         bigint REFERENCES app_user(id),
  ADD COLUMN require_beacon       boolean NOT NULL DEFAULT false,
  ADD COLUMN witness              text CHECK (witness ~ '^[0-9a-f]{16,64}$'),
  ADD COLUMN witness_hash         bytea CHECK (octet_length(witness_hash) = 32),
  ADD COLUMN witnessed_by         bigint REFERENCES app_user(id),
  ADD COLUMN witnessed_at         timestamptz,
  ADD COLUMN beacon               text CHECK (length(beacon) BETWEEN 1 AND 200),
  ADD COLUMN revealed_at          timestamptz,
  ADD COLUMN abandon_reason       text CHECK (length(abandon_reason) BETWEEN 1 AND 500),
  ADD COLUMN abandon_requested_by bigint REFERENCES app_user(id),
  ADD COLUMN abandon_requested_at timestamptz,
  ADD COLUMN abandon_decided_by   bigint REFERENCES app_user(id),
  ADD COLUMN abandoned_at         timestamptz,
  ADD COLUMN log_commit_seq       bigint,
  ADD CONSTRAINT draw_format2_commitment CHECK (format = 1 OR entropy_commitment IS NOT NULL),
  ADD CONSTRAINT draw_result_when_revealed
    CHECK (status IN ('committed', 'witnessed', 'abandoned') OR (seed IS NOT NULL AND result IS NOT NULL)),
  ADD CONSTRAINT draw_abandoned_at CHECK ((status = 'abandoned') = (abandoned_at IS NOT NULL)),
  ADD CONSTRAINT draw_witness_not_drawer CHECK (witnessed_by IS NULL OR witnessed_by IS DISTINCT FROM drawn_by);

-- Old drafts hold nothing any more (they cannot be confirmed: they were never witnessed).
UPDATE draw_object o SET open = false FROM draw d WHERE d.id = o.draw_id AND d.status = 'draft' AND o.open;

-- The guards of 0009, for the new states. The inputs frozen by the commitment can never
-- change: a column-list trigger refuses any UPDATE naming them, without comparing the
-- (possibly ten-million-element) candidate array. The result columns go from NULL to a
-- value once. Status moves only along the table below.
DROP TRIGGER draw_guard ON draw;
CREATE OR REPLACE FUNCTION draw_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'draw % cannot be deleted', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.status IN ('discarded', 'abandoned') THEN
    RAISE EXCEPTION '% draw % cannot change', OLD.status, OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (OLD.status, NEW.status) IN (
       ('draft', 'confirmed'), ('draft', 'discarded'), ('draft', 'abandoned'),
       ('committed', 'witnessed'), ('committed', 'revealed'), ('committed', 'abandoned'),
       ('witnessed', 'revealed'), ('witnessed', 'abandoned'),
       ('revealed', 'confirmed'), ('revealed', 'abandoned')) THEN
    RAISE EXCEPTION 'draw % cannot go from % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF (OLD.seed IS NOT NULL AND NEW.seed IS DISTINCT FROM OLD.seed)
     OR (OLD.result IS NOT NULL AND NEW.result IS DISTINCT FROM OLD.result)
     OR (OLD.inspector_pools IS NOT NULL AND NEW.inspector_pools IS DISTINCT FROM OLD.inspector_pools)
     OR (OLD.inspector_digest IS NOT NULL AND NEW.inspector_digest IS DISTINCT FROM OLD.inspector_digest)
     OR (OLD.offices IS NOT NULL AND NEW.offices IS DISTINCT FROM OLD.offices)
     OR (OLD.witness IS NOT NULL AND NEW.witness IS DISTINCT FROM OLD.witness)
     OR (OLD.witness_hash IS NOT NULL AND NEW.witness_hash IS DISTINCT FROM OLD.witness_hash)
     OR (OLD.witnessed_by IS NOT NULL AND NEW.witnessed_by IS DISTINCT FROM OLD.witnessed_by)
     OR (OLD.witnessed_at IS NOT NULL AND NEW.witnessed_at IS DISTINCT FROM OLD.witnessed_at)
     OR (OLD.beacon IS NOT NULL AND NEW.beacon IS DISTINCT FROM OLD.beacon)
     OR (OLD.revealed_at IS NOT NULL AND NEW.revealed_at IS DISTINCT FROM OLD.revealed_at)
     OR (OLD.confirmed_at IS NOT NULL AND NEW.confirmed_at IS DISTINCT FROM OLD.confirmed_at)
     OR (OLD.confirmed_by IS NOT NULL AND NEW.confirmed_by IS DISTINCT FROM OLD.confirmed_by)
     OR (OLD.closed_at IS NOT NULL AND NEW.closed_at IS DISTINCT FROM OLD.closed_at) THEN
    RAISE EXCEPTION 'the result of draw % cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.status = 'confirmed' AND (NEW.abandon_reason IS DISTINCT FROM OLD.abandon_reason
                                   OR NEW.abandon_requested_by IS DISTINCT FROM OLD.abandon_requested_by) THEN
    RAISE EXCEPTION 'confirmed draw % cannot be abandoned', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER draw_guard BEFORE UPDATE OR DELETE ON draw FOR EACH ROW EXECUTE FUNCTION draw_guard();

CREATE FUNCTION draw_frozen_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the inputs of draw % cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER draw_frozen_guard BEFORE UPDATE OF id, task_id, title, object_kind, item_id, importance, cap_bp,
  params, population_query, rules, strata, candidate_ids, object_digest, entropy, entropy_commitment, groups,
  per_group, drawn_by, drawn_unit_id, drawn_at, format, co_drawer_id, require_beacon, log_commit_seq
  ON draw FOR EACH ROW EXECUTE FUNCTION draw_frozen_guard();

-- The public draw log (AUDIT-1, DRAW-10): every commitment, witness, reveal,
-- confirmation and abandonment, append-only and hash-chained. row_hash =
-- SHA-256(prev_hash ‖ UTF-8 of seq "\n" at_utc "\n" kind "\n" draw_id "\n" body), prev_hash
-- of the first row 32 zero bytes; body is canonical JSON (keys sorted, no blanks) written
-- by the server. The trigger numbers and chains the rows under one lock, so seq has no
-- gaps and follows commit order. docs/draw-algorithm.md §9 says how to recompute it.
-- no-rls: draw_log public append-only log, read by everyone
CREATE TABLE draw_log (
  seq       bigint PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  at_utc    text NOT NULL,
  kind      text NOT NULL CHECK (kind IN ('commit', 'witness', 'reveal', 'confirm', 'abandon_request',
                                          'abandon_refuse', 'abandon')),
  draw_id   bigint NOT NULL REFERENCES draw(id) DEFERRABLE INITIALLY DEFERRED,  -- the commit entry precedes its row
  body      text NOT NULL CHECK (length(body) <= 20000),
  prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
  row_hash  bytea NOT NULL CHECK (octet_length(row_hash) = 32)
);
CREATE INDEX draw_log_draw_idx ON draw_log(draw_id);

CREATE FUNCTION draw_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last record;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('twindraw.draw_log'));
  SELECT seq, row_hash INTO last FROM draw_log ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(last.seq, 0) + 1;
  NEW.prev_hash := coalesce(last.row_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
  NEW.at := now();
  NEW.at_utc := to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
  NEW.row_hash := sha256(NEW.prev_hash || convert_to(NEW.seq::text || E'\n' || NEW.at_utc || E'\n' || NEW.kind ||
                                                     E'\n' || NEW.draw_id::text || E'\n' || NEW.body, 'UTF8'));
  RETURN NEW;
END $$;
CREATE TRIGGER draw_log_chain BEFORE INSERT ON draw_log FOR EACH ROW EXECUTE FUNCTION draw_log_chain();

CREATE FUNCTION draw_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the public draw log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER draw_log_guard BEFORE UPDATE OR DELETE ON draw_log FOR EACH ROW EXECUTE FUNCTION draw_log_guard();
-- TRUNCATE of an empty log loses nothing: allowed, so that `twindraw demo --replace` (its
-- TRUNCATE … CASCADE reaches the log through draw) still works on a database that never
-- drew; once an entry exists the log refuses TRUNCATE as it refuses UPDATE and DELETE.
CREATE FUNCTION draw_log_truncate_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM draw_log) THEN
    RAISE EXCEPTION 'the public draw log is append-only' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER draw_log_no_truncate BEFORE TRUNCATE ON draw_log FOR EACH STATEMENT EXECUTE FUNCTION draw_log_truncate_guard();

-- Where the draw's time went (issue 12 §3, benchmark): the audit capture of 0010 turned
-- the whole row into jsonb and only then dropped the ignored columns, so every INSERT or
-- UPDATE of a draw converted its candidate list (ten million ids at 10 M) to jsonb, and
-- an UPDATE did it twice (old and new row). Ignored columns are now left out of the
-- select list before the conversion; the audited content is the same.
CREATE FUNCTION audit_row_columns_except(tbl regclass, skip text[]) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(CASE WHEN a.atttypid = to_regtype('geometry')
                         THEN format('ST_AsGeoJSON(x.%1$I)::jsonb AS %1$I', a.attname)
                         ELSE format('x.%I', a.attname) END, ', ' ORDER BY a.attnum)
    FROM pg_attribute a
   WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND NOT (a.attname = ANY (skip))
$$;

CREATE OR REPLACE FUNCTION audit_capture_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
  v_keys   text[] := string_to_array(TG_ARGV[0], ',');
  v_ignore text[] := string_to_array(coalesce(TG_ARGV[1], ''), ',');
  v_redact text[] := string_to_array(coalesce(TG_ARGV[2], ''), ',');
  v_user     bigint := nullif(current_setting('twindraw.user_id', true), '')::bigint;
  v_identity bigint := nullif(current_setting('twindraw.identity_id', true), '')::bigint;
  v_unit     bigint := nullif(current_setting('twindraw.unit_id', true), '')::bigint;
  v_address  text := nullif(current_setting('twindraw.address', true), '');
  v_count    bigint;
  -- Per statement, the SQL is specialised to the table: its row as a record with
  -- geometry as GeoJSON, its key expression, redaction only where there is some.
  v_cols  text := audit_row_columns_except(TG_RELID, v_ignore);
  v_key   text;
  v_red_o text := CASE WHEN cardinality(v_redact) = 0 THEN 'o.j' ELSE 'audit_redact(o.j, $8)' END;
  v_red_n text := CASE WHEN cardinality(v_redact) = 0 THEN 'n.j' ELSE 'audit_redact(n.j, $8)' END;
  v_head  text := 'INSERT INTO audit_pending(at, user_id, identity_id, unit_id, address, action, entity, entity_id, '
                  'before, after) SELECT clock_timestamp(), $1, $2, $3, $4, ';
  v_old   text;
  v_new   text;
BEGIN
  v_old := '(SELECT to_jsonb(r) - $7 AS j FROM (SELECT ' || v_cols || ' FROM old_rows x) r)';
  v_new := '(SELECT to_jsonb(r) - $7 AS j FROM (SELECT ' || v_cols || ' FROM new_rows x) r)';
  -- Keys are never among the ignored columns, so they are read after the removal.
  IF cardinality(v_keys) = 1 THEN
    v_key := 'coalesce(%1$s.j ->> ' || quote_literal(v_keys[1]) || ', '''')';
  ELSE
    v_key := '(SELECT string_agg(coalesce(%1$s.j ->> k, ''''), '','' ORDER BY o) FROM unnest($6::text[]) WITH ORDINALITY AS t(k, o))';
  END IF;
  -- Transition tables are visible to dynamic SQL run by this trigger (SPI).
  IF TG_OP = 'INSERT' THEN
    EXECUTE v_head || '''insert'', $5, ' || format(v_key, 'n') || ', NULL, ' || v_red_n || ' FROM ' || v_new || ' n'
      USING v_user, v_identity, v_unit, v_address, TG_TABLE_NAME, v_keys, v_ignore, v_redact;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE v_head || '''delete'', $5, ' || format(v_key, 'o') || ', ' || v_red_o || ', NULL FROM ' || v_old || ' o'
      USING v_user, v_identity, v_unit, v_address, TG_TABLE_NAME, v_keys, v_ignore, v_redact;
  ELSE
    -- Old and new rows are paired by primary key; an UPDATE that changed a key leaves
    -- its old and new rows unpaired, and each is still recorded (before only / after only).
    -- Rows whose content (ignored columns aside) did not change are not recorded.
    EXECUTE v_head || '''update'', $5, coalesce(n.k, o.k), ' || v_red_o || ', ' || v_red_n
            || ' FROM (SELECT o.j, ' || format(v_key, 'o') || ' AS k FROM ' || v_old || ' o) o'
            || ' FULL JOIN (SELECT n.j, ' || format(v_key, 'n') || ' AS k, row_number() OVER () AS ord FROM '
            || v_new || ' n) n ON n.k = o.k WHERE o.j IS DISTINCT FROM n.j ORDER BY n.ord NULLS LAST'
      USING v_user, v_identity, v_unit, v_address, TG_TABLE_NAME, v_keys, v_ignore, v_redact;
  END IF;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  IF v_count > 0 THEN
    INSERT INTO audit_tx(xid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

-- The attempt log learns the new actions.
ALTER TABLE draw_attempt DROP CONSTRAINT draw_attempt_action_check;
ALTER TABLE draw_attempt ADD CONSTRAINT draw_attempt_action_check
  CHECK (action IN ('preview', 'run', 'confirm', 'discard', 'upload_scan', 'witness', 'reveal', 'abandon_request',
                    'abandon', 'abandon_refuse'));

-- The bureau's choice (issue 12 §3): a public beacon announced after the commitment is
-- the only defence against an operator and a witness who collude to grind W.
-- Seeded like the other settings, outside the audit trail (its triggers off for the insert).
ALTER TABLE draw_setting DISABLE TRIGGER USER;
INSERT INTO draw_setting(key, value, label) VALUES
  ('require_beacon', 'false', '揭示前须录入公开信标值（如承诺公布后开奖的彩票号码），true 或 false');
ALTER TABLE draw_setting ENABLE TRIGGER USER;

-- The rule's words follow what it now does.
ALTER TABLE draw_filter_rule DISABLE TRIGGER USER;
UPDATE draw_filter_rule SET name = '已在其他进行中抽取的对象不再抽取',
       description = '对象已被另一次已确认、其任务尚未结束的抽取选中时不进入候选名单（未确认的抽取不占用对象）'
 WHERE code = 'in_open_draw';
ALTER TABLE draw_filter_rule ENABLE TRIGGER USER;

-- draw.witness (监督人员): catalogue in workflows/account-permissions.cpp. A witness must
-- see the draw (its data scope covers the drawing unit, row-level security of 0034): a
-- district's reviewer or head witnesses the district's draws, the 领导 (scope all, otherwise
-- read-only) the city bureau's.
ALTER TABLE role DISABLE TRIGGER USER;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['draw.witness', 'draw.read']) ORDER BY 1)
 WHERE code IN ('system_admin', 'district_admin', 'department_head', 'task_reviewer', 'leader') AND builtin;
ALTER TABLE role ENABLE TRIGGER USER;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT, INSERT ON draw_log TO twindraw_app;
    REVOKE UPDATE, DELETE, TRUNCATE ON draw_log FROM twindraw_app;
  END IF;
END $$;
