-- The joint summary form (联合检查汇总表 / 联合总表) of a joint task (JOB-3, last clause;
-- docs/joint-summary.md).
--
-- Per job, not per task: seed 000 lists it in "提交检查结果" (and again in the appeal) of a
-- job — "如果是联合任务牵头部门，应上传联合总表" — and seed 002 has the group summarise and
-- confirm form F.1 of each inspected object, signed by every member of the joint group
-- ("检查人员汇总确认部门联合抽查情况记录表内容，并由检查组全体成员签字确认"). So each job
-- of a joint task (one object, one joint group) gets its summary, uploaded by the lead
-- (initiating) department once the group's record is final (the result submitted or
-- accepted); the task page lists them all.
--
-- Rows are versions: a replacement adds the next version_no, nothing is changed or
-- deleted. The file lives in the content store (workflows/file-store.*).
CREATE TABLE joint_summary (
  id             bigserial PRIMARY KEY,
  task_id        bigint NOT NULL REFERENCES inspection_task(id),
  job_id         bigint NOT NULL REFERENCES inspection_job(id),
  version_no     integer NOT NULL CHECK (version_no >= 1),
  filename       text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
  content_type   text NOT NULL CHECK (content_type IN (
                   'application/pdf', 'image/jpeg', 'image/png',
                   'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')),
  size           bigint NOT NULL CHECK (size > 0),
  sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  summary_date   date NOT NULL,                                           -- 汇总日期
  conclusion     text NOT NULL CHECK (length(conclusion) BETWEEN 1 AND 200), -- 检查结论
  summary        text NOT NULL DEFAULT '' CHECK (length(summary) <= 2000),   -- 汇总情况
  department_ids bigint[] NOT NULL DEFAULT '{}',  -- 参与部门: the task's departments when uploaded
  job_state      text NOT NULL,                   -- the job's state when uploaded
  uploaded_by    bigint REFERENCES app_user(id) ON DELETE SET NULL,
  uploaded_unit  bigint REFERENCES authority(id),
  uploaded_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (job_id, version_no)
);
CREATE INDEX joint_summary_task_idx ON joint_summary(task_id, job_id);

-- Whether the transaction's user belongs to the lead (initiating) department of the task:
-- its unit is the initiating authority or a unit below it. SECURITY DEFINER: reads the
-- task and the unit tree whatever the caller's row-level scope.
CREATE FUNCTION joint_summary_is_lead(p_task bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM inspection_task t
     WHERE t.id = p_task AND t.task_type = 'joint'
       AND twindraw_unit_id() IN (SELECT id FROM scope_units(t.initiating_authority_id, 'unit_tree')))
$$;

-- Whether the caller's data scope sees the joint task: the rule of the task pages
-- (workflows/flow-tasks.cpp `visible`): initiated by a unit of the scope, or approved and
-- carried out by one.
CREATE FUNCTION joint_summary_task_visible(p_task bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT twindraw_scope_all() OR EXISTS (
    SELECT 1 FROM inspection_task t
     WHERE t.id = p_task
       AND (t.initiating_authority_id = ANY (twindraw_scope_units())
            OR (t.state = 'approved' AND EXISTS (
                  SELECT 1 FROM task_unit u WHERE u.task_id = t.id AND u.authority_id = ANY (twindraw_scope_units())))))
$$;

-- The jobs of a joint task as every department of it lists them for the summaries,
-- whoever drew them and whichever department's inspectors carry them out (the job rows
-- themselves stay under their own policies, 0013 and 0023). Empty when the caller does
-- not see the task.
CREATE FUNCTION joint_summary_jobs(p_task bigint)
  RETURNS TABLE (job_id bigint, job_no text, state text, object_name text, inspected_on date, result_category text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT j.id, j.job_no, j.state, h.name, j.inspected_on, j.result_category
    FROM inspection_job j LEFT JOIN LATERAL job_object_head(j.object_kind, j.object_id) h ON true
   WHERE j.task_id = p_task AND joint_summary_task_visible(p_task)
   ORDER BY j.job_no
$$;

-- One job for an upload, locked so that versions are numbered one at a time and the
-- state cannot change underneath: its task, state, number and the task's type (NULL
-- row when there is no such job or the caller does not see its task).
CREATE FUNCTION joint_summary_lock_job(p_job bigint)
  RETURNS TABLE (task_id bigint, state text, job_no text, task_type text, task_name text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT j.task_id, j.state, j.job_no, t.task_type, t.name
    FROM inspection_job j JOIN inspection_task t ON t.id = j.task_id
   WHERE j.id = p_job AND joint_summary_task_visible(j.task_id)
     FOR UPDATE OF j
$$;

-- Read by every department of the task (and scope all); written only by the lead
-- department's staff; never changed or deleted.
ALTER TABLE joint_summary ENABLE ROW LEVEL SECURITY;
CREATE POLICY joint_summary_read ON joint_summary FOR SELECT TO twindraw_app
  USING (joint_summary_task_visible(task_id));
CREATE POLICY joint_summary_insert ON joint_summary FOR INSERT TO twindraw_app
  WITH CHECK (joint_summary_is_lead(task_id));

SELECT audit_attach('joint_summary');

-- Permission joint.summary.upload (catalogue: workflows/account-permissions.cpp) for the
-- staff roles that see the task page; whose department leads is checked per task. Like
-- 0009, a grant in the schema, not a person's change: no trail rows.
ALTER TABLE role DISABLE TRIGGER USER;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['joint.summary.upload']) ORDER BY 1)
 WHERE code IN ('system_admin', 'district_admin', 'task_assigner', 'department_head') AND builtin;
ALTER TABLE role ENABLE TRIGGER USER;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT, INSERT ON joint_summary TO twindraw_app;
    REVOKE UPDATE, DELETE ON joint_summary FROM twindraw_app;
    GRANT USAGE, SELECT ON SEQUENCE joint_summary_id_seq TO twindraw_app;
    GRANT EXECUTE ON FUNCTION joint_summary_is_lead(bigint), joint_summary_task_visible(bigint),
      joint_summary_jobs(bigint), joint_summary_lock_job(bigint) TO twindraw_app;
  END IF;
END $$;
