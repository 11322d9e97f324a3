-- Row-level security for the tables the handlers used to scope alone (issue 12 §1, the
-- follow-up 0034_scope_holes.sql named): annual plans, tasks and their executing units,
-- the flow history, task completions, messages (with recipients and read marks) and
-- feedback. Each policy states the visibility the handlers implement
-- (workflows/flow-plans.cpp and flow-tasks.cpp visible(), messages.cpp by recipient,
-- feedback.cpp submitter or system.feedback), so a forgotten filter no longer leaks
-- another district's rows; writes stay inside the same scope.
--
-- The style is 0006_data_scope.sql's: scope functions inside scalar subqueries (one
-- InitPlan per statement), scope 'all' runs as twindraw_app_all whose scope_all policy
-- lets every row through, the owner (migrate, demo loader, CLI, the notify worker,
-- SECURITY DEFINER functions such as notify_message and task_completion_refresh) is not
-- subject. Public routes run without an actor, as the owner (server dispatch()), so the
-- public plan and publication pages are unchanged.
--
-- Helpers that read across these tables are SECURITY DEFINER: the policies of plans,
-- tasks and task units refer to each other, and PostgreSQL refuses policies that recurse.

-- The units the plan and task handlers treat as the actor's (flow::scope_array): the
-- units of the data scope, and for 'self' (and no scope) the actor's own unit.
CREATE FUNCTION twindraw_flow_units() RETURNS bigint[] LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_scope text := twindraw_data_scope();
  v_units bigint[];
BEGIN
  SELECT coalesce(array_agg(s.id), '{}') INTO v_units
    FROM scope_units(twindraw_unit_id(), CASE WHEN v_scope IN ('', 'self') THEN 'unit' ELSE v_scope END) s;
  RETURN v_units;
END $$;

-- The tasks the actor reads (flow-tasks.cpp visible()): initiated by its units, or
-- approved with one of its units executing; and, as the job and draw pages show the task
-- beside a job or a draw, the tasks of draws its units ran (the jobs' unit), it drew or
-- co-draws, and of jobs it inspects.
CREATE FUNCTION twindraw_visible_tasks() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_units bigint[] := twindraw_flow_units();
  v_user bigint := twindraw_user_id();
  v_inspector bigint := twindraw_inspector_id();
BEGIN
  RETURN ARRAY(
    SELECT t.id FROM inspection_task t WHERE t.initiating_authority_id = ANY (v_units)
    UNION
    SELECT u.task_id FROM task_unit u JOIN inspection_task t ON t.id = u.task_id
     WHERE t.state = 'approved' AND u.authority_id = ANY (v_units)
    UNION
    SELECT d.task_id FROM draw d
     WHERE d.task_id IS NOT NULL AND (d.drawn_unit_id = ANY (v_units) OR d.drawn_by = v_user OR d.co_drawer_id = v_user)
    UNION
    SELECT j.task_id FROM inspection_job j
     WHERE v_inspector IS NOT NULL AND j.inspector_ids @> ARRAY[v_inspector] AND j.task_id IS NOT NULL);
END $$;

-- The plans the actor reads (flow-plans.cpp visible()): its own in any state, the
-- distributed or recalled ones naming its units as cooperating department or target;
-- and the plan of every task it reads (the task pages show the plan).
CREATE FUNCTION twindraw_visible_plans() RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_units bigint[] := twindraw_flow_units();
BEGIN
  RETURN ARRAY(
    SELECT p.id FROM annual_plan p
     WHERE p.initiating_authority_id = ANY (v_units)
        OR (p.state <> 'draft' AND (p.cooperating_authority_ids && v_units OR p.target_unit_ids && v_units))
    UNION
    SELECT t.plan_id FROM inspection_task t WHERE t.id = ANY (twindraw_visible_tasks()));
END $$;

-- A plan or task is changed by its initiating department only. The policies let a unit
-- that reads a row also lock it (SELECT … FOR UPDATE/SHARE needs the UPDATE policy: a
-- task's executing unit locks it to receive it and to record its confirmed draw, a
-- plan's target locks it while making a task from it), so this trigger says what such a
-- reader may change: only the columns named as arguments. Nobody hands a plan or task to
-- a unit outside its scope. The text names row-level security: geo/pg.cpp answers 403.
CREATE FUNCTION flow_initiator_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_units bigint[];
BEGIN
  IF current_user::text <> 'twindraw_app' THEN
    RETURN NEW;
  END IF;
  v_units := twindraw_flow_units();
  IF NEW.initiating_authority_id IS DISTINCT FROM OLD.initiating_authority_id
     AND NOT (NEW.initiating_authority_id = ANY (v_units)) THEN
    RAISE EXCEPTION 'row-level security: % % cannot be handed to unit %', TG_TABLE_NAME, OLD.id, NEW.initiating_authority_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT (OLD.initiating_authority_id = ANY (v_units))
     AND to_jsonb(NEW) - TG_ARGV::text[] IS DISTINCT FROM to_jsonb(OLD) - TG_ARGV::text[] THEN
    RAISE EXCEPTION 'row-level security: only the initiating department changes % %', TG_TABLE_NAME, OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

-- --- Plans --------------------------------------------------------------------------
ALTER TABLE annual_plan ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON annual_plan FOR SELECT
  USING (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])
         OR id = ANY ((SELECT twindraw_visible_plans())::bigint[]));
CREATE POLICY data_scope_insert ON annual_plan FOR INSERT
  WITH CHECK (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[]));
CREATE POLICY data_scope_update ON annual_plan FOR UPDATE
  USING (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])
         OR id = ANY ((SELECT twindraw_visible_plans())::bigint[]))
  WITH CHECK (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])
              OR id = ANY ((SELECT twindraw_visible_plans())::bigint[]));
CREATE POLICY data_scope_delete ON annual_plan FOR DELETE
  USING (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[]));
CREATE TRIGGER annual_plan_initiator_guard BEFORE UPDATE ON annual_plan
  FOR EACH ROW EXECUTE FUNCTION flow_initiator_guard('updated_at');

-- --- Tasks --------------------------------------------------------------------------
ALTER TABLE inspection_task ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON inspection_task FOR SELECT
  USING (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])
         OR id = ANY ((SELECT twindraw_visible_tasks())::bigint[]));
CREATE POLICY data_scope_insert ON inspection_task FOR INSERT
  WITH CHECK (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[]));
CREATE POLICY data_scope_update ON inspection_task FOR UPDATE
  USING (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])
         OR id = ANY ((SELECT twindraw_visible_tasks())::bigint[]))
  WITH CHECK (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])
              OR id = ANY ((SELECT twindraw_visible_tasks())::bigint[]));
CREATE POLICY data_scope_delete ON inspection_task FOR DELETE
  USING (initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[]));
-- An executing unit records the draw confirmed for the task (workflows/task-draw.cpp);
-- the deadline reminder marks it (workflows/notify.cpp, the worker runs as the owner).
CREATE TRIGGER inspection_task_initiator_guard BEFORE UPDATE ON inspection_task
  FOR EACH ROW EXECUTE FUNCTION flow_initiator_guard('updated_at', 'draw_id', 'drawn_at', 'deadline_notified_at');

-- Executing units: read with their task; written (replaced on every edit) by the task's
-- initiating department; received and urged by the unit itself.
ALTER TABLE task_unit ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON task_unit FOR SELECT
  USING (task_id = ANY ((SELECT twindraw_visible_tasks())::bigint[]));
CREATE POLICY data_scope_insert ON task_unit FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM inspection_task t WHERE t.id = task_id
                        AND t.initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])));
CREATE POLICY data_scope_delete ON task_unit FOR DELETE
  USING (EXISTS (SELECT 1 FROM inspection_task t WHERE t.id = task_id
                   AND t.initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])));
CREATE POLICY data_scope_update ON task_unit FOR UPDATE
  USING (task_id = ANY ((SELECT twindraw_visible_tasks())::bigint[])
         AND (authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])
              OR EXISTS (SELECT 1 FROM inspection_task t WHERE t.id = task_id
                           AND t.initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[]))))
  WITH CHECK (task_id = ANY ((SELECT twindraw_visible_tasks())::bigint[])
              AND (authority_id = ANY ((SELECT twindraw_flow_units())::bigint[])
                   OR EXISTS (SELECT 1 FROM inspection_task t WHERE t.id = task_id
                                AND t.initiating_authority_id = ANY ((SELECT twindraw_flow_units())::bigint[]))));

-- --- Flow history -------------------------------------------------------------------
-- A row is read with the plan, task, job, appeal or draw change it belongs to (entity
-- 'publication' names the job whose result was published), and by the user who wrote
-- it; it is written by the acting user, about something that user reads. Rows written
-- by SECURITY DEFINER functions (jobs of a confirmed draw or change) are the owner's.
CREATE FUNCTION twindraw_flow_entity_visible(p_entity text, p_id bigint, p_plans bigint[], p_tasks bigint[])
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN p_entity = 'plan' THEN p_id = ANY (p_plans)
    WHEN p_entity IN ('task', 'task_unit') THEN p_id = ANY (p_tasks)
    WHEN p_entity IN ('job', 'publication') THEN EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = p_id)
    WHEN p_entity = 'appeal' THEN EXISTS (SELECT 1 FROM result_appeal a WHERE a.id = p_id)
    WHEN p_entity = 'draw_change' THEN EXISTS (SELECT 1 FROM draw_change c WHERE c.id = p_id)
    ELSE false END
$$;
ALTER TABLE flow_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON flow_history FOR SELECT
  USING (user_id = (SELECT twindraw_user_id())
         OR twindraw_flow_entity_visible(entity, entity_id, (SELECT twindraw_visible_plans()), (SELECT twindraw_visible_tasks())));
CREATE POLICY data_scope_insert ON flow_history FOR INSERT
  WITH CHECK (user_id = (SELECT twindraw_user_id())
              AND twindraw_flow_entity_visible(entity, entity_id, (SELECT twindraw_visible_plans()), (SELECT twindraw_visible_tasks())));

-- --- Task completions (written by task_completion_refresh, SECURITY DEFINER) ----------
ALTER TABLE task_completion ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON task_completion FOR SELECT
  USING (task_id = ANY ((SELECT twindraw_visible_tasks())::bigint[])
         OR (task_id IS NULL AND EXISTS (SELECT 1 FROM draw d WHERE d.id = draw_id)));

-- --- Messages -----------------------------------------------------------------------
-- A message is read by its addressees (the user, or anyone holding an identity in the
-- addressed unit: messages.cpp) and its sender. Anyone sends (messages::send, as the
-- acting user: a result to review goes to another unit, a reply to the submitter); the
-- task-flow notices to people outside the actor's scope go through notify_message (0014,
-- SECURITY DEFINER). Recipients are added only to one's own message; read marks are
-- each user's own.
CREATE FUNCTION twindraw_own_units() RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT coalesce(array_agg(authority_id), '{}') FROM user_identity WHERE user_id = twindraw_user_id()
$$;
CREATE FUNCTION twindraw_message_sender(p_message bigint) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT sender_id FROM message WHERE id = p_message
$$;

ALTER TABLE message_recipient ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON message_recipient FOR SELECT
  USING (user_id = (SELECT twindraw_user_id()) OR unit_id = ANY ((SELECT twindraw_own_units())::bigint[]));
CREATE POLICY data_scope_insert ON message_recipient FOR INSERT
  WITH CHECK (twindraw_message_sender(message_id) = (SELECT twindraw_user_id()));

ALTER TABLE message ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON message FOR SELECT
  USING (sender_id = (SELECT twindraw_user_id())
         OR EXISTS (SELECT 1 FROM message_recipient r WHERE r.message_id = message.id));
CREATE POLICY data_scope_insert ON message FOR INSERT
  WITH CHECK (sender_id = (SELECT twindraw_user_id()));

ALTER TABLE message_read ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_marks ON message_read
  USING (user_id = (SELECT twindraw_user_id()))
  WITH CHECK (user_id = (SELECT twindraw_user_id()) AND EXISTS (SELECT 1 FROM message m WHERE m.id = message_id));

-- --- Feedback -----------------------------------------------------------------------
-- Its submitter reads it; the holders of system.feedback (the platform operators, the
-- permission of the acting identity's role) read, answer, close and delete every one.
CREATE FUNCTION twindraw_has_permission(p_permission text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT EXISTS (SELECT 1 FROM user_identity i JOIN role r ON r.id = i.role_id
                  WHERE i.id = nullif(current_setting('twindraw.identity_id', true), '')::bigint
                    AND i.user_id = twindraw_user_id() AND p_permission = ANY (r.permissions))
$$;
ALTER TABLE feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON feedback FOR SELECT
  USING (user_id = (SELECT twindraw_user_id()) OR (SELECT twindraw_has_permission('system.feedback')));
CREATE POLICY data_scope_insert ON feedback FOR INSERT
  WITH CHECK (user_id = (SELECT twindraw_user_id()) AND unit_id IS NOT DISTINCT FROM (SELECT twindraw_unit_id()));
CREATE POLICY data_scope_manage ON feedback FOR UPDATE
  USING ((SELECT twindraw_has_permission('system.feedback')))
  WITH CHECK ((SELECT twindraw_has_permission('system.feedback')));
CREATE POLICY data_scope_delete ON feedback FOR DELETE
  USING ((SELECT twindraw_has_permission('system.feedback')));

-- Scope 'all' (role twindraw_app_all, see 0006): every row.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['annual_plan', 'inspection_task', 'task_unit', 'flow_history', 'task_completion',
                           'message', 'message_recipient', 'message_read', 'feedback'] LOOP
    EXECUTE format('CREATE POLICY scope_all ON %I TO twindraw_app_all USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;
