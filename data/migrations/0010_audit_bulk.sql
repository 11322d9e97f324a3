-- The audit trail at bulk speed (AUDIT-1, BASE-1). 0005 captured each changed row with
-- a row trigger and queued one deferred trigger event per row; a 100,000-row import
-- spent 30 s there. Now:
--   * capture is per statement, from the statement's transition tables, in one
--     INSERT … SELECT into audit_pending (same columns, same before/after as 0005);
--   * the commit-time append is queued once per transaction (a marker row in
--     audit_tx), not once per changed row;
--   * the append computes the chain in one INSERT … SELECT: the running hash is a
--     window aggregate over the transaction's rows in capture order.
-- The hash rule, the columns, the guards and `twindraw audit verify` are unchanged.

-- Primary-key value(s) of a row as text, several columns joined by ','.
CREATE FUNCTION audit_key(j jsonb, keys text[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(keys) = 1 THEN coalesce(j ->> keys[1], '')
              ELSE (SELECT string_agg(coalesce(j ->> k, ''), ',' ORDER BY o) FROM unnest(keys) WITH ORDINALITY AS t(k, o))
         END
$$;

-- Replaces the value of each redacted column present in j by "[已隐藏]".
CREATE FUNCTION audit_redact(j jsonb, redact text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN j IS NULL OR cardinality(redact) = 0 THEN j
              ELSE j || coalesce((SELECT jsonb_object_agg(k, '"[已隐藏]"'::jsonb) FROM unnest(redact) AS k WHERE j ? k),
                                 '{}'::jsonb)
         END
$$;

-- The select list that turns a row of tbl (alias x) into a record whose to_jsonb is
-- the audited content: geometry columns become GeoJSON. (to_jsonb of a geometry goes
-- through PostGIS's json cast, which costs ~40 µs a value: most of a bulk import.)
CREATE FUNCTION audit_row_columns(tbl regclass) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(CASE WHEN a.atttypid = to_regtype('geometry')
                         THEN format('ST_AsGeoJSON(x.%1$I)::jsonb AS %1$I', a.attname)
                         ELSE format('x.%I', a.attname) END, ', ' ORDER BY a.attnum)
    FROM pg_attribute a
   WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- One row per transaction that has captured changes; its deferred trigger appends them.
CREATE TABLE audit_tx (
  xid bigint PRIMARY KEY
);
REVOKE ALL ON audit_tx FROM PUBLIC;

-- Statement trigger on key tables (AFTER INSERT / UPDATE / DELETE, with transition
-- tables new_rows / old_rows). Arguments as for 0005's audit_capture: primary-key
-- columns, ignored columns, redacted columns, each comma-separated.
CREATE FUNCTION audit_capture_rows() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
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
  v_cols  text := audit_row_columns(TG_RELID);
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

-- The running hash: state = SHA-256(previous state, or the chain head for the first
-- row, || this row's canonical content). Used as a window aggregate in row order.
CREATE FUNCTION audit_chain_step(state bytea, head bytea, content bytea) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(coalesce(state, head) || content)
$$;
CREATE AGGREGATE audit_chain_hash(bytea, bytea) (SFUNC = audit_chain_step, STYPE = bytea);

-- At commit, once per transaction: appends the transaction's pending rows (the only
-- ones it can see) in capture order and moves the chain head once.
CREATE FUNCTION audit_append_tx() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
  v_id   bigint;
  v_hash bytea;
  v_n    bigint;
BEGIN
  DELETE FROM audit_tx WHERE xid = NEW.xid;
  SELECT last_id, last_hash INTO v_id, v_hash FROM audit_chain WHERE singleton FOR UPDATE;
  INSERT INTO audit_log(id, at, user_id, identity_id, unit_id, address, action, entity, entity_id, before, after,
                        prev_hash, hash)
  SELECT id, at, user_id, identity_id, unit_id, address, action, entity, entity_id, before, after,
         coalesce(lag(hash) OVER (ORDER BY seq), v_hash), hash
    FROM (SELECT c.*, audit_chain_hash(v_hash, c.content) OVER (ORDER BY c.seq ROWS UNBOUNDED PRECEDING) AS hash
            FROM (SELECT p.*, convert_to(audit_canonical(p.id, p.at, p.user_id, p.identity_id, p.unit_id, p.address,
                                                         p.action, p.entity, p.entity_id, p.before, p.after),
                                         'UTF8') AS content
                    FROM (SELECT q.*, v_id + row_number() OVER (ORDER BY q.seq) AS id FROM audit_pending q) p) c) h
   ORDER BY seq;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  IF v_n > 0 THEN
    UPDATE audit_chain SET last_id = v_id + v_n,
                           last_hash = (SELECT l.hash FROM audit_log l WHERE l.id = v_id + v_n)
     WHERE singleton;
    DELETE FROM audit_pending;
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER audit_tx_append AFTER INSERT ON audit_tx
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append_tx();

-- 0005's per-row capture (TRUNCATE capture) now also queues the append through audit_tx.
CREATE OR REPLACE FUNCTION audit_capture_truncate() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
  v_keys   text[] := string_to_array(TG_ARGV[0], ',');
  v_ignore text[] := string_to_array(coalesce(TG_ARGV[1], ''), ',');
  v_redact text[] := string_to_array(coalesce(TG_ARGV[2], ''), ',');
  v_count  bigint;
BEGIN
  EXECUTE format('INSERT INTO audit_pending(at, user_id, identity_id, unit_id, address, action, entity, entity_id,
                                            before, after)
                  SELECT clock_timestamp(), %L, %L, %L, %L, ''delete'', %L, audit_key(j, %L), audit_redact(j - %L::text[], %L), NULL
                    FROM (SELECT to_jsonb(r) AS j FROM (SELECT %s FROM %s x) r) s',
                 nullif(current_setting('twindraw.user_id', true), ''),
                 nullif(current_setting('twindraw.identity_id', true), ''),
                 nullif(current_setting('twindraw.unit_id', true), ''),
                 nullif(current_setting('twindraw.address', true), ''),
                 TG_TABLE_NAME, v_keys, v_ignore, v_redact, audit_row_columns(TG_RELID), TG_RELID::regclass);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  IF v_count > 0 THEN
    INSERT INTO audit_tx(xid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

-- Attaches the capture triggers to a key table (again: replaces them).
CREATE OR REPLACE FUNCTION audit_attach(tbl regclass, ignore text[] DEFAULT '{}', redact text[] DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_keys text;
  v_ignore text := array_to_string(ARRAY(SELECT DISTINCT unnest(ignore || '{updated_at}'::text[]) ORDER BY 1), ',');
  v_redact text := array_to_string(redact, ',');
BEGIN
  SELECT string_agg(a.attname, ',' ORDER BY k.ord) INTO v_keys
    FROM pg_index i
    CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
   WHERE i.indrelid = tbl AND i.indisprimary;
  IF v_keys IS NULL THEN
    RAISE EXCEPTION 'audit_attach: table % has no primary key', tbl;
  END IF;
  EXECUTE format('DROP TRIGGER IF EXISTS audit_capture ON %s', tbl);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_capture_insert ON %s', tbl);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_capture_update ON %s', tbl);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_capture_delete ON %s', tbl);
  EXECUTE format('DROP TRIGGER IF EXISTS audit_capture_truncate ON %s', tbl);
  EXECUTE format('CREATE TRIGGER audit_capture_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION audit_capture_rows(%L, %L, %L)', tbl, v_keys, v_ignore, v_redact);
  EXECUTE format('CREATE TRIGGER audit_capture_update AFTER UPDATE ON %s'
                 ' REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION audit_capture_rows(%L, %L, %L)', tbl, v_keys, v_ignore, v_redact);
  EXECUTE format('CREATE TRIGGER audit_capture_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION audit_capture_rows(%L, %L, %L)', tbl, v_keys, v_ignore, v_redact);
  EXECUTE format('CREATE TRIGGER audit_capture_truncate BEFORE TRUNCATE ON %s'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION audit_capture_truncate(%L, %L, %L)', tbl, v_keys, v_ignore, v_redact);
END $$;

-- Re-attach every table that carries 0005's row trigger (including tables that later
-- migrations attached), keeping its ignored and redacted columns.
DO $$
DECLARE
  r record;
  a text[];
BEGIN
  FOR r IN SELECT t.tgrelid::regclass AS tbl, encode(t.tgargs, 'escape') AS args
             FROM pg_trigger t WHERE t.tgname = 'audit_capture' AND NOT t.tgisinternal LOOP
    a := string_to_array(r.args, '\000');
    PERFORM audit_attach(r.tbl, string_to_array(coalesce(a[2], ''), ','), string_to_array(coalesce(a[3], ''), ','));
  END LOOP;
END $$;

DROP TRIGGER audit_pending_append ON audit_pending;
DROP FUNCTION audit_append();
DROP FUNCTION audit_capture();

-- The marker table is the audit functions' own: the application role may not touch it.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    REVOKE ALL ON audit_tx FROM twindraw_app;
  END IF;
END $$;

-- In a UTF-8 database a text's octet_length is already its UTF-8 length: the same
-- canonical content without a conversion per field (11 per audit row).
DO $$
BEGIN
  IF current_setting('server_encoding') = 'UTF8' THEN
    CREATE OR REPLACE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
      SELECT CASE WHEN v IS NULL THEN '~' ELSE octet_length(v)::text || ':' || v END
    $f$;
  END IF;
END $$;
