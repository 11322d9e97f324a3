-- Data scope holes (issue 12 §1; AUTH-5, SYS-1..3, SYS-8). Row-level security for the
-- tables that had none although their rows belong to a unit or a district: the
-- organisation (authority, section, inspection_item), the draws (draw, draw_object,
-- draw_inspector, draw_scan, draw_attempt, draw_password, inspector_recusal), the draw
-- settings (draw_setting, draw_filter_rule), the imports (import_job), files of jobs and
-- appeals (job_file, job_result_version, appeal_file) and the refusal log
-- (access_refusal). The style is 0006_data_scope.sql's: the scope functions are called
-- inside scalar subqueries (one InitPlan per statement), scope 'all' runs as
-- twindraw_app_all whose policy scope_all lets every row through, and the owner
-- (migrate, CLI, demo, SECURITY DEFINER functions) is not subject to policies.
--
-- Every other table says below why it has none (`-- no-rls: TABLE reason`);
-- tests/integration/test-scope-holes.cpp enumerates the tables of the schema and fails
-- for one that has neither.

-- --- Organisation ------------------------------------------------------------------
-- Units are read by everyone (pickers, names beside records, scope_units() itself walks
-- the tree), but written only inside the writer's scope: a new unit hangs below a unit
-- of the scope and lies in its area; an existing one is changed or deleted only when it
-- is a unit of the scope, and a unit never deletes itself. Moving a unit (its division
-- code or its parent) widens or narrows every data scope computed from it, so only a
-- system administrator does it (scope 'all'; the route also asks for system.org, see
-- workflows/account-org.cpp); the trigger refuses it to every restricted role, whatever
-- route or hand-written statement tries. The audit trail (0005) records each change.
ALTER TABLE authority ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON authority FOR SELECT USING (true);
CREATE POLICY data_scope_insert ON authority FOR INSERT
  WITH CHECK (parent_id = ANY ((SELECT twindraw_scope_units())::bigint[])
              AND division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]));
CREATE POLICY data_scope_update ON authority FOR UPDATE
  USING (id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY data_scope_delete ON authority FOR DELETE
  USING (id = ANY ((SELECT twindraw_scope_units())::bigint[]) AND id IS DISTINCT FROM (SELECT twindraw_unit_id()));

CREATE FUNCTION authority_place_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user::text = 'twindraw_app'
     AND (NEW.division_code IS DISTINCT FROM OLD.division_code OR NEW.parent_id IS DISTINCT FROM OLD.parent_id) THEN
    -- The text names row-level security so that geo/pg.cpp answers 403 out_of_scope.
    RAISE EXCEPTION 'row-level security: only a system administrator moves unit % (division or parent)', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER authority_place_guard BEFORE UPDATE ON authority FOR EACH ROW EXECUTE FUNCTION authority_place_guard();

-- Sections by their unit; read by everyone (user forms, inspector records).
ALTER TABLE section ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON section FOR SELECT USING (true);
CREATE POLICY data_scope_write ON section FOR ALL
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
-- FOR ALL covers SELECT too; the read policy above widens it (permissive policies OR).

-- The inspection item list is the city's one list (plans, tasks and joint inspections of
-- cooperating departments name items of other units), so it is read by everyone; an item
-- is written by the scope of its initiating department.
ALTER TABLE inspection_item ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON inspection_item FOR SELECT USING (true);
CREATE POLICY data_scope_write ON inspection_item FOR ALL
  USING (initiating_authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (initiating_authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

-- Linking an account to an inspector hands it that inspector's jobs, files and results
-- (inspection_job's policy): a restricted administrator links only inspectors of its
-- own scope. The route says so first (workflows/account-users.cpp); this holds for any
-- statement.
CREATE FUNCTION app_user_inspector_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user::text = 'twindraw_app' AND NEW.inspector_id IS NOT NULL
     AND (TG_OP = 'INSERT' OR NEW.inspector_id IS DISTINCT FROM OLD.inspector_id)
     AND NOT EXISTS (SELECT 1 FROM inspector i
                      WHERE i.id = NEW.inspector_id AND i.authority_id = ANY (twindraw_scope_units())) THEN
    RAISE EXCEPTION 'row-level security: inspector % is outside the data scope', NEW.inspector_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER app_user_inspector_guard BEFORE INSERT OR UPDATE OF inspector_id ON app_user
  FOR EACH ROW EXECUTE FUNCTION app_user_inspector_guard();

-- --- Draws -------------------------------------------------------------------------
-- A draw belongs to the unit that ran it (drawn_unit_id), to its drawer, and to the
-- units of its task (initiating or taking part). units is the caller's scope, passed in
-- so that the policies compute it once per statement.
CREATE FUNCTION twindraw_draw_owned(p_unit bigint, p_by bigint, p_task bigint, units bigint[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_unit = ANY (units)
      OR p_by = twindraw_user_id()
      OR (p_task IS NOT NULL AND (
            EXISTS (SELECT 1 FROM inspection_task t WHERE t.id = p_task AND t.initiating_authority_id = ANY (units))
         OR EXISTS (SELECT 1 FROM task_unit u WHERE u.task_id = p_task AND u.authority_id = ANY (units))))
$$;

-- Read: its owners, and whoever reads one of its jobs (the inspectors of its groups, see
-- inspection_job's policy), whose job pages show the draw. Confirm and discard: its
-- owners. Insert: by a unit of the scope, as the acting user.
ALTER TABLE draw ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON draw FOR SELECT
  USING (twindraw_draw_owned(drawn_unit_id, drawn_by, task_id, (SELECT twindraw_scope_units()))
         OR id IN (SELECT j.draw_id FROM inspection_job j));
CREATE POLICY data_scope_insert ON draw FOR INSERT
  WITH CHECK (drawn_unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]) AND drawn_by = (SELECT twindraw_user_id()));
CREATE POLICY data_scope_update ON draw FOR UPDATE
  USING (twindraw_draw_owned(drawn_unit_id, drawn_by, task_id, (SELECT twindraw_scope_units())))
  WITH CHECK (twindraw_draw_owned(drawn_unit_id, drawn_by, task_id, (SELECT twindraw_scope_units())));

-- The drawn objects and inspectors are read by every scope: the filter rules of any draw
-- (in_open_draw, inspected_this_year, the candidates of a list change) must see every
-- open or confirmed draw's objects whoever ran it, or the draw would offer an object
-- another unit's open draw holds (and fail on draw_object_open_idx). They hold only ids;
-- the draw, its record and the objects themselves stay behind their own policies.
-- Written only for a draw the caller owns.
ALTER TABLE draw_object ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON draw_object FOR SELECT USING (true);
CREATE POLICY data_scope_insert ON draw_object FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM draw d WHERE d.id = draw_id
                        AND twindraw_draw_owned(d.drawn_unit_id, d.drawn_by, d.task_id, (SELECT twindraw_scope_units()))));
CREATE POLICY data_scope_update ON draw_object FOR UPDATE
  USING (EXISTS (SELECT 1 FROM draw d WHERE d.id = draw_id
                   AND twindraw_draw_owned(d.drawn_unit_id, d.drawn_by, d.task_id, (SELECT twindraw_scope_units()))));
ALTER TABLE draw_inspector ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON draw_inspector FOR SELECT USING (true);
CREATE POLICY data_scope_insert ON draw_inspector FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM draw d WHERE d.id = draw_id
                        AND twindraw_draw_owned(d.drawn_unit_id, d.drawn_by, d.task_id, (SELECT twindraw_scope_units()))));

-- Scans of the signed record: read with the draw, added by its owners.
ALTER TABLE draw_scan ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON draw_scan FOR SELECT USING (EXISTS (SELECT 1 FROM draw d WHERE d.id = draw_id));
CREATE POLICY data_scope_insert ON draw_scan FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM draw d WHERE d.id = draw_id
                        AND twindraw_draw_owned(d.drawn_unit_id, d.drawn_by, d.task_id, (SELECT twindraw_scope_units()))));

-- The attempt log: every attempt is written, refused ones included (also an attempt on
-- another unit's draw); read by the scope of the attempting unit, the attempting user,
-- and the readers of the draw.
ALTER TABLE draw_attempt ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_insert ON draw_attempt FOR INSERT WITH CHECK (true);
CREATE POLICY data_scope_read ON draw_attempt FOR SELECT
  USING (user_id = (SELECT twindraw_user_id())
         OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[])
         OR draw_id IN (SELECT d.id FROM draw d));

-- The draw password is its user's alone, for every scope (no scope_all policy below).
ALTER TABLE draw_password ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_password ON draw_password USING (user_id = (SELECT twindraw_user_id()))
  WITH CHECK (user_id = (SELECT twindraw_user_id()));

-- 执法回避: read with the inspector (its policy: the scope's units, cooperating
-- departments, one's own record), written by the scope of the inspector's unit.
ALTER TABLE inspector_recusal ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON inspector_recusal FOR SELECT
  USING (EXISTS (SELECT 1 FROM inspector i WHERE i.id = inspector_id));
CREATE POLICY data_scope_write ON inspector_recusal FOR ALL
  USING (EXISTS (SELECT 1 FROM inspector i WHERE i.id = inspector_id
                   AND i.authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])))
  WITH CHECK (EXISTS (SELECT 1 FROM inspector i WHERE i.id = inspector_id
                        AND i.authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])));

-- The draw settings and filter rules apply to every draw of the city: read by all,
-- changed only by scope 'all' (policy scope_all below; the route answers 403 first).
ALTER TABLE draw_setting ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON draw_setting FOR SELECT USING (true);
ALTER TABLE draw_filter_rule ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON draw_filter_rule FOR SELECT USING (true);

-- --- Imports -----------------------------------------------------------------------
-- A job belongs to the user who uploaded it and its unit; names, counts, row errors and
-- reports are read by that user and by the scope of its unit. Jobs from before this
-- migration (and command-line imports) carry no owner: scope 'all' only. Plain ids, like
-- draw_attempt's and access_refusal's: the record of who imported outlives the account.
ALTER TABLE import_job ADD COLUMN created_by bigint DEFAULT twindraw_user_id(),
                       ADD COLUMN unit_id bigint DEFAULT twindraw_unit_id();
CREATE INDEX import_job_created_by_idx ON import_job(created_by);
ALTER TABLE import_job ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON import_job FOR SELECT
  USING (created_by = (SELECT twindraw_user_id()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY data_scope_insert ON import_job FOR INSERT
  WITH CHECK (created_by = (SELECT twindraw_user_id()) AND unit_id IS NOT DISTINCT FROM (SELECT twindraw_unit_id()));
CREATE POLICY data_scope_update ON import_job FOR UPDATE
  USING (created_by = (SELECT twindraw_user_id())) WITH CHECK (created_by = (SELECT twindraw_user_id()));

-- --- Files and versions of jobs and appeals: with their job or appeal ----------------
ALTER TABLE job_file ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON job_file
  USING (EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = job_id))
  WITH CHECK (EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = job_id));
ALTER TABLE job_result_version ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON job_result_version
  USING (EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = job_id))
  WITH CHECK (EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = job_id));
ALTER TABLE appeal_file ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON appeal_file
  USING (EXISTS (SELECT 1 FROM result_appeal a WHERE a.id = appeal_id))
  WITH CHECK (EXISTS (SELECT 1 FROM result_appeal a WHERE a.id = appeal_id));

-- --- Refused attempts (0006): like the audit trail they record ----------------------
ALTER TABLE access_refusal ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_insert ON access_refusal FOR INSERT WITH CHECK (true);
CREATE POLICY data_scope_read ON access_refusal FOR SELECT
  USING (user_id = (SELECT twindraw_user_id()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

-- Scope 'all' (role twindraw_app_all, see 0006): every row.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['authority', 'section', 'inspection_item', 'draw', 'draw_object', 'draw_inspector',
                           'draw_scan', 'draw_attempt', 'inspector_recusal', 'draw_setting', 'draw_filter_rule',
                           'import_job', 'job_file', 'job_result_version', 'appeal_file', 'access_refusal'] LOOP
    EXECUTE format('CREATE POLICY scope_all ON %I TO twindraw_app_all USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

-- --- Tables without row-level security, each with its reason ------------------------
-- Reference data and code tables, the same for the whole city:
-- no-rls: division GB/T 2260 administrative divisions, national reference data
-- no-rls: enterprise_type code table of enterprise types
-- no-rls: industry GB/T 4754 industry classification, national reference data
-- no-rls: work_calendar holiday calendar (national schedule), reference data
-- no-rls: work_calendar_year which years of the holiday calendar are official, reference data
-- no-rls: dict_category city-wide dictionaries (system.dict), reference data
-- no-rls: dict_entry city-wide dictionary entries (system.dict), reference data
-- no-rls: role role definitions are city-wide; who holds them is user_identity, which has row-level security
-- no-rls: advance_notice_rule city-wide rules for advance notice of inspections, reference data
-- no-rls: patrol_setting city-wide patrol settings, reference data
-- no-rls: announcement city-wide notices published to every user (system.announce writes), not owned by a unit
-- Base map and routing data (public geography):
-- no-rls: road_edge road network for navigation, public geography
-- no-rls: road_vertex road network vertices, public geography
-- no-rls: water_feature rivers and lakes of the base map, public geography
-- Machinery (no application data of a unit; twindraw_app has no or read-only rights):
-- no-rls: schema_migrations migration bookkeeping, written by `twindraw migrate` only
-- no-rls: tile_dirty tile cache expiry boxes, written by SECURITY DEFINER triggers only
-- no-rls: audit_chain head of the audit hash chain; twindraw_app has no rights on it
-- no-rls: audit_pending audit rows waiting to be chained; twindraw_app has no rights on it
-- no-rls: audit_tx audit bookkeeping per transaction; twindraw_app has no rights on it
-- no-rls: notify_outbox e-mail and SMS delivery queue, filled by SECURITY DEFINER functions and drained by the notify worker as the owner
-- Credentials read by the authentication gate by token or code hash, before any actor exists:
-- no-rls: session sessions are found by the hash of their token, as the owner, before a request has an actor
-- no-rls: sms_code one-time codes are checked by hash, as the owner, before a request has an actor
-- (The tables the handlers scoped until then, from annual_plan to feedback, have
-- row-level security since 0038_flow_rls.sql.)
