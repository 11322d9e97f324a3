-- Appeals of accepted results and approved changes of a confirmed draw (JOB-5, WORK-9,
-- DRAW-6, DRAW-9, WORK-6; docs/appeals-changes.md).
--
-- An appeal (申诉) carries a reason, attachments, corrected findings and item results,
-- and a named reviewer; only that reviewer accepts or rejects it. Accepting replaces the
-- job's result; every version of the result stays in job_result_version (never updated).
-- A change of a confirmed draw (名单变更, 执法人员变更) is a request approved by the
-- department head (draw.change.approve). The draw's own rows never change (0009's
-- guards keep its published record verifiable): draw_change records each change next to
-- the draw, and the jobs follow the approved changes. The allowed transitions of both
-- machines live in workflows/appeals.cpp and workflows/draw-changes.cpp.

-- A job whose object left the list is cancelled (已取消).
ALTER TABLE inspection_job DROP CONSTRAINT inspection_job_state_check;
ALTER TABLE inspection_job ADD CONSTRAINT inspection_job_state_check
  CHECK (state IN ('pending', 'draft', 'submitted', 'returned', 'accepted', 'cancelled'));

-- 申诉: state pending 待复核 → accepted 申诉通过 | rejected 申诉驳回 | withdrawn 已撤回.
-- corrected: {result_category, qualified, findings, remarks, item_results} as proposed.
CREATE TABLE result_appeal (
  id           bigserial PRIMARY KEY,
  job_id       bigint NOT NULL REFERENCES inspection_job(id),
  unit_id      bigint REFERENCES authority(id),   -- the job's unit: data scope
  state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'rejected', 'withdrawn')),
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
  corrected    jsonb NOT NULL,
  reviewer_id  bigint NOT NULL REFERENCES app_user(id),
  filed_by     bigint REFERENCES app_user(id) ON DELETE SET NULL,
  filed_at     timestamptz NOT NULL DEFAULT now(),
  decided_by   bigint REFERENCES app_user(id) ON DELETE SET NULL,
  decided_at   timestamptz,
  opinion      text CHECK (length(opinion) <= 1000),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX result_appeal_job_idx ON result_appeal(job_id);
CREATE INDEX result_appeal_reviewer_idx ON result_appeal(reviewer_id, state);
-- At most one open appeal per job.
CREATE UNIQUE INDEX result_appeal_one_pending ON result_appeal(job_id) WHERE state = 'pending';
CREATE TRIGGER result_appeal_touch BEFORE UPDATE ON result_appeal FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Attachments of an appeal, stored by SHA-256 under <data dir>/job-files like a job's.
CREATE TABLE appeal_file (
  id           bigserial PRIMARY KEY,
  appeal_id    bigint NOT NULL REFERENCES result_appeal(id),
  filename     text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
  content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
  size         bigint NOT NULL CHECK (size > 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by  bigint REFERENCES app_user(id) ON DELETE SET NULL,
  uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appeal_file_appeal_idx ON appeal_file(appeal_id);

-- The versions of a job's result. When the first appeal is accepted, version 1 keeps the
-- result as it was accepted in review; each accepted appeal adds the next. Rows are never
-- changed or deleted.
CREATE TABLE job_result_version (
  id          bigserial PRIMARY KEY,
  job_id      bigint NOT NULL REFERENCES inspection_job(id),
  version_no  integer NOT NULL CHECK (version_no >= 1),
  source      text NOT NULL CHECK (source IN ('review', 'appeal')),
  appeal_id   bigint REFERENCES result_appeal(id),
  result      jsonb NOT NULL,
  created_by  bigint REFERENCES app_user(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (job_id, version_no),
  CHECK ((source = 'appeal') = (appeal_id IS NOT NULL))
);

CREATE FUNCTION append_only_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows cannot be changed or deleted', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER job_result_version_guard BEFORE UPDATE OR DELETE ON job_result_version
  FOR EACH ROW EXECUTE FUNCTION append_only_guard();

-- The users who may be named to review an appeal of a job of unit p_unit: active, with
-- an identity whose role grants result.review and whose data scope covers the unit.
-- SECURITY DEFINER: an inspector's own scope (self) does not see these accounts.
CREATE FUNCTION appeal_reviewers(p_unit bigint) RETURNS TABLE (user_id bigint, name text, unit_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT ON (u.id) u.id, u.name, a.name
    FROM user_identity ui JOIN role r ON r.id = ui.role_id JOIN app_user u ON u.id = ui.user_id
    JOIN authority a ON a.id = ui.authority_id
   WHERE u.active AND 'result.review' = ANY (r.permissions)
     AND p_unit IN (SELECT s.id FROM scope_units(ui.authority_id, r.data_scope) s)
   ORDER BY u.id, ui.is_default DESC
$$;

-- Data scope (SYS-8): an appeal is seen by the scopes holding its unit, by its named
-- reviewer and by the inspectors of the job's group (through inspection_job's own policy).
ALTER TABLE result_appeal ENABLE ROW LEVEL SECURITY;
CREATE POLICY result_appeal_rw ON result_appeal TO twindraw_app
  USING ((SELECT twindraw_scope_all())
         OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[])
         OR reviewer_id = (SELECT twindraw_user_id())
         OR EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = job_id
                     AND (SELECT twindraw_inspector_id()) = ANY (j.inspector_ids)))
  WITH CHECK ((SELECT twindraw_scope_all())
         OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[])
         OR reviewer_id = (SELECT twindraw_user_id())
         OR EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = job_id
                     AND (SELECT twindraw_inspector_id()) = ANY (j.inspector_ids)));

-- 变更: kind inspector (执法人员变更, DRAW-9/WORK-6) or object (名单变更, DRAW-6);
-- state pending 待审批 → approved 已批准 | refused 不予批准.
CREATE TABLE draw_change (
  id               bigserial PRIMARY KEY,
  draw_id          bigint NOT NULL REFERENCES draw(id),
  unit_id          bigint REFERENCES authority(id),   -- the drawing unit
  kind             text NOT NULL CHECK (kind IN ('inspector', 'object')),
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'refused')),
  reason_code      text NOT NULL CHECK (reason_code IN ('post_change', 'conflict', 'health', 'recusal',
                                                        'deregistered', 'revoked', 'moved_out', 'other')),
  reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  group_no         integer NOT NULL,
  old_inspector_id bigint REFERENCES inspector(id),
  new_inspector_id bigint REFERENCES inspector(id),
  object_kind      text CHECK (object_kind IN ('market_subject', 'venue', 'product')),
  old_object_id    bigint,
  new_object_id    bigint,
  new_stratum      text,
  jobs_changed     integer,               -- on approval: jobs given the new inspector
  cancelled_job_id bigint REFERENCES inspection_job(id),
  created_job_id   bigint REFERENCES inspection_job(id),
  requested_by     bigint REFERENCES app_user(id) ON DELETE SET NULL,
  requested_at     timestamptz NOT NULL DEFAULT now(),
  decided_by       bigint REFERENCES app_user(id) ON DELETE SET NULL,
  decided_at       timestamptz,
  opinion          text CHECK (length(opinion) <= 1000),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'inspector') = (old_inspector_id IS NOT NULL AND new_inspector_id IS NOT NULL)),
  CHECK ((kind = 'object') = (old_object_id IS NOT NULL AND object_kind IS NOT NULL))
);
CREATE INDEX draw_change_draw_idx ON draw_change(draw_id, id);
CREATE INDEX draw_change_state_idx ON draw_change(state, unit_id);
CREATE UNIQUE INDEX draw_change_pending_inspector ON draw_change(draw_id, old_inspector_id)
  WHERE state = 'pending' AND kind = 'inspector';
CREATE UNIQUE INDEX draw_change_pending_object ON draw_change(draw_id, old_object_id)
  WHERE state = 'pending' AND kind = 'object';
CREATE TRIGGER draw_change_touch BEFORE UPDATE ON draw_change FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- A decided change is final.
CREATE FUNCTION draw_change_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.state <> 'pending' THEN
    RAISE EXCEPTION 'draw change % cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER draw_change_guard BEFORE UPDATE OR DELETE ON draw_change FOR EACH ROW EXECUTE FUNCTION draw_change_guard();

-- Changes are published with the draw (its public page), so everybody reads them; only
-- the scopes holding the drawing unit write them.
ALTER TABLE draw_change ENABLE ROW LEVEL SECURITY;
CREATE POLICY draw_change_read ON draw_change FOR SELECT TO twindraw_app USING (true);
CREATE POLICY draw_change_insert ON draw_change FOR INSERT TO twindraw_app
  WITH CHECK ((SELECT twindraw_scope_all()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY draw_change_update ON draw_change FOR UPDATE TO twindraw_app
  USING ((SELECT twindraw_scope_all()) OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

-- The job of an object a list change adds (DRAW-6): like job_create_for_draw, for one
-- object and the group's current inspectors; the next free job number of the draw.
CREATE FUNCTION job_create_for_change(p_draw bigint, p_kind text, p_object bigint, p_group integer,
                                      p_inspectors bigint[], p_opinion text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public AS $$
DECLARE
  d record;
  n integer;
  jid bigint;
  notice text[];
BEGIN
  SELECT x.id, x.task_id, x.drawn_unit_id,
         CASE WHEN cardinality(coalesce(t.item_ids, '{}')) > 0 THEN t.item_ids
              WHEN x.item_id IS NOT NULL THEN ARRAY[x.item_id] ELSE '{}'::bigint[] END AS items
    INTO d FROM draw x LEFT JOIN inspection_task t ON t.id = x.task_id
   WHERE x.id = p_draw AND x.status = 'confirmed';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'draw % is not confirmed', p_draw USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  SELECT count(*) + 1 INTO n FROM inspection_job WHERE draw_id = p_draw;
  WHILE EXISTS (SELECT 1 FROM inspection_job WHERE job_no = 'JC' || p_draw || '-' || lpad(n::text, 4, '0')) LOOP
    n := n + 1;
  END LOOP;
  notice := job_advance_notice(p_kind, p_object, d.items);
  INSERT INTO inspection_job(job_no, draw_id, task_id, unit_id, object_kind, object_id, group_no, inspector_ids,
                             item_ids, advance_notice, notice_reason)
  VALUES ('JC' || p_draw || '-' || lpad(n::text, 4, '0'), p_draw, d.task_id, d.drawn_unit_id, p_kind, p_object,
          p_group, p_inspectors, d.items, notice[1], notice[2])
  RETURNING id INTO jid;
  INSERT INTO flow_history(entity, entity_id, action, from_state, to_state, opinion, user_id, unit_id)
  VALUES ('job', jid, 'create', NULL, 'pending', p_opinion, twindraw_user_id(), twindraw_unit_id());
  RETURN jid;
END $$;

SELECT audit_attach('result_appeal');
SELECT audit_attach('appeal_file');
SELECT audit_attach('job_result_version');
SELECT audit_attach('draw_change');

-- Permission draw.change.approve (catalogue: workflows/account-permissions.cpp) for the
-- department head and the administrators. Like 0009, the grant is schema, not a
-- person's change: the trail's capture triggers on role are off for it.
ALTER TABLE role DISABLE TRIGGER USER;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['draw.change.approve']) ORDER BY 1)
 WHERE code IN ('system_admin', 'district_admin', 'department_head') AND builtin;
ALTER TABLE role ENABLE TRIGGER USER;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT, INSERT, UPDATE ON result_appeal, draw_change TO twindraw_app;
    GRANT SELECT, INSERT ON appeal_file, job_result_version TO twindraw_app;
    REVOKE DELETE ON result_appeal, draw_change, appeal_file, job_result_version FROM twindraw_app;
    GRANT USAGE, SELECT ON SEQUENCE result_appeal_id_seq, appeal_file_id_seq, job_result_version_id_seq,
      draw_change_id_seq TO twindraw_app;
    GRANT EXECUTE ON FUNCTION appeal_reviewers(bigint),
      job_create_for_change(bigint, text, bigint, integer, bigint[], text) TO twindraw_app;
  END IF;
END $$;

-- The active accounts of inspectors (app_user.inspector_id), told when a change of the
-- draw concerns them; SECURITY DEFINER like notify_draw_inspectors (0014).
CREATE FUNCTION inspector_accounts(p_ids bigint[]) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT u.id FROM app_user u WHERE u.inspector_id = ANY (p_ids) AND u.active ORDER BY 1
$$;
GRANT EXECUTE ON FUNCTION inspector_accounts(bigint[]) TO PUBLIC;
