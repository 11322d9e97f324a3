-- Patrol routes (NET-2, NET-3; seed 000 §5.6b–c): patrol points placed on the map,
-- routes as ordered lists of points, areas (片区) as polygons, the assignment of a route
-- to inspectors for a date range, and the inspectors' check-ins with their GPS position
-- and distance from the point. Every row belongs to the unit that created it
-- (authority_id) and is scoped by row-level security like the other unit-owned tables.

CREATE TABLE patrol_setting (
  key        text PRIMARY KEY CHECK (key ~ '^[a-z_]{1,60}$'),
  value      text NOT NULL CHECK (length(value) <= 200),
  label      text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER patrol_setting_touch BEFORE UPDATE ON patrol_setting FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
INSERT INTO patrol_setting(key, value, label) VALUES
  ('checkin_radius_m', '200', '巡查打卡允许的最大距离（米）：离巡查点更远的打卡被拒绝');

CREATE TABLE patrol_point (
  id           bigserial PRIMARY KEY,
  authority_id bigint NOT NULL REFERENCES authority(id),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  geom         geometry(Point, 4326) NOT NULL,
  created_by   bigint REFERENCES app_user(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patrol_point_authority_idx ON patrol_point(authority_id);
CREATE INDEX patrol_point_geom_idx ON patrol_point USING gist(geom);
CREATE TRIGGER patrol_point_touch BEFORE UPDATE ON patrol_point FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE patrol_route (
  id           bigserial PRIMARY KEY,
  authority_id bigint NOT NULL REFERENCES authority(id),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_by   bigint REFERENCES app_user(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patrol_route_authority_idx ON patrol_route(authority_id);
CREATE TRIGGER patrol_route_touch BEFORE UPDATE ON patrol_route FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- The points of a route in visiting order. A point in a route cannot be deleted
-- (RESTRICT): the API answers 409 naming the routes.
CREATE TABLE patrol_route_point (
  route_id bigint NOT NULL REFERENCES patrol_route(id) ON DELETE CASCADE,
  seq      integer NOT NULL CHECK (seq >= 1),
  point_id bigint NOT NULL REFERENCES patrol_point(id) ON DELETE RESTRICT,
  PRIMARY KEY (route_id, seq)
);
CREATE INDEX patrol_route_point_point_idx ON patrol_route_point(point_id);

CREATE TABLE patrol_area (
  id           bigserial PRIMARY KEY,
  authority_id bigint NOT NULL REFERENCES authority(id),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  geom         geometry(Polygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
  created_by   bigint REFERENCES app_user(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX patrol_area_authority_idx ON patrol_area(authority_id);
CREATE INDEX patrol_area_geom_idx ON patrol_area USING gist(geom);
CREATE TRIGGER patrol_area_touch BEFORE UPDATE ON patrol_area FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE patrol_assignment (
  id           bigserial PRIMARY KEY,
  route_id     bigint NOT NULL REFERENCES patrol_route(id) ON DELETE CASCADE,
  inspector_id bigint NOT NULL REFERENCES inspector(id),
  authority_id bigint NOT NULL REFERENCES authority(id),
  date_from    date NOT NULL,
  date_to      date NOT NULL,
  created_by   bigint REFERENCES app_user(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (date_to >= date_from)
);
CREATE INDEX patrol_assignment_route_idx ON patrol_assignment(route_id);
CREATE INDEX patrol_assignment_inspector_idx ON patrol_assignment(inspector_id, date_from, date_to);

-- A check-in keeps the position the phone reported and its distance from the point
-- (metres on the spheroid), so a refused and an accepted check-in can be told apart
-- later; only accepted ones are stored.
CREATE TABLE patrol_checkin (
  id           bigserial PRIMARY KEY,
  point_id     bigint NOT NULL REFERENCES patrol_point(id) ON DELETE CASCADE,
  inspector_id bigint NOT NULL REFERENCES inspector(id),
  authority_id bigint NOT NULL REFERENCES authority(id),
  at           timestamptz NOT NULL DEFAULT now(),
  position     geometry(Point, 4326) NOT NULL,
  distance_m   double precision NOT NULL CHECK (distance_m >= 0),
  accuracy_m   double precision CHECK (accuracy_m >= 0)
);
CREATE INDEX patrol_checkin_point_idx ON patrol_checkin(point_id, at);
CREATE INDEX patrol_checkin_inspector_idx ON patrol_checkin(inspector_id, at);

-- The patrol points of routes assigned to the acting user's inspector record (SECURITY
-- DEFINER: the policies of the tables read inside do not apply, so the policies below
-- do not recurse into each other).
CREATE FUNCTION twindraw_own_patrol_routes() RETURNS bigint[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
  SELECT coalesce(array_agg(DISTINCT a.route_id), '{}') FROM patrol_assignment a
   WHERE a.inspector_id = (SELECT inspector_id FROM app_user WHERE id = twindraw_user_id())
$$;
CREATE FUNCTION twindraw_own_patrol_points() RETURNS bigint[] LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
  SELECT coalesce(array_agg(DISTINCT rp.point_id), '{}') FROM patrol_route_point rp
   WHERE rp.route_id = ANY (twindraw_own_patrol_routes())
$$;

-- Data scope: the units of one's scope read and write; an inspector (scope self) reads
-- the routes assigned to it and their points, and its own check-ins.
ALTER TABLE patrol_point ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON patrol_point FOR SELECT
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]) OR id = ANY ((SELECT twindraw_own_patrol_points())::bigint[]));
CREATE POLICY data_scope_write ON patrol_point FOR ALL
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

ALTER TABLE patrol_route ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON patrol_route FOR SELECT
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]) OR id = ANY ((SELECT twindraw_own_patrol_routes())::bigint[]));
CREATE POLICY data_scope_write ON patrol_route FOR ALL
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

ALTER TABLE patrol_route_point ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON patrol_route_point FOR SELECT
  USING (route_id IN (SELECT r.id FROM patrol_route r));
CREATE POLICY data_scope_write ON patrol_route_point FOR ALL
  USING (route_id IN (SELECT r.id FROM patrol_route r WHERE r.authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])))
  WITH CHECK (route_id IN (SELECT r.id FROM patrol_route r WHERE r.authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])));

ALTER TABLE patrol_area ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON patrol_area
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

ALTER TABLE patrol_assignment ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON patrol_assignment FOR SELECT
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]) OR inspector_id = (SELECT twindraw_own_inspector()));
CREATE POLICY data_scope_write ON patrol_assignment FOR ALL
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]))
  WITH CHECK (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]));

ALTER TABLE patrol_checkin ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON patrol_checkin FOR SELECT
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[]) OR inspector_id = (SELECT twindraw_own_inspector()));
CREATE POLICY data_scope_insert ON patrol_checkin FOR INSERT
  WITH CHECK (inspector_id = (SELECT twindraw_own_inspector()));

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['patrol_point', 'patrol_route', 'patrol_route_point', 'patrol_area', 'patrol_assignment',
                           'patrol_checkin'] LOOP
    EXECUTE format('CREATE POLICY scope_all ON %I TO twindraw_app_all USING (true) WITH CHECK (true)', t);
  END LOOP;
END $$;

-- Supervisors manage patrols; inspectors check in with job.submit. Like 0009, the grant
-- is schema, not a person's change: the trail's capture triggers on role are off for it.
ALTER TABLE role DISABLE TRIGGER USER;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['patrol.manage']) ORDER BY 1)
 WHERE code IN ('system_admin', 'district_admin', 'task_assigner') AND builtin;
ALTER TABLE role ENABLE TRIGGER USER;

SELECT audit_attach('patrol_setting');
SELECT audit_attach('patrol_point');
SELECT audit_attach('patrol_route');
SELECT audit_attach('patrol_area');
SELECT audit_attach('patrol_assignment');
SELECT audit_attach('patrol_checkin');
