-- Inspection results on the map (GIS-1, GIS-2, STAT-3): the `results` and `heat` tile
-- layers.
--
-- result_point: one row per inspection result with its place, kept by a trigger on
-- inspection_job (a job whose result is submitted or accepted and has a category; the
-- place is the inspected object's position when the result is written). Rows without a
-- job are allowed: inspections recorded before the system (imported history) and the
-- synthetic points of tests/bench/heat-tiles.sh.
--
-- heat_cell: the binned grid the heat layer reads instead of the points. Cells are the
-- pixels of zoom level `level` (0..14; level 14 cells are 1/2^22 of the Web Mercator
-- width, ~9.6 m), counted per inspected year and per unit (the job's drawing unit), with
-- rollups year 0 = all years and unit_id 0 = all units (-1 = no unit), so that the
-- common views read one row per cell. n counts inspections, p those with problems.
-- Maintained by statement-level triggers on result_point (transition tables: one grid
-- update per statement, so a bulk insert of millions of points aggregates once): the
-- delta is grouped at level 14, rolled up, halved level by level to 0, and upserted in
-- key order (concurrent writers lock the shared coarse cells in the same order, so they
-- queue instead of deadlocking); cells that fall to zero are deleted. heat_grid_fresh()
-- is the same grid computed from scratch (tests compare the two).
CREATE FUNCTION heat_cx14(lon double precision) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT floor((lon * 20037508.342789244 / 180.0 + 20037508.342789244) / (40075016.685578488 / 4194304.0))::integer
$$;
CREATE FUNCTION heat_cy14(lat double precision) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT floor((20037508.342789244
                - ln(tan((90.0 + greatest(least(lat, 85.05112878), -85.05112878)) * pi() / 360.0)) * 20037508.342789244 / pi())
               / (40075016.685578488 / 4194304.0))::integer
$$;
-- Cells are stored in blocks of 128×128 so that a metatile's window is a few index probes.
CREATE FUNCTION heat_block(cx integer, cy integer) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ((cx >> 7)::bigint << 32) | (cy >> 7)::bigint
$$;

-- Result categories that record a problem (seed 002, dictionary check_result): all but
-- 01 未发现问题 and 02 未开展本次抽查涉及的经营活动; also any result marked not qualified.
CREATE FUNCTION result_has_problem(p_category text, p_qualified boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(p_qualified = false, false) OR coalesce(p_category NOT IN ('01', '02'), false)
$$;

CREATE TABLE result_point (
  id             bigserial PRIMARY KEY,
  job_id         bigint UNIQUE REFERENCES inspection_job(id) ON DELETE CASCADE,
  geom           geometry(Point, 4326) NOT NULL,
  inspected_year smallint NOT NULL CHECK (inspected_year BETWEEN 1990 AND 2100),
  unit_id        bigint,
  task_id        bigint,
  category       text,
  problem        boolean NOT NULL DEFAULT false,
  cx14           integer GENERATED ALWAYS AS (heat_cx14(ST_X(geom))) STORED,
  cy14           integer GENERATED ALWAYS AS (heat_cy14(ST_Y(geom))) STORED
);
CREATE INDEX result_point_geom_idx ON result_point USING gist(geom);

CREATE TABLE heat_cell (
  level   smallint NOT NULL CHECK (level BETWEEN 0 AND 14),
  block   bigint NOT NULL,
  cx      integer NOT NULL,
  cy      integer NOT NULL,
  year    smallint NOT NULL,  -- 0: all years
  unit_id bigint NOT NULL,    -- 0: all units, -1: no unit
  n       integer NOT NULL,   -- no CHECK: ON CONFLICT checks the proposed (delta) row
  p       integer NOT NULL,
  PRIMARY KEY (level, block, cx, cy, year, unit_id)
);

-- The grid from scratch, for checks and repair.
CREATE FUNCTION heat_grid_fresh() RETURNS TABLE(level smallint, block bigint, cx integer, cy integer, year smallint,
                                                unit_id bigint, n integer, p integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  WITH base AS (
    SELECT r.cx14 AS cx, r.cy14 AS cy, r.inspected_year AS year, coalesce(r.unit_id, -1) AS unit_id, r.problem
      FROM result_point r),
  cube AS (
    SELECT b.cx, b.cy, y.year, u.unit_id, b.problem FROM base b
     CROSS JOIN LATERAL (VALUES (b.year), (0::smallint)) y(year)
     CROSS JOIN LATERAL (VALUES (b.unit_id), (0::bigint)) u(unit_id))
  SELECT g::smallint, heat_block(c.cx >> (14 - g), c.cy >> (14 - g)), c.cx >> (14 - g), c.cy >> (14 - g), c.year,
         c.unit_id, count(*)::integer, (count(*) FILTER (WHERE c.problem))::integer
    FROM cube c CROSS JOIN generate_series(0, 14) g
   GROUP BY 1, 2, 3, 4, 5, 6
$$;

CREATE FUNCTION heat_grid_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  g integer;
  v_count bigint;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS heat_delta (
    level smallint, cx integer, cy integer, year smallint, unit_id bigint, n integer, p integer) ON COMMIT DELETE ROWS;
  TRUNCATE heat_delta;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO heat_delta
      SELECT 14, cx14, cy14, inspected_year, coalesce(unit_id, -1), count(*), count(*) FILTER (WHERE problem)
        FROM new_rows GROUP BY 2, 3, 4, 5;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO heat_delta
      SELECT 14, cx14, cy14, inspected_year, coalesce(unit_id, -1), -count(*), -count(*) FILTER (WHERE problem)
        FROM old_rows GROUP BY 2, 3, 4, 5;
  ELSE
    INSERT INTO heat_delta
      SELECT 14, cx, cy, year, unit_id, sum(n), sum(p) FROM (
        SELECT cx14 AS cx, cy14 AS cy, inspected_year AS year, coalesce(unit_id, -1) AS unit_id, 1 AS n,
               problem::integer AS p FROM new_rows
        UNION ALL
        SELECT cx14, cy14, inspected_year, coalesce(unit_id, -1), -1, -problem::integer FROM old_rows) d
       GROUP BY 2, 3, 4, 5 HAVING sum(n) <> 0 OR sum(p) <> 0;
  END IF;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  IF v_count = 0 THEN
    RETURN NULL;
  END IF;
  -- Rollups: all years, then all units (of both the years and the all-years rows).
  INSERT INTO heat_delta SELECT 14, cx, cy, 0, unit_id, sum(n), sum(p) FROM heat_delta GROUP BY cx, cy, unit_id;
  INSERT INTO heat_delta SELECT 14, cx, cy, year, 0, sum(n), sum(p) FROM heat_delta GROUP BY cx, cy, year;
  FOR g IN REVERSE 13..0 LOOP
    INSERT INTO heat_delta
      SELECT g, cx >> 1, cy >> 1, year, unit_id, sum(n), sum(p) FROM heat_delta WHERE level = g + 1
       GROUP BY cx >> 1, cy >> 1, year, unit_id;
  END LOOP;
  INSERT INTO heat_cell AS c (level, block, cx, cy, year, unit_id, n, p)
    SELECT level, heat_block(cx, cy), cx, cy, year, unit_id, n, p FROM heat_delta
     WHERE n <> 0 OR p <> 0
     ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (level, block, cx, cy, year, unit_id) DO UPDATE SET n = c.n + EXCLUDED.n, p = c.p + EXCLUDED.p;
  DELETE FROM heat_cell c USING heat_delta d
   WHERE d.n < 0 AND c.level = d.level AND c.block = heat_block(d.cx, d.cy) AND c.cx = d.cx AND c.cy = d.cy
     AND c.year = d.year AND c.unit_id = d.unit_id AND c.n = 0;
  RETURN NULL;
END $$;

-- Expiry: the places of changed results, for both layers (bulk statements: one extent).
CREATE FUNCTION tile_dirty_results() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF (SELECT count(*) FROM new_rows) > 10000 THEN
      INSERT INTO tile_dirty(layer, bbox) SELECT l, e FROM (SELECT ST_Extent(geom) e FROM new_rows) x,
        (VALUES ('results'), ('heat')) v(l) WHERE e IS NOT NULL;
    ELSE
      INSERT INTO tile_dirty(layer, bbox) SELECT l, Box2D(geom) FROM new_rows, (VALUES ('results'), ('heat')) v(l);
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF (SELECT count(*) FROM old_rows) > 10000 THEN
      INSERT INTO tile_dirty(layer, bbox) SELECT l, e FROM (SELECT ST_Extent(geom) e FROM old_rows) x,
        (VALUES ('results'), ('heat')) v(l) WHERE e IS NOT NULL;
    ELSE
      INSERT INTO tile_dirty(layer, bbox) SELECT l, Box2D(geom) FROM old_rows, (VALUES ('results'), ('heat')) v(l);
    END IF;
  ELSE
    -- Changed rows: the old and the new place (a category change repaints the same place).
    IF (SELECT count(*) FROM new_rows) > 10000 THEN
      INSERT INTO tile_dirty(layer, bbox)
        SELECT l, e FROM (SELECT ST_Extent(g) e FROM (SELECT geom FROM new_rows UNION ALL SELECT geom FROM old_rows) u(g)) x,
          (VALUES ('results'), ('heat')) v(l) WHERE e IS NOT NULL;
    ELSE
      INSERT INTO tile_dirty(layer, bbox)
        SELECT l, Box2D(g) FROM (
          SELECT o.geom AS og, n.geom AS ng FROM old_rows o JOIN new_rows n USING (id)
           WHERE (o.geom, o.inspected_year, o.unit_id, o.task_id, o.category, o.problem)
                 IS DISTINCT FROM (n.geom, n.inspected_year, n.unit_id, n.task_id, n.category, n.problem)) c,
          LATERAL (VALUES (c.og), (c.ng)) p(g), (VALUES ('results'), ('heat')) v(l);
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER result_point_heat_ins AFTER INSERT ON result_point
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION heat_grid_apply();
CREATE TRIGGER result_point_heat_upd AFTER UPDATE ON result_point
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION heat_grid_apply();
CREATE TRIGGER result_point_heat_del AFTER DELETE ON result_point
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION heat_grid_apply();
CREATE TRIGGER result_point_tile_dirty_ins AFTER INSERT ON result_point
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_results();
CREATE TRIGGER result_point_tile_dirty_upd AFTER UPDATE ON result_point
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_results();
CREATE TRIGGER result_point_tile_dirty_del AFTER DELETE ON result_point
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_results();

-- tile_dirty takes any layer name now (results, heat and layers of later migrations).
ALTER TABLE tile_dirty DROP CONSTRAINT IF EXISTS tile_dirty_layer_check;
ALTER TABLE tile_dirty ADD CONSTRAINT tile_dirty_layer_check CHECK (layer ~ '^[a-z][a-z0-9_]{0,39}$');

-- A job's result as a point: written when its result is submitted or accepted with a
-- category, removed when it is returned. Runs as the owner (the inspector need not see
-- the object, and twindraw_app has no write rights on result_point).
CREATE FUNCTION result_point_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_geom geometry;
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM result_point WHERE job_id = OLD.id;
    RETURN NULL;
  END IF;
  IF NEW.state IN ('submitted', 'accepted') AND NEW.result_category IS NOT NULL THEN
    SELECT o.geom INTO v_geom FROM (
      SELECT geom FROM market_subject WHERE NEW.object_kind = 'market_subject' AND id = NEW.object_id
      UNION ALL SELECT geom FROM venue WHERE NEW.object_kind = 'venue' AND id = NEW.object_id
      UNION ALL SELECT geom FROM product WHERE NEW.object_kind = 'product' AND id = NEW.object_id) o;
  END IF;
  IF v_geom IS NULL THEN
    DELETE FROM result_point WHERE job_id = NEW.id;
    RETURN NULL;
  END IF;
  INSERT INTO result_point AS r (job_id, geom, inspected_year, unit_id, task_id, category, problem)
  VALUES (NEW.id, v_geom, extract(year FROM coalesce(NEW.inspected_on, NEW.submitted_at, now()))::smallint,
          NEW.unit_id, NEW.task_id, NEW.result_category, result_has_problem(NEW.result_category, NEW.qualified))
  ON CONFLICT (job_id) DO UPDATE SET geom = EXCLUDED.geom, inspected_year = EXCLUDED.inspected_year,
    unit_id = EXCLUDED.unit_id, task_id = EXCLUDED.task_id, category = EXCLUDED.category, problem = EXCLUDED.problem
  WHERE (r.geom, r.inspected_year, r.unit_id, r.task_id, r.category, r.problem)
        IS DISTINCT FROM (EXCLUDED.geom, EXCLUDED.inspected_year, EXCLUDED.unit_id, EXCLUDED.task_id,
                          EXCLUDED.category, EXCLUDED.problem);
  RETURN NULL;
END $$;

CREATE TRIGGER inspection_job_result_point_ins AFTER INSERT ON inspection_job
  FOR EACH ROW WHEN (NEW.state IN ('submitted', 'accepted')) EXECUTE FUNCTION result_point_sync();
CREATE TRIGGER inspection_job_result_point_upd AFTER UPDATE ON inspection_job
  FOR EACH ROW WHEN ((OLD.state, OLD.result_category, OLD.qualified, OLD.inspected_on, OLD.unit_id, OLD.task_id,
                      OLD.object_kind, OLD.object_id)
                     IS DISTINCT FROM (NEW.state, NEW.result_category, NEW.qualified, NEW.inspected_on, NEW.unit_id,
                                       NEW.task_id, NEW.object_kind, NEW.object_id))
  EXECUTE FUNCTION result_point_sync();

-- Existing results (a database migrated after jobs were submitted).
INSERT INTO result_point(job_id, geom, inspected_year, unit_id, task_id, category, problem)
SELECT j.id, o.geom, extract(year FROM coalesce(j.inspected_on, j.submitted_at, now()))::smallint, j.unit_id, j.task_id,
       j.result_category, result_has_problem(j.result_category, j.qualified)
  FROM inspection_job j
  JOIN LATERAL (
    SELECT geom FROM market_subject WHERE j.object_kind = 'market_subject' AND id = j.object_id
    UNION ALL SELECT geom FROM venue WHERE j.object_kind = 'venue' AND id = j.object_id
    UNION ALL SELECT geom FROM product WHERE j.object_kind = 'product' AND id = j.object_id) o ON o.geom IS NOT NULL
 WHERE j.state IN ('submitted', 'accepted') AND j.result_category IS NOT NULL;

-- Data scope: a result is seen by the units of the scope and through its job (whose own
-- policy also lets the group's inspectors see it); heat cells per unit by the scope's
-- units, the all-units rollup only by scope 'all'.
ALTER TABLE result_point ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON result_point FOR SELECT TO twindraw_app
  USING (unit_id = ANY ((SELECT twindraw_scope_units())::bigint[])
         OR EXISTS (SELECT 1 FROM inspection_job j WHERE j.id = result_point.job_id));
ALTER TABLE heat_cell ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON heat_cell FOR SELECT TO twindraw_app
  USING (unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    CREATE POLICY scope_all ON result_point FOR SELECT TO twindraw_app_all USING (true);
    CREATE POLICY scope_all ON heat_cell FOR SELECT TO twindraw_app_all USING (true);
    REVOKE ALL ON result_point, heat_cell FROM twindraw_app;
    GRANT SELECT ON result_point, heat_cell TO twindraw_app;
  END IF;
END $$;
