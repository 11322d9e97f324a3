-- Annual plans (PLAN-1..3, form D.1 of seed 002), inspection tasks (TASK-1..7), their
-- executing units and receiving (WORK-3), and the flow history of every transition
-- (AUDIT-2/3). The allowed transitions live in workflows/flow-states.cpp; the CHECKs
-- below only keep a state column inside its machine.

-- 年度抽查工作计划 (D.1): 计划名称、发起部门、配合部门、抽查事项、抽查对象、抽查时间、
-- 抽查比例、抽取对象数量. A joint plan (联合抽查) has cooperating departments and is
-- published to the public page when distributed (PLAN-3); version counts publications.
CREATE TABLE annual_plan (
  id                        bigserial PRIMARY KEY,
  year                      integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  plan_type                 text NOT NULL CHECK (plan_type IN ('single', 'joint')),
  initiating_authority_id   bigint NOT NULL REFERENCES authority(id),
  cooperating_authority_ids bigint[] NOT NULL DEFAULT '{}',
  item_ids                  bigint[] NOT NULL DEFAULT '{}',
  object_scope              text NOT NULL CHECK (length(object_scope) BETWEEN 1 AND 500),
  start_date                date NOT NULL,
  end_date                  date NOT NULL,
  ratio                     numeric(5, 2) CHECK (ratio > 0 AND ratio <= 100),
  object_count              integer CHECK (object_count >= 0),
  remark                    text CHECK (length(remark) <= 2000),
  state                     text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'distributed', 'recalled')),
  target_unit_ids           bigint[] NOT NULL DEFAULT '{}',  -- the units it was distributed to
  published_at              timestamptz,                     -- joint plans: last publication
  publish_version           integer NOT NULL DEFAULT 0,
  created_by                bigint REFERENCES app_user(id) ON DELETE SET NULL,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  CHECK (end_date >= start_date),
  CHECK ((plan_type = 'joint') = (cardinality(cooperating_authority_ids) > 0))
);
CREATE INDEX annual_plan_year_idx ON annual_plan(year, state);
CREATE INDEX annual_plan_initiating_idx ON annual_plan(initiating_authority_id);
CREATE TRIGGER annual_plan_touch BEFORE UPDATE ON annual_plan FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- 抽查任务: made from a distributed plan; single-department or joint. draw_params holds
-- the draw's object scope, strata, inspector scope and groups (shape: docs/workflow.md).
CREATE TABLE inspection_task (
  id                        bigserial PRIMARY KEY,
  plan_id                   bigint NOT NULL REFERENCES annual_plan(id),
  name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  task_type                 text NOT NULL CHECK (task_type IN ('single', 'joint')),
  initiating_authority_id   bigint NOT NULL REFERENCES authority(id),
  cooperating_authority_ids bigint[] NOT NULL DEFAULT '{}',
  item_ids                  bigint[] NOT NULL DEFAULT '{}',
  start_date                date NOT NULL,
  end_date                  date NOT NULL,
  description               text CHECK (length(description) <= 2000),
  draw_params               jsonb NOT NULL DEFAULT '{}',
  state                     text NOT NULL DEFAULT 'created'
                            CHECK (state IN ('created', 'submitted', 'returned', 'approved')),
  submitted_at              timestamptz,
  reviewed_by               bigint REFERENCES app_user(id) ON DELETE SET NULL,
  reviewed_at               timestamptz,
  review_opinion            text CHECK (length(review_opinion) <= 1000),
  urge_count                integer NOT NULL DEFAULT 0,
  last_urged_at             timestamptz,
  created_by                bigint REFERENCES app_user(id) ON DELETE SET NULL,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  CHECK (end_date >= start_date),
  CHECK ((task_type = 'joint') = (cardinality(cooperating_authority_ids) > 0))
);
CREATE INDEX inspection_task_plan_idx ON inspection_task(plan_id);
CREATE INDEX inspection_task_state_idx ON inspection_task(state);
CREATE INDEX inspection_task_initiating_idx ON inspection_task(initiating_authority_id);
CREATE TRIGGER inspection_task_touch BEFORE UPDATE ON inspection_task FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The executing units of a task (执行单位) and their receiving (WORK-3): the initiating
-- department, each cooperating department of a joint task, and any further executing
-- units (e.g. sub-offices) of a single-department task. 'waiting' until the unit's
-- assigner receives the approved task.
CREATE TABLE task_unit (
  task_id      bigint NOT NULL REFERENCES inspection_task(id) ON DELETE CASCADE,
  authority_id bigint NOT NULL REFERENCES authority(id),
  unit_role    text NOT NULL CHECK (unit_role IN ('initiating', 'cooperating', 'executing')),
  state        text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'received')),
  received_by  bigint REFERENCES app_user(id) ON DELETE SET NULL,
  received_at  timestamptz,
  PRIMARY KEY (task_id, authority_id)
);
CREATE INDEX task_unit_authority_idx ON task_unit(authority_id, state);

-- 流转记录: who moved what from which state to which, when, with what opinion. One
-- table for plans, tasks and the receiving of a task by a unit (entity 'task_unit',
-- entity_id the task, unit_id the receiving unit); later machines (draws, jobs) add
-- their own entity names.
CREATE TABLE flow_history (
  id          bigserial PRIMARY KEY,
  entity      text NOT NULL CHECK (entity ~ '^[a-z_]{1,40}$'),
  entity_id   bigint NOT NULL,
  action      text NOT NULL CHECK (length(action) BETWEEN 1 AND 40),
  from_state  text,
  to_state    text,
  opinion     text CHECK (length(opinion) <= 1000),
  user_id     bigint REFERENCES app_user(id) ON DELETE SET NULL,
  unit_id     bigint REFERENCES authority(id) ON DELETE SET NULL,
  at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX flow_history_entity_idx ON flow_history(entity, entity_id, id);

SELECT audit_attach(t::regclass)
  FROM unnest(ARRAY['annual_plan', 'inspection_task', 'task_unit', 'flow_history']) AS t;

-- Permissions of this migration (catalogue: workflows/account-permissions.cpp): reading
-- plans and tasks, and receiving a task for one's department. The built-in roles are
-- schema shipped in the binary, like their INSERT in 0004 (made before the trail
-- existed), so this update is not written to the audit trail: a fresh database starts
-- with an empty trail whatever the number of migrations.
ALTER TABLE role DISABLE TRIGGER audit_capture;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['plan.read', 'task.read', 'work.receive']) ORDER BY 1)
 WHERE code IN ('system_admin', 'district_admin', 'task_assigner');
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['plan.read', 'task.read']) ORDER BY 1)
 WHERE code IN ('task_reviewer', 'department_head', 'leader', 'unit_admin');
ALTER TABLE role ENABLE TRIGGER audit_capture;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON annual_plan, inspection_task, task_unit, flow_history TO twindraw_app;
    GRANT USAGE, SELECT ON SEQUENCE annual_plan_id_seq, inspection_task_id_seq, flow_history_id_seq TO twindraw_app;
  END IF;
END $$;
