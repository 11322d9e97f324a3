-- The tamper-evident trail (AUDIT-1). Every INSERT/UPDATE/DELETE of a key table is
-- captured by a row trigger into audit_pending, in the changing transaction; at commit
-- a deferred trigger moves the transaction's rows into audit_log, linking each to the
-- previous one with SHA-256. The chain lock is therefore taken last and held only
-- while the transaction commits, so it adds no deadlocks between writers and does not
-- block other writers for the length of a long import. The exact hash rule is in
-- docs/audit.md; `twindraw audit verify` recomputes it.

-- ids are handed out by audit_chain under its lock, not by a sequence: a sequence
-- leaks numbers on rollback, and then a gap could not tell a deletion from a rollback.
CREATE TABLE audit_log (
  id          bigint PRIMARY KEY CHECK (id > 0),
  at          timestamptz NOT NULL,
  user_id     bigint,
  identity_id bigint,
  unit_id     bigint,
  address     text,
  action      text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  entity      text NOT NULL,
  entity_id   text NOT NULL,
  before      jsonb,
  after       jsonb,
  prev_hash   bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
  hash        bytea NOT NULL CHECK (octet_length(hash) = 32)
);
CREATE INDEX audit_log_at_idx ON audit_log(at);
CREATE INDEX audit_log_entity_idx ON audit_log(entity, entity_id);
CREATE INDEX audit_log_user_idx ON audit_log(user_id);

-- The head of the chain: the last id and hash appended. One row, locked FOR UPDATE
-- by each committing writer, which serialises appends so the chain stays linear.
CREATE TABLE audit_chain (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_id   bigint NOT NULL,
  last_hash bytea NOT NULL CHECK (octet_length(last_hash) = 32)
);
INSERT INTO audit_chain(singleton, last_id, last_hash) VALUES (true, 0, decode(repeat('00', 32), 'hex'));

-- Captured changes of the running transactions, waiting for their commit.
CREATE TABLE audit_pending (
  seq         bigserial PRIMARY KEY,
  at          timestamptz NOT NULL,
  user_id     bigint,
  identity_id bigint,
  unit_id     bigint,
  address     text,
  action      text NOT NULL,
  entity      text NOT NULL,
  entity_id   text NOT NULL,
  before      jsonb,
  after       jsonb
);

-- One field of the canonical content: "~" for NULL, else "<byte length>:<UTF-8 bytes>".
CREATE FUNCTION audit_field(v text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v IS NULL THEN '~' ELSE octet_length(convert_to(v, 'UTF8'))::text || ':' || v END
$$;

-- The canonical content of a row, hashed as SHA-256(prev_hash || UTF-8 bytes of this).
CREATE FUNCTION audit_canonical(p_id bigint, p_at timestamptz, p_user_id bigint, p_identity_id bigint,
                                p_unit_id bigint, p_address text, p_action text, p_entity text,
                                p_entity_id text, p_before jsonb, p_after jsonb)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT audit_field(p_id::text)
      || audit_field(to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
      || audit_field(p_user_id::text) || audit_field(p_identity_id::text) || audit_field(p_unit_id::text)
      || audit_field(p_address) || audit_field(p_action) || audit_field(p_entity) || audit_field(p_entity_id)
      || audit_field(p_before::text) || audit_field(p_after::text)
$$;

-- The row trigger on key tables. Arguments: primary-key columns, columns ignored
-- (left out of before/after; an UPDATE changing only them is not recorded), columns
-- redacted (a change is recorded, the values are not) — each comma-separated.
CREATE FUNCTION audit_capture() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
  v_keys   text[] := string_to_array(TG_ARGV[0], ',');
  v_ignore text[] := string_to_array(coalesce(TG_ARGV[1], ''), ',');
  v_redact text[] := string_to_array(coalesce(TG_ARGV[2], ''), ',');
  v_before jsonb;
  v_after  jsonb;
  v_row    jsonb;
  v_entity_id text;
  k text;
BEGIN
  IF TG_OP <> 'INSERT' THEN v_before := to_jsonb(OLD) - v_ignore; END IF;
  IF TG_OP <> 'DELETE' THEN v_after := to_jsonb(NEW) - v_ignore; END IF;
  IF TG_OP = 'UPDATE' AND v_before = v_after THEN
    RETURN NULL;
  END IF;
  v_row := coalesce(v_after, v_before);
  SELECT string_agg(coalesce(v_row ->> key, ''), ',' ORDER BY ord) INTO v_entity_id
    FROM unnest(v_keys) WITH ORDINALITY AS t(key, ord);
  FOREACH k IN ARRAY v_redact LOOP
    IF v_before ? k THEN v_before := jsonb_set(v_before, ARRAY[k], '"[已隐藏]"'); END IF;
    IF v_after ? k THEN v_after := jsonb_set(v_after, ARRAY[k], '"[已隐藏]"'); END IF;
  END LOOP;
  INSERT INTO audit_pending(at, user_id, identity_id, unit_id, address, action, entity, entity_id, before, after)
  VALUES (clock_timestamp(),
          nullif(current_setting('twindraw.user_id', true), '')::bigint,
          nullif(current_setting('twindraw.identity_id', true), '')::bigint,
          nullif(current_setting('twindraw.unit_id', true), '')::bigint,
          nullif(current_setting('twindraw.address', true), ''),
          lower(TG_OP), TG_TABLE_NAME, coalesce(v_entity_id, ''), v_before, v_after);
  RETURN NULL;
END $$;

-- TRUNCATE fires no row triggers; so that it too leaves no change unrecorded, each
-- row it removes is captured as a delete (same arguments as audit_capture).
CREATE FUNCTION audit_capture_truncate() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
  v_keys   text[] := string_to_array(TG_ARGV[0], ',');
  v_ignore text[] := string_to_array(coalesce(TG_ARGV[1], ''), ',');
  v_redact text[] := string_to_array(coalesce(TG_ARGV[2], ''), ',');
  v_row    jsonb;
  v_before jsonb;
  v_entity_id text;
  k text;
BEGIN
  FOR v_row IN EXECUTE format('SELECT to_jsonb(t) FROM %s t', TG_RELID::regclass) LOOP
    v_before := v_row - v_ignore;
    SELECT string_agg(coalesce(v_row ->> key, ''), ',' ORDER BY ord) INTO v_entity_id
      FROM unnest(v_keys) WITH ORDINALITY AS t(key, ord);
    FOREACH k IN ARRAY v_redact LOOP
      IF v_before ? k THEN v_before := jsonb_set(v_before, ARRAY[k], '"[已隐藏]"'); END IF;
    END LOOP;
    INSERT INTO audit_pending(at, user_id, identity_id, unit_id, address, action, entity, entity_id, before, after)
    VALUES (clock_timestamp(),
            nullif(current_setting('twindraw.user_id', true), '')::bigint,
            nullif(current_setting('twindraw.identity_id', true), '')::bigint,
            nullif(current_setting('twindraw.unit_id', true), '')::bigint,
            nullif(current_setting('twindraw.address', true), ''),
            'delete', TG_TABLE_NAME, coalesce(v_entity_id, ''), v_before, NULL);
  END LOOP;
  RETURN NULL;
END $$;

-- At commit. Fired once per pending row, but the first call appends all of the
-- transaction's pending rows (the only ones it can see: a committed transaction leaves
-- none) in capture order, updating the chain head once; later calls find their row
-- gone. One head update per transaction, not per row, keeps a 20,000-row import linear.
CREATE FUNCTION audit_append() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE
  v_id   bigint;
  v_hash bytea;
  p      audit_pending%ROWTYPE;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM audit_pending WHERE seq = NEW.seq) THEN
    RETURN NULL;
  END IF;
  SELECT last_id, last_hash INTO v_id, v_hash FROM audit_chain WHERE singleton FOR UPDATE;
  FOR p IN SELECT * FROM audit_pending ORDER BY seq LOOP
    v_id := v_id + 1;
    INSERT INTO audit_log(id, at, user_id, identity_id, unit_id, address, action, entity, entity_id, before, after,
                          prev_hash, hash)
    VALUES (v_id, p.at, p.user_id, p.identity_id, p.unit_id, p.address, p.action, p.entity, p.entity_id,
            p.before, p.after, v_hash,
            sha256(v_hash || convert_to(audit_canonical(v_id, p.at, p.user_id, p.identity_id, p.unit_id, p.address,
                                                        p.action, p.entity, p.entity_id, p.before, p.after), 'UTF8')))
    RETURNING hash INTO v_hash;
  END LOOP;
  UPDATE audit_chain SET last_id = v_id, last_hash = v_hash WHERE singleton;
  DELETE FROM audit_pending;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER audit_pending_append AFTER INSERT ON audit_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_append();

-- Attaches the capture triggers to a key table (again: replaces them). Later migrations
-- creating key data call it: SELECT audit_attach('plan');
CREATE FUNCTION audit_attach(tbl regclass, ignore text[] DEFAULT '{}', redact text[] DEFAULT '{}')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  v_keys text;
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
  EXECUTE format('DROP TRIGGER IF EXISTS audit_capture_truncate ON %s', tbl);
  EXECUTE format('CREATE TRIGGER audit_capture AFTER INSERT OR UPDATE OR DELETE ON %s'
                 ' FOR EACH ROW EXECUTE FUNCTION audit_capture(%L, %L, %L)',
                 tbl, v_keys, array_to_string(ignore || '{updated_at}'::text[], ','), array_to_string(redact, ','));
  EXECUTE format('CREATE TRIGGER audit_capture_truncate BEFORE TRUNCATE ON %s'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION audit_capture_truncate(%L, %L, %L)',
                 tbl, v_keys, array_to_string(ignore || '{updated_at}'::text[], ','), array_to_string(redact, ','));
END $$;

-- Nothing edits the trail: not the application, not by mistake the owner. (A
-- superuser can disable these triggers; that is what `audit verify` is for.)
CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- Rows of audit_log and the chain head are written only by audit_append (a trigger,
-- so at depth >= 2 here); a direct statement is refused.
CREATE FUNCTION audit_refuse_direct() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'audit trail is written only by its triggers: % on % refused', TG_OP, TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_log_insert_guard BEFORE INSERT ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_direct();
CREATE TRIGGER audit_chain_immutable BEFORE INSERT OR DELETE OR TRUNCATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_chain_update_guard BEFORE UPDATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_direct();

REVOKE ALL ON audit_log, audit_chain, audit_pending FROM PUBLIC;

-- The key tables of today. Tables of the accounts migration are attached if it ran
-- first; otherwise it (or a later one) calls audit_attach itself.
SELECT audit_attach(t::regclass)
  FROM unnest(ARRAY['division', 'authority', 'section', 'enterprise_type', 'industry', 'inspection_item',
                    'market_subject', 'venue', 'product', 'inspector']) AS t;
SELECT audit_attach(to_regclass(t), ARRAY['totp_last_step'],
                    ARRAY['password_hash', 'totp_secret'])
  FROM unnest(ARRAY['app_user', 'role', 'user_identity']) AS t
 WHERE to_regclass(t) IS NOT NULL;

-- The application's role. A production deployment connects as a member of
-- twindraw_app: it may read and write the data tables but only read audit_log (rows
-- reach it through the SECURITY DEFINER triggers above). The private dev cluster
-- connects as the owner, where the triggers above still refuse edits.
DO $$
BEGIN
  BEGIN
    CREATE ROLE twindraw_app NOLOGIN;
  EXCEPTION
    WHEN duplicate_object THEN NULL;
    WHEN insufficient_privilege THEN
      RAISE NOTICE 'role twindraw_app not created (no CREATEROLE); grant its privileges by hand';
  END;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT USAGE ON SCHEMA public TO twindraw_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO twindraw_app;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO twindraw_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO twindraw_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO twindraw_app;
    REVOKE ALL ON audit_log, audit_chain, audit_pending FROM twindraw_app;
    REVOKE ALL ON SEQUENCE audit_pending_seq_seq FROM twindraw_app;
    GRANT SELECT ON audit_log TO twindraw_app;
  END IF;
END $$;
