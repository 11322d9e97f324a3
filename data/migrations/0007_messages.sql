-- Working-day arithmetic in SQL, system messages, announcements, the data dictionary and
-- feedback (HOME-1, SYS-4, SYS-5, SYS-6). workflows/working-days.cpp holds the same
-- rule as the SQL functions below; tests check both against the same dates.

-- Whether a day is a working day: a listed holiday is not, a listed make-up day (调休)
-- is, any other day counts by its weekday (Monday–Friday).
CREATE FUNCTION is_working_day(p_day date) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT c.kind = 'workday' FROM work_calendar c WHERE c.day = p_day),
                  extract(isodow FROM p_day) < 6)
$$;

-- The day n working days after p_day (p_day itself is not counted; n = 0 gives p_day).
CREATE FUNCTION add_working_days(p_day date, p_n integer) RETURNS date
LANGUAGE plpgsql STABLE AS $$
DECLARE
  v_day date := p_day;
  v_left integer := p_n;
BEGIN
  IF p_n < 0 OR p_n > 3650 THEN
    RAISE EXCEPTION 'add_working_days: n out of range: %', p_n USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WHILE v_left > 0 LOOP
    v_day := v_day + 1;
    IF is_working_day(v_day) THEN
      v_left := v_left - 1;
    END IF;
  END LOOP;
  RETURN v_day;
END $$;

-- Whether a stretch of days touches a year without an official schedule (its working
-- days are then counted Monday–Friday and the answer is provisional).
CREATE FUNCTION working_days_provisional(p_from date, p_to date) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (
    SELECT 1 FROM generate_series(extract(year FROM p_from)::int, extract(year FROM p_to)::int) AS y
     WHERE NOT EXISTS (SELECT 1 FROM work_calendar_year w WHERE w.year = y))
$$;

SELECT audit_attach('work_calendar');
SELECT audit_attach('work_calendar_year');

-- Messages (HOME-1): one row per message, one row per addressee (a user or a unit).
-- A unit's message is seen by everyone holding an identity in that unit, and each
-- person reads it for themselves (message_read).
CREATE TABLE message (
  id         bigserial PRIMARY KEY,
  category   text NOT NULL CHECK (category ~ '^[a-z][a-z_]{1,19}$'),
  title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body       text NOT NULL DEFAULT '' CHECK (length(body) <= 5000),
  link       text NOT NULL DEFAULT '' CHECK (length(link) <= 500),
  sender_id  bigint REFERENCES app_user(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE message_recipient (
  id         bigserial PRIMARY KEY,
  message_id bigint NOT NULL REFERENCES message(id) ON DELETE CASCADE,
  user_id    bigint REFERENCES app_user(id) ON DELETE CASCADE,
  unit_id    bigint REFERENCES authority(id) ON DELETE CASCADE,
  CHECK ((user_id IS NULL) <> (unit_id IS NULL))
);
CREATE UNIQUE INDEX message_recipient_user_idx ON message_recipient(user_id, message_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX message_recipient_unit_idx ON message_recipient(unit_id, message_id) WHERE unit_id IS NOT NULL;
CREATE INDEX message_recipient_message_idx ON message_recipient(message_id);
CREATE TABLE message_read (
  message_id bigint NOT NULL REFERENCES message(id) ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  read_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, message_id)
);

-- Announcements (SYS-5): drafted, published to every user, withdrawn.
CREATE TABLE announcement (
  id           bigserial PRIMARY KEY,
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'withdrawn')),
  pinned       boolean NOT NULL DEFAULT false,
  created_by   bigint REFERENCES app_user(id) ON DELETE SET NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  published_by bigint REFERENCES app_user(id) ON DELETE SET NULL
);
CREATE INDEX announcement_published_idx ON announcement(published_at DESC) WHERE status = 'published';
CREATE TRIGGER announcement_touch BEFORE UPDATE ON announcement FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT audit_attach('announcement');

-- The data dictionary (SYS-4): categories and their entries. Lists whose values the
-- code relies on (risk and credit levels, enterprise kinds) stay in the registry schema;
-- the dictionary holds lists users maintain.
CREATE TABLE dict_category (
  id         bigserial PRIMARY KEY,
  code       text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
  name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 50),
  remark     text NOT NULL DEFAULT '' CHECK (length(remark) <= 500),
  sort_order integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER dict_category_touch BEFORE UPDATE ON dict_category FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TABLE dict_entry (
  id          bigserial PRIMARY KEY,
  category_id bigint NOT NULL REFERENCES dict_category(id) ON DELETE CASCADE,
  code        text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.-]{1,40}$'),
  label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
  sort_order  integer NOT NULL DEFAULT 0,
  enabled     boolean NOT NULL DEFAULT true,
  remark      text NOT NULL DEFAULT '' CHECK (length(remark) <= 500),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT dict_entry_code_key UNIQUE (category_id, code)
);
CREATE TRIGGER dict_entry_touch BEFORE UPDATE ON dict_entry FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

INSERT INTO dict_category(code, name, remark, sort_order) VALUES
 ('check_result', '检查结果类别', 'DB4407/T 81—2021 规定的抽查检查结果类别', 10),
 ('inspection_method', '检查方式', '实地检查为主，网络监测、书面检查为辅，可多种方式并用', 20);
INSERT INTO dict_entry(category_id, code, label, sort_order)
SELECT c.id, e.code, e.label, e.ord FROM dict_category c,
  (VALUES ('01', '未发现问题', 1), ('02', '未开展本次抽查涉及的经营活动', 2),
          ('03', '未按规定公示应当公示的信息', 3), ('04', '公示信息隐瞒真实情况弄虚作假', 4),
          ('05', '通过登记的住所（经营场所）无法联系', 5), ('06', '发现问题已当场改正', 6),
          ('07', '发现问题需进一步整改', 7), ('08', '发现问题需进一步调查处理', 8),
          ('09', '不配合检查情节严重', 9), ('10', '作出行政决定等依法应当公示的情况', 10)) AS e(code, label, ord)
 WHERE c.code = 'check_result';
INSERT INTO dict_entry(category_id, code, label, sort_order)
SELECT c.id, e.code, e.label, e.ord FROM dict_category c,
  (VALUES ('onsite', '实地检查', 1), ('online', '网络监测', 2), ('document', '书面检查', 3),
          ('sampling', '抽样检验', 4)) AS e(code, label, ord)
 WHERE c.code = 'inspection_method';
-- Attached after the seed rows: a freshly migrated database starts with an empty trail.
SELECT audit_attach('dict_category');
SELECT audit_attach('dict_entry');

-- Feedback (SYS-6): technical questions are answered within 2 working days, business
-- questions within 5; due_date is fixed at submission from the working-day calendar.
CREATE TABLE feedback (
  id              bigserial PRIMARY KEY,
  user_id         bigint REFERENCES app_user(id) ON DELETE SET NULL,
  unit_id         bigint REFERENCES authority(id) ON DELETE SET NULL,
  kind            text NOT NULL CHECK (kind IN ('technical', 'business')),
  title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
  content         text NOT NULL CHECK (length(content) BETWEEN 1 AND 5000),
  contact         text NOT NULL DEFAULT '' CHECK (length(contact) <= 100),
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replied', 'closed')),
  submitted_at    timestamptz NOT NULL DEFAULT now(),
  due_date        date NOT NULL,
  due_provisional boolean NOT NULL DEFAULT false,
  reply           text CHECK (length(reply) <= 5000),
  replied_by      bigint REFERENCES app_user(id) ON DELETE SET NULL,
  replied_at      timestamptz,
  closed_at       timestamptz,
  closed_by       bigint REFERENCES app_user(id) ON DELETE SET NULL,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_status_idx ON feedback(status, due_date);
CREATE INDEX feedback_user_idx ON feedback(user_id);
CREATE TRIGGER feedback_touch BEFORE UPDATE ON feedback FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
SELECT audit_attach('feedback');

-- The new permissions go to the system administrator. Like the built-in roles themselves
-- (seeded before the trail existed), this is part of the schema, not a recorded change:
-- a freshly migrated database starts with an empty trail.
ALTER TABLE role DISABLE TRIGGER audit_capture;
UPDATE role SET permissions = permissions || ARRAY['system.dict', 'system.announce', 'system.feedback']
 WHERE code = 'system_admin' AND NOT permissions @> ARRAY['system.dict'];
ALTER TABLE role ENABLE TRIGGER audit_capture;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON message, message_recipient, message_read, announcement,
      dict_category, dict_entry, feedback, work_calendar, work_calendar_year TO twindraw_app;
    GRANT USAGE, SELECT ON SEQUENCE message_id_seq, message_recipient_id_seq, announcement_id_seq,
      dict_category_id_seq, dict_entry_id_seq, feedback_id_seq TO twindraw_app;
  END IF;
END $$;
