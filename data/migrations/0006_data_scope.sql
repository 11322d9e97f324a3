-- Data scope in PostgreSQL (SYS-8, issue 3 "Roles, permissions and data scope"): row-level
-- security on the tables whose rows belong to a unit or a district, so that a handler
-- that forgets a filter still cannot read another unit's rows.
--
-- Every transaction the server runs for a signed-in request runs as the role
-- twindraw_app (geo/pg-context.cpp: set_config('role', 'twindraw_app', true); for scope
-- 'all' its member twindraw_app_all, whose extra policy lets every row through) with the
-- actor in transaction-local settings: twindraw.user_id, twindraw.unit_id (the unit of
-- the current identity) and twindraw.data_scope (all | district | unit_tree | unit | self).
-- The owner of the tables (migrate, demo, CLI, tests that set no request actor) is not
-- subject to these policies (no FORCE ROW LEVEL SECURITY). What belongs to whom:
--   objects (market_subject, venue, product): by division_code, against the area of
--     the units in scope (a unit's area is its division code: a county code covers the
--     county, a town code the town, 重庆's 500000 the whole city); 'district' takes the
--     county of the unit; 'self' reads the area of its own unit (an inspector looks up
--     the enterprises of its unit; its own tasks are the task tables' business);
--   inspectors: by authority_id in the units of the scope; 'self' only the inspector
--     record linked to the user; inspectors of cooperating departments (kind
--     'cooperating', joint inspections) are readable by every scope but 'self';
--   people (app_user, user_identity, login_log): a user sees itself; others if one of
--     their identities lies in a unit of the scope; users without any identity only
--     with scope 'all'.
-- Tables without policies (code tables, authorities, plans and tasks of later
-- migrations, ...) stay open to twindraw_app through its grants and default privileges.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    BEGIN
      CREATE ROLE twindraw_app NOLOGIN;
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    RAISE EXCEPTION 'role twindraw_app is missing: create it (CREATE ROLE twindraw_app NOLOGIN) and grant it to %', current_user;
  END IF;
  IF NOT pg_has_role(current_user, 'twindraw_app', 'MEMBER') THEN
    BEGIN
      EXECUTE format('GRANT twindraw_app TO %I', current_user);
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END IF;
  IF NOT pg_has_role(current_user, 'twindraw_app', 'MEMBER') THEN
    RAISE EXCEPTION 'the server switches to role twindraw_app for every request: GRANT twindraw_app TO %', current_user;
  END IF;
  -- Scope 'all' runs as twindraw_app_all: a member of twindraw_app (its privileges and
  -- policies) with one more policy, USING (true), on each scoped table. The planner folds
  -- "true OR <scope check>" to true, so scope 'all' pays no per-row check; still no
  -- superuser, no BYPASSRLS, and the same privileges.
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app_all') THEN
    BEGIN
      CREATE ROLE twindraw_app_all NOLOGIN IN ROLE twindraw_app;
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app_all') THEN
    RAISE EXCEPTION 'role twindraw_app_all is missing: CREATE ROLE twindraw_app_all NOLOGIN IN ROLE twindraw_app, and grant it to %', current_user;
  END IF;
  IF NOT pg_has_role(current_user, 'twindraw_app_all', 'MEMBER') THEN
    BEGIN
      EXECUTE format('GRANT twindraw_app_all TO %I', current_user);
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END IF;
  IF NOT pg_has_role(current_user, 'twindraw_app_all', 'MEMBER') THEN
    RAISE EXCEPTION 'the server switches to role twindraw_app_all for scope all: GRANT twindraw_app_all TO %', current_user;
  END IF;
  GRANT USAGE ON SCHEMA public TO twindraw_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO twindraw_app;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO twindraw_app;
  -- Tables and sequences later migrations create (run by this same owner) are open to
  -- the application role as well.
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO twindraw_app;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO twindraw_app;
  REVOKE ALL ON audit_log, audit_chain, audit_pending FROM twindraw_app;
  REVOKE ALL ON SEQUENCE audit_pending_seq_seq FROM twindraw_app;
  GRANT SELECT ON audit_log TO twindraw_app;
  REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM twindraw_app;
END $$;

-- The actor of the transaction (empty settings: NULL / '').
CREATE FUNCTION twindraw_user_id() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('twindraw.user_id', true), '')::bigint
$$;
CREATE FUNCTION twindraw_unit_id() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('twindraw.unit_id', true), '')::bigint
$$;
CREATE FUNCTION twindraw_data_scope() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN s IN ('all', 'district', 'unit_tree', 'unit', 'self') THEN s ELSE '' END
    FROM coalesce(current_setting('twindraw.data_scope', true), '') AS s
$$;

-- The area of a division code as a prefix: 500000 (province/municipality) → 50,
-- 500100 (prefecture) → 5001, a county or town code → itself.
CREATE FUNCTION division_area(code text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN length(code) = 6 AND right(code, 4) = '0000' THEN left(code, 2)
              WHEN length(code) = 6 AND right(code, 2) = '00' THEN left(code, 4)
              ELSE code END
$$;

-- The units of the actor's scope ('self': none), the division-code prefixes of its
-- objects ('self': its unit's), and whether the scope is 'all'. Policies call them inside
-- scalar subqueries, so each runs once per statement (an InitPlan), not once per row;
-- PL/pgSQL keeps their statements' plans for the session (pooled connections).
CREATE FUNCTION twindraw_scope_all() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT twindraw_data_scope() = 'all'
$$;

CREATE FUNCTION twindraw_scope_units() RETURNS bigint[] LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_scope text := twindraw_data_scope();
  v_units bigint[];
BEGIN
  IF v_scope IN ('', 'self') THEN
    RETURN '{}';
  END IF;
  SELECT coalesce(array_agg(s.id), '{}') INTO v_units FROM scope_units(twindraw_unit_id(), v_scope) s;
  RETURN v_units;
END $$;

CREATE FUNCTION twindraw_scope_areas() RETURNS text[] LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_scope text := twindraw_data_scope();
  v_areas text[];
BEGIN
  IF v_scope = '' THEN
    RETURN '{}';
  ELSIF v_scope = 'all' THEN
    RETURN ARRAY[''];
  ELSIF v_scope = 'district' THEN
    SELECT coalesce(array_agg(division_area(left(a.division_code, 6))), '{}') INTO v_areas
      FROM authority a WHERE a.id = twindraw_unit_id();
  ELSE
    SELECT coalesce(array_agg(DISTINCT division_area(a.division_code)), '{}') INTO v_areas
      FROM scope_units(twindraw_unit_id(), CASE WHEN v_scope = 'self' THEN 'unit' ELSE v_scope END) s
      JOIN authority a ON a.id = s.id;
  END IF;
  RETURN v_areas;
END $$;

-- The byte range (collation "C") the prefixes span: from the smallest prefix to the
-- largest followed by ':' (the byte after '9'). Policies compare division_code with it so
-- that an index on (division_code COLLATE "C") finds a district's rows; the prefix test
-- then keeps the exact ones. No scope: NULL, nothing matches.
CREATE FUNCTION twindraw_scope_low() RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT min(a COLLATE "C") FROM unnest(twindraw_scope_areas()) a);
END $$;
CREATE FUNCTION twindraw_scope_high() RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT max(a COLLATE "C") || ':' FROM unnest(twindraw_scope_areas()) a);
END $$;

-- Inspectors readable by the actor: those of the scope's units and, except for 'self',
-- those of cooperating departments.
CREATE FUNCTION twindraw_inspector_units() RETURNS bigint[] LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF twindraw_data_scope() IN ('', 'self') THEN
    RETURN '{}';
  END IF;
  RETURN twindraw_scope_units() || ARRAY(SELECT id FROM authority WHERE kind = 'cooperating');
END $$;

-- The inspector record linked to the acting user (SECURITY DEFINER: app_user's own
-- policies do not apply inside, so inspector's policy does not depend on them).
CREATE FUNCTION twindraw_own_inspector() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
  SELECT inspector_id FROM app_user WHERE id = twindraw_user_id()
$$;

-- The administrative checks of 0004 must see every identity of a user, also those
-- outside the administrator's scope that row-level security hides from it.
CREATE OR REPLACE FUNCTION user_manageable(p_user bigint, p_unit bigint, p_scope text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT p_scope = 'all' OR (
    EXISTS (SELECT 1 FROM user_identity i WHERE i.user_id = p_user)
    AND NOT EXISTS (SELECT 1 FROM user_identity i
                     WHERE i.user_id = p_user
                       AND i.authority_id NOT IN (SELECT s.id FROM scope_units(p_unit, p_scope) s)))
$$;

-- Objects: by division code. Scope 'all' takes the policy scope_all below (role
-- twindraw_app_all); the others an index range plus the exact prefix test.
CREATE INDEX market_subject_division_c_idx ON market_subject (division_code COLLATE "C");
CREATE INDEX venue_division_c_idx ON venue (division_code COLLATE "C");
CREATE INDEX product_division_c_idx ON product (division_code COLLATE "C");
ALTER TABLE market_subject ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON market_subject
  USING (division_code COLLATE "C" >= (SELECT twindraw_scope_low()) AND division_code COLLATE "C" < (SELECT twindraw_scope_high())
         AND division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]))
  WITH CHECK (division_code COLLATE "C" >= (SELECT twindraw_scope_low()) AND division_code COLLATE "C" < (SELECT twindraw_scope_high())
              AND division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]));
ALTER TABLE venue ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON venue
  USING (division_code COLLATE "C" >= (SELECT twindraw_scope_low()) AND division_code COLLATE "C" < (SELECT twindraw_scope_high())
         AND division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]))
  WITH CHECK (division_code COLLATE "C" >= (SELECT twindraw_scope_low()) AND division_code COLLATE "C" < (SELECT twindraw_scope_high())
              AND division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]));
ALTER TABLE product ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON product
  USING (division_code COLLATE "C" >= (SELECT twindraw_scope_low()) AND division_code COLLATE "C" < (SELECT twindraw_scope_high())
         AND division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]))
  WITH CHECK (division_code COLLATE "C" >= (SELECT twindraw_scope_low()) AND division_code COLLATE "C" < (SELECT twindraw_scope_high())
              AND division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]));

-- Inspectors: by unit.
ALTER TABLE inspector ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON inspector FOR SELECT
  USING ((SELECT twindraw_scope_all()) OR authority_id = ANY ((SELECT twindraw_inspector_units())::bigint[])
         OR id = (SELECT twindraw_own_inspector()));
CREATE POLICY data_scope_insert ON inspector FOR INSERT
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY data_scope_update ON inspector FOR UPDATE
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY data_scope_delete ON inspector FOR DELETE
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

-- People: identities by unit; users through their identities.
ALTER TABLE user_identity ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON user_identity FOR SELECT
  USING (user_id = (SELECT twindraw_user_id()) OR authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY data_scope_insert ON user_identity FOR INSERT
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY data_scope_update ON user_identity FOR UPDATE
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY data_scope_delete ON user_identity FOR DELETE
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

ALTER TABLE app_user ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON app_user FOR SELECT
  USING (id = (SELECT twindraw_user_id()) OR (SELECT twindraw_scope_all())
         OR id IN (SELECT i.user_id FROM user_identity i WHERE i.authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])));
-- A new user has no identity yet; the identities added next are checked.
CREATE POLICY data_scope_insert ON app_user FOR INSERT WITH CHECK (true);
CREATE POLICY data_scope_update ON app_user FOR UPDATE
  USING (id = (SELECT twindraw_user_id()) OR (SELECT twindraw_scope_all())
         OR id IN (SELECT i.user_id FROM user_identity i WHERE i.authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])))
  WITH CHECK (true);
CREATE POLICY data_scope_delete ON app_user FOR DELETE
  USING ((SELECT twindraw_scope_all())
         OR id IN (SELECT i.user_id FROM user_identity i WHERE i.authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])));

ALTER TABLE login_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON login_log FOR SELECT
  USING (user_id = (SELECT twindraw_user_id()) OR (SELECT twindraw_scope_all())
         OR user_id IN (SELECT i.user_id FROM user_identity i WHERE i.authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])));
CREATE POLICY data_scope_insert ON login_log FOR INSERT WITH CHECK (true);

-- Scope 'all' (role twindraw_app_all, see above): every row.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['market_subject', 'venue', 'product', 'inspector', 'user_identity', 'app_user', 'login_log'] LOOP
    EXECUTE format('CREATE POLICY scope_all ON %I TO twindraw_app_all USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

-- Refused attempts (SYS-8): a request answered 403 for lacking a permission or acting
-- above its tier is recorded here, in its own transaction after the refusal; the
-- audit trail chains each row, so the record of a refusal is tamper-evident too.
CREATE TABLE access_refusal (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  user_id     bigint,
  identity_id bigint,
  unit_id     bigint,
  address     text NOT NULL DEFAULT '',
  method      text NOT NULL,
  path        text NOT NULL,
  code        text NOT NULL,
  message     text NOT NULL DEFAULT ''
);
CREATE INDEX access_refusal_at_idx ON access_refusal(at);
SELECT audit_attach('access_refusal');
GRANT SELECT, INSERT ON access_refusal TO twindraw_app;
REVOKE UPDATE, DELETE ON access_refusal FROM twindraw_app;
GRANT USAGE, SELECT ON SEQUENCE access_refusal_id_seq TO twindraw_app;
