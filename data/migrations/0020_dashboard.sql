-- The leaders' view (issue 5, PORTAL-1, STAT-3): permission stats.read for the statistics
-- of workflows/stats.cpp, a district leader role, and the index the per-day count reads.
-- No new table: every number is an aggregate over plans, tasks, task_unit and
-- inspection_job, read under the row-level security those tables already have.

-- Done inspections of a year (state submitted or accepted, by inspection date).
CREATE INDEX inspection_job_done_idx ON inspection_job(inspected_on)
  WHERE state IN ('submitted', 'accepted');

-- Built-in roles are schema, not a person's change (as in 0009 and 0015): the trail's
-- capture triggers on role are off for these statements, so a fresh database keeps an
-- empty trail. 区县领导: the read-only leader of one district (scope 'district').
ALTER TABLE role DISABLE TRIGGER USER;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['stats.read']) ORDER BY 1)
 WHERE code IN ('system_admin', 'district_admin', 'department_head', 'leader') AND builtin;
INSERT INTO role(code, name, description, permissions, data_scope, builtin)
SELECT 'district_leader', '区县领导', '只读查看本区县数据与统计（领导驾驶舱）',
       ARRAY['plan.read', 'registry.read', 'stats.read', 'task.read'], 'district', true
 WHERE NOT EXISTS (SELECT 1 FROM role WHERE code = 'district_leader');
ALTER TABLE role ENABLE TRIGGER USER;
