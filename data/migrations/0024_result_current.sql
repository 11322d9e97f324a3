-- One current result per job, one history of it (PUB-3, JOB-5, WORK-9, STAT-3;
-- docs/publication.md "The job's current result", docs/appeals-changes.md).
--
-- The rule: the result columns of inspection_job (result_category, qualified, findings,
-- remarks, item_results) are always the job's CURRENT result, and whatever changes an
-- accepted result — an accepted appeal (申诉, before publication) or an approved
-- correction of the published result (更正, after publication) — changes them through
-- job_result_change() in the same transaction, appending the new version to
-- job_result_version. So the statistics (workflows/stats.cpp), the department's work
-- (0023), result_point and the results/heat tile layers (0019, kept by triggers on
-- inspection_job) all count the current version. job_result_version is the job's one
-- history (review → appeals → corrections); result_version (0017) stays the record of
-- what was published (version 1 at publication, one per approved correction), read by
-- the public pages, which show every published version.

-- A version may come from an approved correction of the published result.
ALTER TABLE job_result_version DROP CONSTRAINT job_result_version_source_check;
ALTER TABLE job_result_version ADD CONSTRAINT job_result_version_source_check
  CHECK (source IN ('review', 'appeal', 'correction'));
ALTER TABLE job_result_version ADD COLUMN correction_id bigint REFERENCES result_correction(id);
ALTER TABLE job_result_version ADD CONSTRAINT job_result_version_correction_check
  CHECK ((source = 'correction') = (correction_id IS NOT NULL));
CREATE INDEX job_result_version_correction_idx ON job_result_version(correction_id) WHERE correction_id IS NOT NULL;

-- The stored form of a job's result (the keys of 0018's versions).
CREATE FUNCTION job_result_snapshot(p_job bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public AS $$
  SELECT jsonb_build_object('inspected_on', to_char(j.inspected_on, 'YYYY-MM-DD'), 'place', j.place,
                            'result_category', j.result_category, 'qualified', j.qualified, 'findings', j.findings,
                            'remarks', j.remarks, 'item_results', j.item_results)
    FROM inspection_job j WHERE j.id = p_job
$$;

-- The one way an accepted result changes. p_changes holds the fields to replace (keys
-- result_category, qualified, findings, remarks, item_results; a key absent keeps the
-- value). The first change stores version 1 = the result as the review accepted it;
-- each change appends the next version. Returns the new version number. Invoker's
-- rights: the caller's row-level security applies to the job.
CREATE FUNCTION job_result_change(p_job bigint, p_source text, p_appeal bigint, p_correction bigint,
                                  p_changes jsonb, p_user bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = public AS $$
DECLARE
  v_state text;
  v_reviewer bigint;
  n integer;
BEGIN
  IF p_source NOT IN ('appeal', 'correction') THEN
    RAISE EXCEPTION 'job_result_change: source % is not a change', p_source USING ERRCODE = 'check_violation';
  END IF;
  SELECT state, reviewed_by INTO v_state, v_reviewer FROM inspection_job WHERE id = p_job FOR UPDATE;
  IF NOT FOUND OR v_state <> 'accepted' THEN
    RAISE EXCEPTION 'job % has no accepted result to change', p_job USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  SELECT coalesce(max(version_no), 0) INTO n FROM job_result_version WHERE job_id = p_job;
  IF n = 0 THEN
    INSERT INTO job_result_version(job_id, version_no, source, result, created_by)
    VALUES (p_job, 1, 'review', job_result_snapshot(p_job), v_reviewer);
    n := 1;
  END IF;
  UPDATE inspection_job SET
    result_category = CASE WHEN p_changes ? 'result_category' THEN p_changes->>'result_category' ELSE result_category END,
    qualified = CASE WHEN p_changes ? 'qualified' THEN (p_changes->>'qualified')::boolean ELSE qualified END,
    findings = CASE WHEN p_changes ? 'findings' THEN p_changes->>'findings' ELSE findings END,
    remarks = CASE WHEN p_changes ? 'remarks' THEN p_changes->>'remarks' ELSE remarks END,
    item_results = CASE WHEN p_changes ? 'item_results' AND jsonb_typeof(p_changes->'item_results') = 'array'
                        THEN p_changes->'item_results' ELSE item_results END
   WHERE id = p_job;
  INSERT INTO job_result_version(job_id, version_no, source, appeal_id, correction_id, result, created_by)
  VALUES (p_job, n + 1, p_source, p_appeal, p_correction, job_result_snapshot(p_job), p_user);
  RETURN n + 1;
END $$;

-- Whether a job's result is published (an inspector's data scope does not see
-- result_publication; only the fact is returned).
CREATE FUNCTION job_is_published(p_job bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT EXISTS (SELECT 1 FROM result_publication WHERE job_id = p_job)
$$;

-- A job cancelled by an approved list change (0018: its object left the list) is no
-- longer part of the task: the task completes when every other job is accepted (before,
-- one removed object kept its task incomplete, so none of its results could be published).
CREATE OR REPLACE FUNCTION task_completion_refresh(p_task bigint, p_draw bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  n bigint; open bigint; last timestamptz;
BEGIN
  SELECT count(*), count(*) FILTER (WHERE state <> 'accepted'), max(reviewed_at)
    INTO n, open, last
    FROM inspection_job
   WHERE ((p_task IS NOT NULL AND task_id = p_task) OR (p_task IS NULL AND task_id IS NULL AND draw_id = p_draw))
     AND state <> 'cancelled';
  IF n > 0 AND open = 0 THEN
    last := coalesce(last, now());
    IF p_task IS NOT NULL THEN
      INSERT INTO task_completion(task_id, jobs, completed_at, completed_on)
      VALUES (p_task, n, last, (last AT TIME ZONE 'Asia/Shanghai')::date)
      ON CONFLICT (task_id) DO UPDATE SET jobs = EXCLUDED.jobs, completed_at = EXCLUDED.completed_at,
        completed_on = EXCLUDED.completed_on, recorded_at = now()
      WHERE task_completion.completed_at IS DISTINCT FROM EXCLUDED.completed_at OR task_completion.jobs <> EXCLUDED.jobs;
    ELSE
      INSERT INTO task_completion(draw_id, jobs, completed_at, completed_on)
      VALUES (p_draw, n, last, (last AT TIME ZONE 'Asia/Shanghai')::date)
      ON CONFLICT (draw_id) DO UPDATE SET jobs = EXCLUDED.jobs, completed_at = EXCLUDED.completed_at,
        completed_on = EXCLUDED.completed_on, recorded_at = now()
      WHERE task_completion.completed_at IS DISTINCT FROM EXCLUDED.completed_at OR task_completion.jobs <> EXCLUDED.jobs;
    END IF;
  ELSIF p_task IS NOT NULL THEN
    DELETE FROM task_completion WHERE task_id = p_task;
  ELSE
    DELETE FROM task_completion WHERE draw_id = p_draw;
  END IF;
END $$;
SELECT task_completion_refresh(k.task_id, k.draw_id)
  FROM (SELECT DISTINCT task_id, CASE WHEN task_id IS NULL THEN draw_id END AS draw_id
          FROM inspection_job WHERE state = 'cancelled') k;

-- Databases where corrections were approved before this migration: the jobs take the
-- corrected results (nothing to do on a fresh database, so no audit rows there).
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT rc.id, p.job_id, rc.result_category, rc.qualified, rc.findings, rc.decided_by
             FROM result_correction rc JOIN result_publication p ON p.id = rc.publication_id
             JOIN inspection_job j ON j.id = p.job_id AND j.state = 'accepted'
            WHERE rc.state = 'approved'
            ORDER BY rc.decided_at, rc.id LOOP
    PERFORM job_result_change(c.job_id, 'correction', NULL, c.id,
                              jsonb_build_object('result_category', c.result_category, 'qualified', c.qualified,
                                                 'findings', c.findings), c.decided_by);
  END LOOP;
END $$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT EXECUTE ON FUNCTION job_result_snapshot(bigint), job_result_change(bigint, text, bigint, bigint, jsonb, bigint),
      job_is_published(bigint) TO twindraw_app;
  END IF;
END $$;
