-- Inspection jobs and their results (JOB-1..9, WORK-7): every object of a confirmed draw
-- becomes one job of its group, made in the confirmation's transaction
-- (workflows/job-create.cpp); the group's inspectors record form F.1 of seed 002 and
-- submit; a reviewer accepts or returns. The allowed transitions live in
-- workflows/job-states.cpp; the CHECK below only keeps the state inside its machine.

-- JOB-8: advance notice is given except where the law forbids it (food production and
-- sale, catering, edible farm-product markets, work safety). Kept as data: an industry
-- division (GB/T 4754, two digits) of the object, or a word in the inspection item's
-- domain or name.
CREATE TABLE advance_notice_rule (
  id       bigserial PRIMARY KEY,
  kind     text NOT NULL CHECK (kind IN ('industry', 'item_word')),
  pattern  text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 50),
  reason   text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
  UNIQUE (kind, pattern)
);
INSERT INTO advance_notice_rule(kind, pattern, reason) VALUES
  ('industry', '13', '农副食品加工（食品生产）依法不予提前告知'),
  ('industry', '14', '食品制造（食品生产）依法不予提前告知'),
  ('industry', '15', '酒、饮料和精制茶制造（食品生产）依法不予提前告知'),
  ('industry', '62', '餐饮服务依法不予提前告知'),
  ('item_word', '食品', '食品生产和销售检查依法不予提前告知'),
  ('item_word', '餐饮', '餐饮服务检查依法不予提前告知'),
  ('item_word', '食用农产品', '食用农产品交易市场检查依法不予提前告知'),
  ('item_word', '安全生产', '安全生产检查依法不予提前告知');

-- The notice rule for an object and the items: {'required'|'forbidden', reason}. Reads
-- the registry as the owner: the confirming user need not see every drawn object.
CREATE FUNCTION job_advance_notice(p_kind text, p_object bigint, p_items bigint[]) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  WITH obj AS (
    SELECT industry_code FROM market_subject WHERE p_kind = 'market_subject' AND id = p_object
    UNION ALL SELECT industry_code FROM venue WHERE p_kind = 'venue' AND id = p_object
    UNION ALL SELECT industry_code FROM product WHERE p_kind = 'product' AND id = p_object),
  hit AS (
    SELECT r.id, r.reason FROM advance_notice_rule r JOIN obj ON r.kind = 'industry' AND obj.industry_code = r.pattern
    UNION ALL
    SELECT r.id, r.reason FROM advance_notice_rule r JOIN inspection_item i ON i.id = ANY (p_items)
     WHERE r.kind = 'item_word' AND strpos(i.domain || ' ' || i.name, r.pattern) > 0)
  SELECT CASE WHEN EXISTS (SELECT 1 FROM hit)
              THEN ARRAY['forbidden', (SELECT reason FROM hit ORDER BY id LIMIT 1)]
              ELSE ARRAY['required', '检查前应以书面、电话或传真等形式告知检查时间及配合要求'] END
$$;

-- 检查作业: one drawn object for one group. inspector_ids are the group's inspectors
-- (leader first); item_ids the inspection items of the task (or of the draw).
CREATE TABLE inspection_job (
  id               bigserial PRIMARY KEY,
  job_no           text NOT NULL UNIQUE,
  draw_id          bigint NOT NULL REFERENCES draw(id),
  task_id          bigint REFERENCES inspection_task(id),
  unit_id          bigint REFERENCES authority(id),   -- the drawing unit: reviewers' data scope
  object_kind      text NOT NULL CHECK (object_kind IN ('market_subject', 'venue', 'product')),
  object_id        bigint NOT NULL,
  group_no         integer NOT NULL,
  inspector_ids    bigint[] NOT NULL DEFAULT '{}',
  item_ids         bigint[] NOT NULL DEFAULT '{}',
  advance_notice   text NOT NULL CHECK (advance_notice IN ('required', 'forbidden')),
  notice_reason    text NOT NULL DEFAULT '',
  state            text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'draft', 'submitted', 'returned', 'accepted')),
  -- form F.1 and the result (JOB-3, JOB-6, JOB-9)
  inspected_on     date,
  place            text CHECK (length(place) <= 300),
  result_category  text CHECK (length(result_category) <= 40),  -- dict_entry code of 检查结果类别
  qualified        boolean,
  findings         text CHECK (length(findings) <= 5000),
  remarks          text CHECK (length(remarks) <= 2000),
  item_results     jsonb NOT NULL DEFAULT '[]',   -- [{item_id, content, finding, qualified}]
  notice_given     text CHECK (length(notice_given) <= 300),  -- how and when notice was given
  signature_refused boolean NOT NULL DEFAULT false,
  refusal_note     text CHECK (length(refusal_note) <= 1000),
  submitted_by     bigint REFERENCES app_user(id) ON DELETE SET NULL,
  submitted_at     timestamptz,
  reviewed_by      bigint REFERENCES app_user(id) ON DELETE SET NULL,
  reviewed_at      timestamptz,
  review_opinion   text CHECK (length(review_opinion) <= 1000),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (draw_id, object_kind, object_id)
);
CREATE INDEX inspection_job_inspectors_idx ON inspection_job USING gin(inspector_ids);
CREATE INDEX inspection_job_unit_idx ON inspection_job(unit_id, state);
CREATE INDEX inspection_job_task_idx ON inspection_job(task_id);
CREATE TRIGGER inspection_job_touch BEFORE UPDATE ON inspection_job FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Photos, files and the signature of a job, stored by SHA-256 under the data dir.
CREATE TABLE job_file (
  id           bigserial PRIMARY KEY,
  job_id       bigint NOT NULL REFERENCES inspection_job(id),
  kind         text NOT NULL CHECK (kind IN ('photo', 'file', 'signature')),
  filename     text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
  content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
  size         bigint NOT NULL CHECK (size > 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by  bigint REFERENCES app_user(id) ON DELETE SET NULL,
  uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_file_job_idx ON job_file(job_id);

-- The inspector row of the transaction's user (NULL when none).
CREATE FUNCTION twindraw_inspector_id() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  SELECT inspector_id FROM app_user WHERE id = twindraw_user_id()
$$;

-- JOB-1: one job per drawn object of a confirmed draw, for its group (inspectors leader
-- first), with the task's items (or the draw's item) and the notice rule; one flow
-- history row each. Called by the draw confirmation in its transaction; runs as the
-- owner so that the confirming user's data scope does not matter. Idempotent.
CREATE FUNCTION job_create_for_draw(p_draw bigint) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public AS $$
  WITH d AS (SELECT d.id, d.task_id, d.drawn_unit_id,
                    CASE WHEN cardinality(coalesce(t.item_ids, '{}')) > 0 THEN t.item_ids
                         WHEN d.item_id IS NOT NULL THEN ARRAY[d.item_id] ELSE '{}'::bigint[] END AS items
               FROM draw d LEFT JOIN inspection_task t ON t.id = d.task_id
              WHERE d.id = p_draw AND d.status = 'confirmed'),
  o AS (SELECT o.object_kind, o.object_id, o.group_no,
               row_number() OVER (ORDER BY o.group_no, o.object_kind, o.object_id) AS n
          FROM draw_object o WHERE o.draw_id = p_draw),
  ins AS (
    INSERT INTO inspection_job(job_no, draw_id, task_id, unit_id, object_kind, object_id, group_no,
                               inspector_ids, item_ids, advance_notice, notice_reason)
    SELECT 'JC' || d.id || '-' || lpad(o.n::text, 4, '0'), d.id, d.task_id, d.drawn_unit_id, o.object_kind,
           o.object_id, o.group_no,
           coalesce((SELECT array_agg(di.inspector_id ORDER BY di.role = 'leader' DESC, di.inspector_id)
                       FROM draw_inspector di WHERE di.draw_id = d.id AND di.group_no = o.group_no), '{}'),
           d.items, (n.notice)[1], (n.notice)[2]
      FROM d CROSS JOIN o
      CROSS JOIN LATERAL (SELECT job_advance_notice(o.object_kind, o.object_id, d.items) AS notice) n
    ON CONFLICT (draw_id, object_kind, object_id) DO NOTHING
    RETURNING id, state),
  hist AS (
    INSERT INTO flow_history(entity, entity_id, action, from_state, to_state, opinion, user_id, unit_id)
    SELECT 'job', ins.id, 'create', NULL, ins.state, '确认抽取结果，生成检查作业', twindraw_user_id(), twindraw_unit_id()
      FROM ins RETURNING 1)
  SELECT count(*) FROM hist
$$;

-- Data scope (SYS-8): a job is seen by the units of the scope (its drawing unit) and by
-- the inspectors of its group. Rows are made by the draw confirmation, whoever confirms.
ALTER TABLE inspection_job ENABLE ROW LEVEL SECURITY;
CREATE POLICY inspection_job_insert ON inspection_job FOR INSERT TO twindraw_app WITH CHECK (true);
CREATE POLICY inspection_job_read ON inspection_job FOR SELECT TO twindraw_app
  USING ((SELECT twindraw_scope_all())
         OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[])
         OR (SELECT twindraw_inspector_id()) = ANY (inspector_ids));
CREATE POLICY inspection_job_update ON inspection_job FOR UPDATE TO twindraw_app
  USING ((SELECT twindraw_scope_all())
         OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[])
         OR (SELECT twindraw_inspector_id()) = ANY (inspector_ids));

SELECT audit_attach('inspection_job');
SELECT audit_attach('job_file');
SELECT audit_attach('advance_notice_rule');

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT, INSERT, UPDATE ON inspection_job, job_file TO twindraw_app;
    GRANT SELECT ON advance_notice_rule TO twindraw_app;
    REVOKE DELETE ON inspection_job, job_file FROM twindraw_app;
    GRANT USAGE, SELECT ON SEQUENCE inspection_job_id_seq, job_file_id_seq TO twindraw_app;
    GRANT EXECUTE ON FUNCTION twindraw_inspector_id(), job_advance_notice(text, bigint, bigint[]),
      job_create_for_draw(bigint) TO twindraw_app;
  END IF;
END $$;
