-- 无照查看 on the phone (NET-1): the list from the phone's position is ordered nearest
-- first in SQL by `geom::geography <-> point` (distance on the sphere, in metres, the
-- one shown). The GiST index on geom (0026) orders by planar degrees, which at 29.5°N
-- ranks 0.009° north (1,000 m) before 0.010° east (967 m); this index on the geography
-- lets the same KNN ORDER BY walk the index in true distance order (workflows/unlicensed.cpp list).
CREATE INDEX unlicensed_business_geog_idx ON unlicensed_business USING gist ((geom::geography));

-- The joint summary form (JOB-3) on the job page (我的检查, GET /api/jobs/{id}/joint-summary):
-- the job's own group reads the summary of its job. Seed 002 §形成检查结果: the group
-- summarises the record and every member signs it ("由检查组全体成员签字确认"), so the
-- members read what they signed, although their scope (self) does not see the task pages
-- (0025's policy). The job is read under its own policies, as the caller.
CREATE POLICY joint_summary_read_group ON joint_summary FOR SELECT TO twindraw_app
  USING (EXISTS (SELECT 1 FROM inspection_job j
                  WHERE j.id = joint_summary.job_id AND (SELECT twindraw_inspector_id()) = ANY (j.inspector_ids)));
