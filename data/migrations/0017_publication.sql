-- Publication of accepted results (PUB-1..3, docs/publication.md). A task completes when
-- every job of it is accepted (task_completion, kept by a trigger on inspection_job); each
-- accepted result of a completed task is published within 20 working days of the
-- completion date (the deadline is counted by twindraw::calendar in C++ and frozen on the
-- publication row). What the public pages show is the snapshot below, never the live
-- job, task or registry rows: nothing unpublished can leak through a join. A published
-- result changes only through a correction approved by the department head; every
-- version stays stored (result_version).

-- 任务完成: one row per task whose jobs are all accepted; a draw made without a task
-- counts as its own task. completed_on is the China date of the last acceptance.
CREATE TABLE task_completion (
  id            bigserial PRIMARY KEY,
  task_id       bigint UNIQUE REFERENCES inspection_task(id),
  draw_id       bigint UNIQUE REFERENCES draw(id),
  jobs          integer NOT NULL CHECK (jobs > 0),
  completed_at  timestamptz NOT NULL,
  completed_on  date NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((task_id IS NULL) <> (draw_id IS NULL))
);

-- Recomputes the completion of one task (or of one task-less draw) from its jobs: all
-- accepted → the row (re)written with the latest acceptance; otherwise no row. Runs as
-- the owner: the accepting reviewer's data scope need not hold every job of a joint task.
CREATE FUNCTION task_completion_refresh(p_task bigint, p_draw bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  n bigint; open bigint; last timestamptz;
BEGIN
  SELECT count(*), count(*) FILTER (WHERE state <> 'accepted'), max(reviewed_at)
    INTO n, open, last
    FROM inspection_job
   WHERE (p_task IS NOT NULL AND task_id = p_task) OR (p_task IS NULL AND task_id IS NULL AND draw_id = p_draw);
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

-- Statement-level with transition tables: a draw confirmation inserting thousands of jobs
-- recomputes its task once, not once per job.
CREATE FUNCTION task_completion_on_job() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM task_completion_refresh(k.task_id, k.draw_id)
       FROM (SELECT DISTINCT task_id, CASE WHEN task_id IS NULL THEN draw_id END AS draw_id FROM new_rows) k;
  ELSE
    PERFORM task_completion_refresh(k.task_id, k.draw_id)
       FROM (SELECT DISTINCT n.task_id, CASE WHEN n.task_id IS NULL THEN n.draw_id END AS draw_id
               FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE n.state IS DISTINCT FROM o.state OR n.task_id IS DISTINCT FROM o.task_id
                 OR n.reviewed_at IS DISTINCT FROM o.reviewed_at
             UNION
             SELECT DISTINCT o.task_id, CASE WHEN o.task_id IS NULL THEN o.draw_id END
               FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE n.task_id IS DISTINCT FROM o.task_id) k;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER inspection_job_completion_insert AFTER INSERT ON inspection_job
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION task_completion_on_job();
CREATE TRIGGER inspection_job_completion_update AFTER UPDATE ON inspection_job
  REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION task_completion_on_job();

-- The tasks already complete when this migration runs (none on a fresh database, so no
-- audit rows there: the trail is attached after).
SELECT task_completion_refresh(k.task_id, k.draw_id)
  FROM (SELECT DISTINCT task_id, CASE WHEN task_id IS NULL THEN draw_id END AS draw_id FROM inspection_job) k;

-- 结果公示: one row per published result. The snapshot columns are what the public sees.
CREATE TABLE result_publication (
  id                    bigserial PRIMARY KEY,
  job_id                bigint NOT NULL UNIQUE REFERENCES inspection_job(id),
  unit_id               bigint REFERENCES authority(id),   -- the job's unit: data scope
  task_id               bigint REFERENCES inspection_task(id),
  draw_id               bigint NOT NULL REFERENCES draw(id),
  state                 text NOT NULL DEFAULT 'published' CHECK (state IN ('published', 'correcting')),
  version               integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  completed_on          date NOT NULL,
  deadline              date NOT NULL,
  deadline_provisional  boolean NOT NULL,
  late                  boolean NOT NULL,
  published_on          date NOT NULL,
  published_at          timestamptz NOT NULL DEFAULT now(),
  published_by          bigint REFERENCES app_user(id) ON DELETE SET NULL,
  -- the public snapshot, frozen at publication
  job_no                text NOT NULL,
  object_kind           text NOT NULL,
  enterprise_name       text NOT NULL,
  uscc                  text,
  division_code         text,
  district_name         text,
  task_name             text NOT NULL,
  unit_name             text,
  inspected_on          date,
  inspectors            jsonb NOT NULL DEFAULT '[]'   -- [{name, certificate_no}] only
);
CREATE INDEX result_publication_unit_idx ON result_publication(unit_id, state);
CREATE INDEX result_publication_published_idx ON result_publication(published_on DESC, id DESC);
CREATE INDEX result_publication_task_idx ON result_publication(task_id, draw_id);

-- The public snapshot of a job: enterprise (name, USCC, county), task (or the draw's
-- title), the drawing unit, the inspection date and the group's inspectors (names and
-- law-enforcement certificate numbers only). Runs as the owner: the publisher has been
-- checked to see the job; the registry rows of its object may lie outside their scope.
CREATE FUNCTION result_snapshot(p_job bigint) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT jsonb_build_object(
    'enterprise_name', o.name, 'uscc', o.uscc, 'division_code', left(o.division_code, 6),
    'district_name', dv.name, 'task_name', coalesce(t.name, d.title), 'unit_name', a.name,
    'inspectors', coalesce((SELECT jsonb_agg(jsonb_build_object('name', i.name, 'certificate_no', i.certificate_no)
                                             ORDER BY array_position(j.inspector_ids, i.id))
                              FROM inspector i WHERE i.id = ANY (j.inspector_ids)), '[]'::jsonb))
    FROM inspection_job j
    JOIN draw d ON d.id = j.draw_id
    LEFT JOIN inspection_task t ON t.id = j.task_id
    LEFT JOIN authority a ON a.id = j.unit_id
    LEFT JOIN LATERAL (
      SELECT m.name, m.uscc, m.division_code FROM market_subject m WHERE j.object_kind = 'market_subject' AND m.id = j.object_id
      UNION ALL SELECT v.name, v.responsible_uscc, v.division_code FROM venue v WHERE j.object_kind = 'venue' AND v.id = j.object_id
      UNION ALL SELECT p.enterprise_name, p.uscc, p.division_code FROM product p WHERE j.object_kind = 'product' AND p.id = j.object_id
    ) o ON true
    LEFT JOIN division dv ON dv.code = left(o.division_code, 6)
   WHERE j.id = p_job
$$;

-- Every published version of a result: version 1 at publication, one more per approved
-- correction. The current one is result_publication.version.
CREATE TABLE result_version (
  id                     bigserial PRIMARY KEY,
  publication_id         bigint NOT NULL REFERENCES result_publication(id),
  version                integer NOT NULL CHECK (version >= 1),
  result_category        text NOT NULL CHECK (length(result_category) <= 40),
  result_category_label  text NOT NULL CHECK (length(result_category_label) <= 100),
  qualified              boolean,
  findings               text CHECK (length(findings) <= 5000),
  correction_id          bigint,   -- the approved correction that made it (NULL: as published)
  created_at             timestamptz NOT NULL DEFAULT now(),
  UNIQUE (publication_id, version)
);

-- 更正申请 (PUB-3): requested by the publishing staff, decided by the department head.
CREATE TABLE result_correction (
  id               bigserial PRIMARY KEY,
  publication_id   bigint NOT NULL REFERENCES result_publication(id),
  unit_id          bigint REFERENCES authority(id),
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'refused')),
  from_version     integer NOT NULL,
  reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  result_category  text NOT NULL CHECK (length(result_category) <= 40),
  qualified        boolean,
  findings         text CHECK (length(findings) <= 5000),
  requested_by     bigint REFERENCES app_user(id) ON DELETE SET NULL,
  requested_at     timestamptz NOT NULL DEFAULT now(),
  decided_by       bigint REFERENCES app_user(id) ON DELETE SET NULL,
  decided_at       timestamptz,
  opinion          text CHECK (length(opinion) <= 1000)
);
CREATE INDEX result_correction_pub_idx ON result_correction(publication_id, id);
CREATE UNIQUE INDEX result_correction_one_pending ON result_correction(publication_id) WHERE state = 'pending';
ALTER TABLE result_version ADD CONSTRAINT result_version_correction_fkey
  FOREIGN KEY (correction_id) REFERENCES result_correction(id);

-- Data scope (SYS-8): the units of the actor's scope see their publications and
-- corrections (public reads run without an actor, on the snapshot only).
ALTER TABLE result_publication ENABLE ROW LEVEL SECURITY;
CREATE POLICY result_publication_read ON result_publication FOR SELECT TO twindraw_app
  USING ((SELECT twindraw_scope_all()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY result_publication_insert ON result_publication FOR INSERT TO twindraw_app
  WITH CHECK ((SELECT twindraw_scope_all()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY result_publication_update ON result_publication FOR UPDATE TO twindraw_app
  USING ((SELECT twindraw_scope_all()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
ALTER TABLE result_correction ENABLE ROW LEVEL SECURITY;
CREATE POLICY result_correction_read ON result_correction FOR SELECT TO twindraw_app
  USING ((SELECT twindraw_scope_all()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY result_correction_insert ON result_correction FOR INSERT TO twindraw_app
  WITH CHECK ((SELECT twindraw_scope_all()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY result_correction_update ON result_correction FOR UPDATE TO twindraw_app
  USING ((SELECT twindraw_scope_all()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
ALTER TABLE result_version ENABLE ROW LEVEL SECURITY;
CREATE POLICY result_version_read ON result_version FOR SELECT TO twindraw_app
  USING (EXISTS (SELECT 1 FROM result_publication p WHERE p.id = publication_id));
CREATE POLICY result_version_insert ON result_version FOR INSERT TO twindraw_app
  WITH CHECK (EXISTS (SELECT 1 FROM result_publication p WHERE p.id = publication_id));

SELECT audit_attach(t::regclass)
  FROM unnest(ARRAY['task_completion', 'result_publication', 'result_version', 'result_correction']) AS t;

-- Permissions (catalogue: workflows/account-permissions.cpp): publish.manage exists since
-- 0004; approving a correction is the department head's (PUB-3). Not written to the trail,
-- like the role updates of 0008.
ALTER TABLE role DISABLE TRIGGER USER;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['result.correct.approve']) ORDER BY 1)
 WHERE code IN ('system_admin', 'department_head');
ALTER TABLE role ENABLE TRIGGER USER;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT ON task_completion TO twindraw_app;
    GRANT SELECT, INSERT, UPDATE ON result_publication, result_correction TO twindraw_app;
    GRANT SELECT, INSERT ON result_version TO twindraw_app;
    REVOKE DELETE ON result_publication, result_version, result_correction FROM twindraw_app;
    GRANT USAGE, SELECT ON SEQUENCE result_publication_id_seq, result_version_id_seq, result_correction_id_seq
      TO twindraw_app;
    GRANT EXECUTE ON FUNCTION task_completion_refresh(bigint, bigint), result_snapshot(bigint) TO twindraw_app;
  END IF;
END $$;
