-- Joint tasks share their departments' inspectors (DRAW-4, DRAW-5, TASK-2).
--
-- 0006 lets a scoped actor read the inspectors of its own units and of cooperating
-- departments (authority kind 'cooperating'). A joint task can also join market bureaus
-- of different districts: 渝中区 initiates, 沙坪坝区 cooperates. Its draw takes the group
-- leaders from the initiating department and the members from every department of the
-- task (workflows/task-draw.cpp), and the draw runs in the drawer's request transaction
-- under row-level security, so a district-scoped assigner saw only its own district's
-- people: the other department's inspectors silently fell out of the pool.
--
-- The rule now: while a joint task is approved (the state in which it is received and
-- drawn), every department taking part in it (initiating, cooperating, executing) reads
-- the inspectors of all the task's departments and their sub-units. Single-department
-- tasks and other districts' people stay out of reach, and 'self' scopes still see none.
-- SECURITY DEFINER: the function reads task_unit and authority for the policy of
-- inspector whatever grants the acting role has on them; it only ever returns unit ids.

CREATE OR REPLACE FUNCTION twindraw_inspector_units() RETURNS bigint[]
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  v_units bigint[];
BEGIN
  IF twindraw_data_scope() IN ('', 'self') THEN
    RETURN '{}';
  END IF;
  v_units := twindraw_scope_units();
  RETURN v_units
      || ARRAY(SELECT id FROM authority WHERE kind = 'cooperating')
      || ARRAY(
           WITH RECURSIVE joint AS (
             SELECT DISTINCT other.authority_id AS id
               FROM inspection_task t
               JOIN task_unit mine ON mine.task_id = t.id
               JOIN task_unit other ON other.task_id = t.id
              WHERE t.task_type = 'joint' AND t.state = 'approved'
                AND mine.authority_id = ANY (v_units)
             UNION
             SELECT a.id FROM authority a JOIN joint j ON a.parent_id = j.id)
           SELECT id FROM joint);
END $$;
