-- The verifiable draws (DRAW-1..11, VERIFY-1): settings and filter rules as editable
-- data, inspector recusals, the per-user draw password, the draw record with its frozen
-- candidate list, digests, seed and result, the drawn objects and inspectors, the
-- attempt log and the uploaded scans of the signed record. The algorithm is in
-- docs/draw-algorithm.md. task_id columns carry no foreign key yet: the plans/tasks
-- migration adds it when the branches meet.

-- Settings of the draw (editable data).
CREATE TABLE draw_setting (
  key        text PRIMARY KEY CHECK (key ~ '^[a-z_]{1,60}$'),
  value      text NOT NULL CHECK (length(value) <= 200),
  label      text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER draw_setting_touch BEFORE UPDATE ON draw_setting FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO draw_setting(key, value, label) VALUES
  ('general_max_ratio_bp', '500', '一般检查事项的最高抽取比例（万分之一，500 即 5%），事项未设上限时适用');

-- DRAW-3: the filter rules. in_open_draw is locked on: it is what keeps two open draws
-- apart (the unique index on draw_object relies on it). inspected_this_year counts
-- objects drawn in a confirmed draw of this calendar year, because there is no table of
-- inspection results yet; drawn_within_days the same over the last `days` days.
CREATE TABLE draw_filter_rule (
  code        text PRIMARY KEY CHECK (code IN ('in_open_draw', 'inspected_this_year', 'drawn_within_days')),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  enabled     boolean NOT NULL DEFAULT true,
  locked      boolean NOT NULL DEFAULT false,
  days        integer CHECK (days BETWEEN 1 AND 3660),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (NOT locked OR enabled),
  CHECK (code <> 'drawn_within_days' OR days IS NOT NULL)
);
CREATE TRIGGER draw_filter_rule_touch BEFORE UPDATE ON draw_filter_rule FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO draw_filter_rule(code, name, description, enabled, locked, days) VALUES
  ('in_open_draw', '已在其他未结束任务中的对象不再抽取', '对象已被另一次未作废、未结束的抽取选中时不进入候选名单', true, true, NULL),
  ('inspected_this_year', '当年已抽查的对象不再抽取', '本年度已在确认的抽取中被选中（视为已抽查）的对象不进入候选名单', true, false, NULL),
  ('drawn_within_days', '近期已抽查的对象不再抽取', '最近若干天内已在确认的抽取中被选中的对象不进入候选名单', false, false, 180);

-- DRAW-4: 执法回避. With object_id NULL the inspector is out of every draw in the
-- period (health, post change); otherwise only of draws selecting that object.
CREATE TABLE inspector_recusal (
  id           bigserial PRIMARY KEY,
  inspector_id bigint NOT NULL REFERENCES inspector(id) ON DELETE CASCADE,
  object_kind  text CHECK (object_kind IN ('market_subject', 'venue', 'product')),
  object_id    bigint,
  reason       text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  valid_from   date NOT NULL DEFAULT current_date,
  valid_until  date,
  created_by   bigint REFERENCES app_user(id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((object_kind IS NULL) = (object_id IS NULL)),
  CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE INDEX inspector_recusal_inspector_idx ON inspector_recusal(inspector_id);

-- DRAW-11: the separate draw password (双随机密码), Argon2id like the login password.
CREATE TABLE draw_password (
  user_id       bigint PRIMARY KEY REFERENCES app_user(id) ON DELETE CASCADE,
  password_hash text NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER draw_password_touch BEFORE UPDATE ON draw_password FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The draw record. Everything docs/draw-algorithm.md §7 publishes is here: strata with
-- quotas and populations, the candidate ids in canonical order, the inspector pools,
-- digests, entropy, seed and the result.
CREATE TABLE draw (
  id               bigserial PRIMARY KEY,
  task_id          bigint,  -- FK to the task table added at merge
  title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  object_kind      text NOT NULL CHECK (object_kind IN ('market_subject', 'venue', 'product')),
  item_id          bigint REFERENCES inspection_item(id),
  importance       text NOT NULL CHECK (importance IN ('key', 'general')),
  cap_bp           integer CHECK (cap_bp BETWEEN 1 AND 10000),
  params           jsonb NOT NULL,   -- the request: scope, quotas, groups, inspector scope
  population_query text NOT NULL,    -- the population in words (scope and rules applied)
  rules            jsonb NOT NULL,   -- the filter rules as they were applied
  strata           jsonb NOT NULL,   -- [{label, population, ratio_bp | count, k}]
  candidate_ids    bigint[] NOT NULL,
  object_digest    bytea NOT NULL CHECK (octet_length(object_digest) = 32),
  inspector_pools  jsonb NOT NULL,   -- [{label: leader|member, ids}]
  inspector_digest bytea NOT NULL CHECK (octet_length(inspector_digest) = 32),
  entropy          bytea NOT NULL CHECK (octet_length(entropy) = 32),
  seed             bytea NOT NULL CHECK (octet_length(seed) = 32),
  groups           integer NOT NULL CHECK (groups BETWEEN 1 AND 1000),
  per_group        integer NOT NULL CHECK (per_group = 0 OR per_group BETWEEN 2 AND 50),
  result           jsonb NOT NULL,   -- {selected: {label: [ids]}, groups: [{no, leader, members, objects}]}
  offices          jsonb,            -- 所所交叉: {objects: [[id, office]], inspectors: [[id, office]]}
  status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'confirmed', 'discarded')),
  drawn_by         bigint REFERENCES app_user(id),
  drawn_unit_id    bigint REFERENCES authority(id),
  drawn_at         timestamptz NOT NULL DEFAULT now(),
  confirmed_by     bigint REFERENCES app_user(id),
  confirmed_at     timestamptz,
  discarded_by     bigint REFERENCES app_user(id),
  discarded_at     timestamptz,
  discard_reason   text CHECK (length(discard_reason) <= 500),
  closed_at        timestamptz,     -- the task ended: its objects are no longer "open"
  CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL)),
  CHECK ((status = 'discarded') = (discarded_at IS NOT NULL))
);
CREATE INDEX draw_task_idx ON draw(task_id);
CREATE INDEX draw_drawn_at_idx ON draw(drawn_at);

-- The drawn objects; `open` while the draw is a draft or confirmed and its task runs.
-- The unique index is the database's own guarantee that no object sits in two open draws.
CREATE TABLE draw_object (
  draw_id     bigint NOT NULL REFERENCES draw(id),
  object_kind text NOT NULL CHECK (object_kind IN ('market_subject', 'venue', 'product')),
  object_id   bigint NOT NULL,
  stratum     text NOT NULL,
  group_no    integer NOT NULL,
  open        boolean NOT NULL DEFAULT true,
  PRIMARY KEY (draw_id, object_kind, object_id)
);
CREATE UNIQUE INDEX draw_object_open_idx ON draw_object(object_kind, object_id) WHERE open;
CREATE INDEX draw_object_object_idx ON draw_object(object_kind, object_id);

CREATE TABLE draw_inspector (
  draw_id      bigint NOT NULL REFERENCES draw(id),
  inspector_id bigint NOT NULL REFERENCES inspector(id),
  group_no     integer NOT NULL,
  role         text NOT NULL CHECK (role IN ('leader', 'member')),
  PRIMARY KEY (draw_id, inspector_id)
);

-- DRAW-10: every attempt, refused ones included (those are written after the refused
-- transaction rolled back).
CREATE TABLE draw_attempt (
  id       bigserial PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  user_id  bigint REFERENCES app_user(id) ON DELETE SET NULL,
  unit_id  bigint,
  address  text NOT NULL DEFAULT '',
  action   text NOT NULL CHECK (action IN ('preview', 'run', 'confirm', 'discard', 'upload_scan')),
  draw_id  bigint REFERENCES draw(id),
  task_id  bigint,
  outcome  text NOT NULL CHECK (outcome IN ('ok', 'refused')),
  code     text NOT NULL DEFAULT '',
  message  text NOT NULL DEFAULT '',
  params   jsonb
);
CREATE INDEX draw_attempt_at_idx ON draw_attempt(at);
CREATE INDEX draw_attempt_draw_idx ON draw_attempt(draw_id);

-- DRAW-8: scans or photos of the signed record, stored by content hash under the data dir.
CREATE TABLE draw_scan (
  id           bigserial PRIMARY KEY,
  draw_id      bigint NOT NULL REFERENCES draw(id),
  filename     text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
  content_type text NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
  size         bigint NOT NULL CHECK (size > 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by  bigint REFERENCES app_user(id),
  uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX draw_scan_draw_idx ON draw_scan(draw_id);

-- A confirmed draw never changes (DRAW-6, DRAW-7): only closed_at may be set once, when
-- its task ends. A draft becomes confirmed or discarded, nothing else; nothing is deleted.
CREATE FUNCTION draw_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'draw % cannot be deleted', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.status = 'confirmed' THEN
    IF (to_jsonb(NEW) - 'closed_at') IS DISTINCT FROM (to_jsonb(OLD) - 'closed_at') OR OLD.closed_at IS NOT NULL THEN
      RAISE EXCEPTION 'confirmed draw % cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  ELSIF OLD.status = 'discarded' THEN
    RAISE EXCEPTION 'discarded draw % cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  ELSIF (to_jsonb(NEW) - ARRAY['status', 'confirmed_by', 'confirmed_at', 'discarded_by', 'discarded_at',
                               'discard_reason', 'closed_at'])
        IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'confirmed_by', 'confirmed_at', 'discarded_by',
                                                'discarded_at', 'discard_reason', 'closed_at']) THEN
    RAISE EXCEPTION 'the inputs and result of draw % cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER draw_guard BEFORE UPDATE OR DELETE ON draw FOR EACH ROW EXECUTE FUNCTION draw_guard();

-- Drawn objects and inspectors: only `open` may go from true to false (discard, task end).
CREATE FUNCTION draw_member_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'rows of draw % cannot be deleted', OLD.draw_id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_TABLE_NAME = 'draw_object' AND (to_jsonb(NEW) - 'open') = (to_jsonb(OLD) - 'open') AND OLD.open AND NOT NEW.open THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'rows of draw % cannot change', OLD.draw_id USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER draw_object_guard BEFORE UPDATE OR DELETE ON draw_object FOR EACH ROW EXECUTE FUNCTION draw_member_guard();
CREATE TRIGGER draw_inspector_guard BEFORE UPDATE OR DELETE ON draw_inspector FOR EACH ROW EXECUTE FUNCTION draw_member_guard();

-- The attempt log is append-only.
CREATE FUNCTION draw_attempt_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the draw log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER draw_attempt_guard BEFORE UPDATE OR DELETE ON draw_attempt FOR EACH ROW EXECUTE FUNCTION draw_attempt_guard();

-- The audit trail. draw_object is not attached: its rows are in draw.result already,
-- and a 100,000-object draw should not write 100,000 audit rows. The candidate ids of
-- a draw (millions) stay out of its audit row; object_digest, which is in it, fixes them.
SELECT audit_attach('draw', ARRAY['candidate_ids']);
SELECT audit_attach('draw_filter_rule');
SELECT audit_attach('draw_setting');
SELECT audit_attach('inspector_recusal');
SELECT audit_attach('draw_scan');
SELECT audit_attach('draw_password', '{}', ARRAY['password_hash']);

-- Permissions of the built-in roles (the catalogue is workflows/account-permissions.cpp).
-- Like the role rows of 0004 these grants are schema, recorded in schema_migrations, not
-- a change by a person: the trail's capture triggers on role are off for this statement.
ALTER TABLE role DISABLE TRIGGER USER;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['draw.read', 'draw.manage']) ORDER BY 1)
 WHERE code IN ('system_admin', 'district_admin', 'department_head') AND builtin;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['draw.read']) ORDER BY 1)
 WHERE code IN ('task_assigner', 'task_reviewer', 'leader') AND builtin;
ALTER TABLE role ENABLE TRIGGER USER;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT, INSERT, UPDATE ON draw, draw_object, draw_inspector, draw_setting, draw_filter_rule,
                                    draw_password, draw_scan TO twindraw_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON inspector_recusal TO twindraw_app;
    GRANT SELECT, INSERT ON draw_attempt TO twindraw_app;
    GRANT USAGE, SELECT ON SEQUENCE draw_id_seq, inspector_recusal_id_seq, draw_attempt_id_seq, draw_scan_id_seq
      TO twindraw_app;
    REVOKE DELETE ON draw, draw_object, draw_inspector, draw_attempt, draw_scan FROM twindraw_app;
  END IF;
END $$;
