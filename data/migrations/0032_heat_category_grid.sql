-- A per-category heat grid for the coarse levels (issue 5 benchmark: heat tiles over
-- 10,000,000 inspections stay fast also when filtered by result category; GIS-2, STAT-3).
--
-- A category-filtered heat tile counts the result points of its window (0027); at the
-- coarse zooms a window holds millions of points. heat_category_cell is heat_cell with
-- the result category as a dimension, kept for levels 0..heat_category_max_level() only
-- (zoom z reads level z - 2, so these are the zooms up to heat_category_max_level() + 2,
-- where windows are large); finer levels keep counting points. Differences from
-- heat_cell: no all-units rollup (a window at these levels holds few units per cell, and
-- the tile sums the unit rows it may read), points without a category are not counted
-- (no category filter selects them). Same statement-level maintenance as heat_cell
-- (0019): the delta grouped at the finest kept level, the all-years rollup, halved level by
-- level, upserted in key order, zero cells deleted. heat_category_grid_fresh() is the same
-- grid from scratch (tests compare the two).
--
-- Scope: tiles/tile-service.cpp reads this grid only for viewers who see every result
-- point (scope 'all', or the owner without an actor); a viewer with a narrower scope
-- also sees results outside its units through their jobs (result_point's policy), which
-- a unit grid cannot tell, so such a viewer's tile still counts the points.
CREATE FUNCTION heat_category_max_level() RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 12
$$;

CREATE TABLE heat_category_cell (
  level    smallint NOT NULL CHECK (level BETWEEN 0 AND 14),
  category text NOT NULL,
  block    bigint NOT NULL,
  cx       integer NOT NULL,
  cy       integer NOT NULL,
  year     smallint NOT NULL,  -- 0: all years
  unit_id  bigint NOT NULL,    -- -1: no unit (no all-units rollup)
  n        integer NOT NULL,
  p        integer NOT NULL,
  PRIMARY KEY (level, category, block, cx, cy, year, unit_id)
);

CREATE FUNCTION heat_category_grid_fresh() RETURNS TABLE(level smallint, category text, block bigint, cx integer,
                                                         cy integer, year smallint, unit_id bigint, n integer,
                                                         p integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
  WITH base AS (
    SELECT r.category, r.cx14 >> (14 - heat_category_max_level()) AS cx,
           r.cy14 >> (14 - heat_category_max_level()) AS cy, r.inspected_year AS year,
           coalesce(r.unit_id, -1) AS unit_id, r.problem
      FROM result_point r WHERE r.category IS NOT NULL),
  cube AS (
    SELECT b.category, b.cx, b.cy, y.year, b.unit_id, b.problem FROM base b
     CROSS JOIN LATERAL (VALUES (b.year), (0::smallint)) y(year))
  SELECT g::smallint, c.category, heat_block(c.cx >> (heat_category_max_level() - g), c.cy >> (heat_category_max_level() - g)),
         c.cx >> (heat_category_max_level() - g), c.cy >> (heat_category_max_level() - g), c.year, c.unit_id,
         count(*)::integer, (count(*) FILTER (WHERE c.problem))::integer
    FROM cube c CROSS JOIN generate_series(0, heat_category_max_level()) g
   GROUP BY 1, 2, 3, 4, 5, 6, 7
$$;

CREATE FUNCTION heat_category_grid_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  top constant integer := heat_category_max_level();
  shift constant integer := 14 - heat_category_max_level();
  g integer;
  v_count bigint;
BEGIN
  CREATE TEMP TABLE IF NOT EXISTS heat_category_delta (
    level smallint, category text, cx integer, cy integer, year smallint, unit_id bigint, n integer, p integer)
    ON COMMIT DELETE ROWS;
  TRUNCATE heat_category_delta;
  IF TG_OP = 'INSERT' THEN
    INSERT INTO heat_category_delta
      SELECT top, category, cx14 >> shift, cy14 >> shift, inspected_year, coalesce(unit_id, -1), count(*),
             count(*) FILTER (WHERE problem)
        FROM new_rows WHERE category IS NOT NULL GROUP BY 2, 3, 4, 5, 6;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO heat_category_delta
      SELECT top, category, cx14 >> shift, cy14 >> shift, inspected_year, coalesce(unit_id, -1), -count(*),
             -count(*) FILTER (WHERE problem)
        FROM old_rows WHERE category IS NOT NULL GROUP BY 2, 3, 4, 5, 6;
  ELSE
    INSERT INTO heat_category_delta
      SELECT top, category, cx, cy, year, unit_id, sum(n), sum(p) FROM (
        SELECT category, cx14 >> shift AS cx, cy14 >> shift AS cy, inspected_year AS year,
               coalesce(unit_id, -1) AS unit_id, 1 AS n, problem::integer AS p FROM new_rows WHERE category IS NOT NULL
        UNION ALL
        SELECT category, cx14 >> shift, cy14 >> shift, inspected_year, coalesce(unit_id, -1), -1, -problem::integer
          FROM old_rows WHERE category IS NOT NULL) d
       GROUP BY 2, 3, 4, 5, 6 HAVING sum(n) <> 0 OR sum(p) <> 0;
  END IF;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  IF v_count = 0 THEN
    RETURN NULL;
  END IF;
  INSERT INTO heat_category_delta
    SELECT top, category, cx, cy, 0, unit_id, sum(n), sum(p) FROM heat_category_delta GROUP BY category, cx, cy, unit_id;
  FOR g IN REVERSE top - 1..0 LOOP
    INSERT INTO heat_category_delta
      SELECT g, category, cx >> 1, cy >> 1, year, unit_id, sum(n), sum(p) FROM heat_category_delta WHERE level = g + 1
       GROUP BY category, cx >> 1, cy >> 1, year, unit_id;
  END LOOP;
  INSERT INTO heat_category_cell AS c (level, category, block, cx, cy, year, unit_id, n, p)
    SELECT level, category, heat_block(cx, cy), cx, cy, year, unit_id, n, p FROM heat_category_delta
     WHERE n <> 0 OR p <> 0
     ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT (level, category, block, cx, cy, year, unit_id)
    DO UPDATE SET n = c.n + EXCLUDED.n, p = c.p + EXCLUDED.p;
  DELETE FROM heat_category_cell c USING heat_category_delta d
   WHERE d.n < 0 AND c.level = d.level AND c.category = d.category AND c.block = heat_block(d.cx, d.cy)
     AND c.cx = d.cx AND c.cy = d.cy AND c.year = d.year AND c.unit_id = d.unit_id AND c.n = 0;
  RETURN NULL;
END $$;

CREATE TRIGGER result_point_heat_category_ins AFTER INSERT ON result_point
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION heat_category_grid_apply();
CREATE TRIGGER result_point_heat_category_upd AFTER UPDATE ON result_point
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION heat_category_grid_apply();
CREATE TRIGGER result_point_heat_category_del AFTER DELETE ON result_point
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION heat_category_grid_apply();

-- Results already on the map.
INSERT INTO heat_category_cell SELECT * FROM heat_category_grid_fresh() ORDER BY 1, 2, 3, 4, 5, 6, 7;

-- Data scope as heat_cell: unit rows by the scope's units, everything by scope 'all'.
ALTER TABLE heat_category_cell ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON heat_category_cell FOR SELECT TO twindraw_app
  USING (unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    CREATE POLICY scope_all ON heat_category_cell FOR SELECT TO twindraw_app_all USING (true);
    REVOKE ALL ON heat_category_cell FROM twindraw_app;
    GRANT SELECT ON heat_category_cell TO twindraw_app;
  END IF;
END $$;

-- The from-scratch grids bypass row-level security (SECURITY DEFINER): for the owner's
-- checks and repair only, not for the application roles.
REVOKE ALL ON FUNCTION heat_category_grid_fresh() FROM PUBLIC;
REVOKE ALL ON FUNCTION heat_grid_fresh() FROM PUBLIC;
