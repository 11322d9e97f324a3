-- Accounts, roles, identities, sessions and the login log (AUTH-1..7, SYS-1..3, SYS-7, SYS-8).
-- A unit is an authority row; a person holds one identity (unit + role) per unit they
-- work for and switches between them inside a session (AUTH-5).

-- Roles are editable data; the built-in ones below match the seeds. data_scope says
-- which rows the role sees: everything, its district, its unit and below, its unit, or
-- only what its holder did.
CREATE TABLE role (
  id          bigserial PRIMARY KEY,
  code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{1,39}$'),
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 50),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  permissions text[] NOT NULL DEFAULT '{}',
  data_scope  text NOT NULL CHECK (data_scope IN ('all', 'district', 'unit_tree', 'unit', 'self')),
  builtin     boolean NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER role_touch BEFORE UPDATE ON role FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE app_user (
  id                   bigserial PRIMARY KEY,
  account              text NOT NULL UNIQUE CHECK (account ~ '^[A-Za-z0-9_.@-]{3,40}$'),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  phone                text CHECK (phone ~ '^[0-9+\- ]{5,20}$'),
  email                text CHECK (length(email) <= 100),
  password_hash        text NOT NULL,  -- libsodium crypto_pwhash_str (Argon2id), encoded
  must_change_password boolean NOT NULL DEFAULT true,
  totp_secret          text,           -- base32; set at enrolment, enabled once confirmed
  totp_enabled         boolean NOT NULL DEFAULT false,
  totp_last_step       bigint,         -- last accepted time step: a code is good once
  active               boolean NOT NULL DEFAULT true,
  inspector_id         bigint UNIQUE REFERENCES inspector(id) ON DELETE SET NULL,
  certificate_no       text CHECK (length(certificate_no) <= 40),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX app_user_account_lower_idx ON app_user(lower(account));
CREATE TRIGGER app_user_touch BEFORE UPDATE ON app_user FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE user_identity (
  id           bigserial PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  authority_id bigint NOT NULL REFERENCES authority(id),
  section_id   bigint REFERENCES section(id),
  role_id      bigint NOT NULL REFERENCES role(id),
  is_default   boolean NOT NULL DEFAULT false,
  UNIQUE (user_id, authority_id, role_id)
);
CREATE INDEX user_identity_authority_idx ON user_identity(authority_id);
CREATE INDEX user_identity_role_idx ON user_identity(role_id);
CREATE UNIQUE INDEX user_identity_one_default_idx ON user_identity(user_id) WHERE is_default;

-- Sessions: the client holds a random 32-byte token; the database only its SHA-256.
-- stage 'totp'/'sms' rows are second-factor challenges, 'password_change' a session
-- that may only change its password; only 'ok' sessions reach the application.
CREATE TABLE session (
  id           bigserial PRIMARY KEY,
  token_hash   bytea NOT NULL UNIQUE,
  user_id      bigint NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  identity_id  bigint REFERENCES user_identity(id) ON DELETE SET NULL,
  kind         text NOT NULL CHECK (kind IN ('cookie', 'bearer')),
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  idle_timeout interval NOT NULL,
  revoked_at   timestamptz,
  address      text NOT NULL DEFAULT '',
  user_agent   text NOT NULL DEFAULT '',
  stage        text NOT NULL CHECK (stage IN ('ok', 'totp', 'sms', 'password_change')),
  attempts     integer NOT NULL DEFAULT 0   -- wrong second-factor codes on a challenge
);
CREATE INDEX session_user_idx ON session(user_id) WHERE revoked_at IS NULL;

CREATE TABLE login_log (
  id         bigserial PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  account    text NOT NULL,
  user_id    bigint REFERENCES app_user(id) ON DELETE SET NULL,
  address    text NOT NULL DEFAULT '',
  user_agent text NOT NULL DEFAULT '',
  success    boolean NOT NULL,
  reason     text NOT NULL
);
CREATE INDEX login_log_account_at_idx ON login_log(lower(account), at);
CREATE INDEX login_log_address_at_idx ON login_log(address, at);
CREATE INDEX login_log_at_idx ON login_log(at);

CREATE TABLE sms_code (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES app_user(id) ON DELETE CASCADE,
  purpose    text NOT NULL CHECK (purpose IN ('login', 'reset')),
  code_hash  bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,
  attempts   integer NOT NULL DEFAULT 0
);
CREATE INDEX sms_code_user_idx ON sms_code(user_id, purpose);

INSERT INTO role(code, name, description, permissions, data_scope, builtin) VALUES
 ('system_admin', '系统管理员', '全市系统管理，拥有全部权限',
  ARRAY['registry.read','registry.write','registry.import','system.users','system.roles','system.org',
        'system.loginlog','audit.read','plan.create','plan.distribute','task.create','task.review',
        'draw.run','job.submit','result.review','publish.manage'], 'all', true),
 ('district_admin', '区县管理员', '管理本区县各单位的用户与角色',
  ARRAY['registry.read','registry.write','registry.import','system.users','system.org','system.loginlog',
        'audit.read','plan.create','plan.distribute','task.create','task.review','draw.run',
        'result.review','publish.manage'], 'district', true),
 ('unit_admin', '单位管理员', '管理本单位及下级单位的用户',
  ARRAY['registry.read','registry.write','system.users','system.loginlog','task.create'], 'unit_tree', true),
 ('task_assigner', '任务分配员', '制定计划、创建并分派任务、执行随机抽取',
  ARRAY['registry.read','plan.create','plan.distribute','task.create','draw.run'], 'unit_tree', true),
 ('task_reviewer', '任务审核员', '审核任务与检查结果',
  ARRAY['registry.read','task.review','result.review'], 'unit_tree', true),
 ('department_head', '部门负责人', '本部门任务与结果的审核、公示',
  ARRAY['registry.read','task.review','result.review','publish.manage'], 'unit', true),
 ('inspector', '执法人员', '执行检查任务、录入检查结果',
  ARRAY['registry.read','job.submit'], 'self', true),
 ('leader', '领导', '只读查看全市数据与统计',
  ARRAY['registry.read','audit.read'], 'all', true);

-- The units a data scope covers, seen from unit p_unit (SYS-8): every unit; the units
-- of the same district (county code, the first six digits of division_code); the unit
-- and its descendants; or the unit alone.
CREATE FUNCTION scope_units(p_unit bigint, p_scope text) RETURNS TABLE (id bigint)
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE tree AS (
    SELECT a.id FROM authority a WHERE a.id = p_unit AND p_scope = 'unit_tree'
    UNION
    SELECT c.id FROM authority c JOIN tree t ON c.parent_id = t.id
  )
  SELECT a.id FROM authority a WHERE p_scope = 'all'
  UNION
  SELECT a.id FROM authority a JOIN authority me ON me.id = p_unit
   WHERE p_scope = 'district' AND left(a.division_code, 6) = left(me.division_code, 6)
  UNION
  SELECT t.id FROM tree t
  UNION
  SELECT p_unit WHERE p_scope IN ('unit', 'self') AND p_unit IS NOT NULL
$$;

-- Whether an administrator at p_unit with scope p_scope manages user p_user: every
-- identity of the user lies inside the scope (a user without identities belongs to the
-- system administrators only).
CREATE FUNCTION user_manageable(p_user bigint, p_unit bigint, p_scope text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p_scope = 'all' OR (
    EXISTS (SELECT 1 FROM user_identity i WHERE i.user_id = p_user)
    AND NOT EXISTS (SELECT 1 FROM user_identity i
                     WHERE i.user_id = p_user
                       AND i.authority_id NOT IN (SELECT s.id FROM scope_units(p_unit, p_scope) s)))
$$;
