-- The department's work (部门工作): one approved task as one executing unit sees it, with
-- its progress, inspectors, objects and results; exported and urged (WORK-1, WORK-2,
-- WORK-4, WORK-5, TASK-7). docs/workflow.md "Department work".

-- A work is urged like a task: counted, the last time kept, a flow_history row each.
ALTER TABLE task_unit ADD COLUMN urge_count integer NOT NULL DEFAULT 0;
ALTER TABLE task_unit ADD COLUMN last_urged_at timestamptz;

-- The jobs of a work: the task's jobs drawn by the unit (or a unit below it) or carried
-- out by one of its inspectors: in a joint task one department draws and every
-- department's inspectors inspect. Invoker's rights: row-level security on
-- inspection_job and inspector applies to the caller.
CREATE FUNCTION work_job_ids(p_task bigint, p_unit bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
  WITH tree AS (SELECT id FROM scope_units(p_unit, 'unit_tree'))
  SELECT j.id FROM inspection_job j
   WHERE j.task_id = p_task
     AND (j.unit_id IN (SELECT id FROM tree)
          OR EXISTS (SELECT 1 FROM inspector i
                      WHERE i.id = ANY (j.inspector_ids) AND i.authority_id IN (SELECT id FROM tree)))
$$;

-- The name, USCC and address of a job's object, whatever its kind (invoker's rights).
CREATE FUNCTION job_object_head(p_kind text, p_id bigint, OUT name text, OUT uscc text, OUT address text)
LANGUAGE sql STABLE AS $$
  SELECT m.name, m.uscc, m.address FROM market_subject m WHERE p_kind = 'market_subject' AND m.id = p_id
  UNION ALL SELECT v.name, v.responsible_uscc, v.address FROM venue v WHERE p_kind = 'venue' AND v.id = p_id
  UNION ALL SELECT p.enterprise_name, p.uscc, p.address FROM product p WHERE p_kind = 'product' AND p.id = p_id
$$;

-- The departments of an approved joint task read its jobs (and so each sees its work's
-- progress), as they read each other's inspectors (0022). Read only: updates keep the
-- policy of 0013 (the drawing unit and the group's inspectors).
CREATE FUNCTION twindraw_joint_tasks() RETURNS bigint[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT coalesce(array_agg(DISTINCT t.id), '{}')
    FROM inspection_task t JOIN task_unit mine ON mine.task_id = t.id
   WHERE t.task_type = 'joint' AND t.state = 'approved'
     AND mine.authority_id = ANY (twindraw_scope_units())
$$;
CREATE POLICY inspection_job_read_joint ON inspection_job FOR SELECT TO twindraw_app
  USING (task_id = ANY ((SELECT twindraw_joint_tasks())::bigint[]));

-- The accounts of the inspectors with unfinished jobs (pending, draft, returned) of a
-- task, or of one work of it when p_unit is given: told when the task or the work is
-- urged. SECURITY DEFINER: the urging user's scope need not cover those accounts.
CREATE FUNCTION notify_job_inspectors(p_task bigint, p_unit bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH tree AS (SELECT id FROM scope_units(p_unit, 'unit_tree')),
  jobs AS (
    SELECT j.inspector_ids, j.unit_id FROM inspection_job j
     WHERE j.task_id = p_task AND j.state IN ('pending', 'draft', 'returned'))
  SELECT DISTINCT u.id
    FROM jobs j CROSS JOIN LATERAL unnest(j.inspector_ids) AS x(inspector_id)
    JOIN inspector i ON i.id = x.inspector_id
    JOIN app_user u ON u.inspector_id = i.id
   WHERE u.active
     AND (p_unit IS NULL OR j.unit_id IN (SELECT id FROM tree) OR i.authority_id IN (SELECT id FROM tree))
   ORDER BY 1
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT EXECUTE ON FUNCTION work_job_ids(bigint, bigint), job_object_head(text, bigint),
      twindraw_joint_tasks(), notify_job_inspectors(bigint, bigint) TO twindraw_app;
  END IF;
END $$;
