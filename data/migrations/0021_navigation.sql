-- Navigation for inspectors (issue 5): "my targets today" and their visiting order.
--
-- Road network. When the pgRouting extension is installed on the server (Debian:
-- postgresql-15-pgrouting, listed in scripts/deps) and the migrating role may create it,
-- it is created here; otherwise the migration goes on without it and the visiting order
-- uses straight-line (geodesic) distances. Roads are loaded into road_edge (LineStrings
-- in WGS84, e.g. with ogr2ogr from OpenStreetMap) and SELECT road_network_build() gives
-- every edge its vertices and costs (metres on the spheroid); see docs/navigation.md.
-- With no rows in road_edge, or without pgRouting, nothing uses these tables.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting')
     AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting')
     AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    CREATE EXTENSION pgrouting;
  ELSIF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting') THEN
    RAISE NOTICE 'pgRouting is not available: visiting orders use straight-line distances';
  END IF;
END $$;

-- Road network reference data (not key data: no audit trail, no data scope; every
-- signed-in user reads it).
CREATE TABLE road_edge (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  oneway       boolean NOT NULL DEFAULT false,   -- true: only in the direction the line is drawn
  geom         geometry(LineString, 4326) NOT NULL,
  source       bigint,                            -- road_vertex ids, set by road_network_build()
  target       bigint,
  cost         double precision,                  -- metres (forward)
  reverse_cost double precision                   -- metres backwards; -1 for one-way edges
);
CREATE INDEX road_edge_geom_idx ON road_edge USING gist(geom);

CREATE TABLE road_vertex (
  id   bigserial PRIMARY KEY,
  geom geometry(Point, 4326) NOT NULL UNIQUE
);
CREATE INDEX road_vertex_geom_idx ON road_vertex USING gist(geom);

-- Builds the topology of road_edge: vertices where line ends meet (ends snapped to a
-- 1e-7 degree grid, ≈ 1 cm), source/target and costs in metres. Returns the number of
-- vertices. Run after loading or changing roads.
CREATE FUNCTION road_network_build() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  UPDATE road_edge SET source = NULL, target = NULL;
  DELETE FROM road_vertex;
  INSERT INTO road_vertex(geom)
  SELECT DISTINCT ST_SnapToGrid(p, 1e-7) FROM (
    SELECT ST_StartPoint(geom) AS p FROM road_edge UNION ALL SELECT ST_EndPoint(geom) FROM road_edge) s;
  UPDATE road_edge e SET
    source = (SELECT v.id FROM road_vertex v WHERE v.geom = ST_SnapToGrid(ST_StartPoint(e.geom), 1e-7)),
    target = (SELECT v.id FROM road_vertex v WHERE v.geom = ST_SnapToGrid(ST_EndPoint(e.geom), 1e-7)),
    cost = ST_Length(e.geom::geography),
    reverse_cost = CASE WHEN e.oneway THEN -1 ELSE ST_Length(e.geom::geography) END;
  SELECT count(*) INTO n FROM road_vertex;
  RETURN n;
END $$;

-- The open jobs (pending, draft, returned) of the acting user's inspector row, with the
-- location of their object. SECURITY DEFINER: an inspector must find the objects of its
-- own jobs also when they lie outside its unit's area (所所交叉, DRAW-4), which the
-- objects' row-level security would hide; nothing but the own jobs is returned.
CREATE FUNCTION navigation_my_jobs()
RETURNS TABLE (job_id bigint, job_no text, state text, object_kind text, object_id bigint, name text,
               address text, lon double precision, lat double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT j.id, j.job_no, j.state, j.object_kind, j.object_id, o.name, o.address, ST_X(o.geom), ST_Y(o.geom)
    FROM inspection_job j
    JOIN LATERAL (
      SELECT m.name, m.address, m.geom FROM market_subject m WHERE j.object_kind = 'market_subject' AND m.id = j.object_id
      UNION ALL SELECT v.name, v.address, v.geom FROM venue v WHERE j.object_kind = 'venue' AND v.id = j.object_id
      UNION ALL SELECT p.enterprise_name, p.address, p.geom FROM product p WHERE j.object_kind = 'product' AND p.id = j.object_id
    ) o ON true
   WHERE j.state IN ('pending', 'draft', 'returned')
     AND (SELECT inspector_id FROM app_user WHERE id = twindraw_user_id()) = ANY (j.inspector_ids)
   ORDER BY j.id
$$;
REVOKE ALL ON FUNCTION navigation_my_jobs() FROM PUBLIC;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT ON road_edge, road_vertex TO twindraw_app;
    REVOKE INSERT, UPDATE, DELETE ON road_edge, road_vertex FROM twindraw_app;
    GRANT EXECUTE ON FUNCTION navigation_my_jobs() TO twindraw_app;
  END IF;
END $$;
