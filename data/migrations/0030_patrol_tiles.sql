-- Patrol on the map (NET-3, GIS-2; seed 000 §5.6c): expiry of the `patrol` tile layer.
-- The layer draws routes (lines through their points in order, red when completed,
-- green when not), patrol points (checked in or not) and area outlines. Any change that
-- moves a point, reorders a route, edits an area, changes an assignment or records a
-- check-in repaints the old and the new places: statement-level triggers (transition
-- tables) put the bounding boxes into tile_dirty with layer 'patrol' — the points
-- themselves and the extent of every route that contains a changed point or belongs to
-- a changed route (its colour may have changed).

-- Marks points (by id), routes (by id, with every route containing one of the points)
-- and loose geometries (old places, areas) as dirty.
CREATE FUNCTION tile_dirty_patrol_mark(p_points bigint[], p_routes bigint[], p_geoms geometry[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH routes AS (
    SELECT unnest(coalesce(p_routes, '{}')) AS id
    UNION SELECT rp.route_id FROM patrol_route_point rp WHERE rp.point_id = ANY (coalesce(p_points, '{}'))),
  boxes AS (
    SELECT Box2D(p.geom) AS b FROM patrol_point p WHERE p.id = ANY (coalesce(p_points, '{}'))
    UNION ALL
    SELECT ST_Extent(p.geom)::box2d FROM routes r JOIN patrol_route_point rp ON rp.route_id = r.id
      JOIN patrol_point p ON p.id = rp.point_id GROUP BY r.id
    UNION ALL
    SELECT Box2D(g) FROM unnest(coalesce(p_geoms, '{}')) g WHERE g IS NOT NULL)
  INSERT INTO tile_dirty(layer, bbox) SELECT 'patrol', b FROM boxes WHERE b IS NOT NULL
$$;

CREATE FUNCTION tile_dirty_patrol() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  pts bigint[] := '{}';
  rts bigint[] := '{}';
  geoms geometry[] := '{}';
BEGIN
  IF TG_TABLE_NAME = 'patrol_point' THEN
    IF TG_OP <> 'DELETE' THEN SELECT coalesce(array_agg(id), '{}') INTO pts FROM new_rows; END IF;
    IF TG_OP <> 'INSERT' THEN
      -- The old places; the routes through a moved point (a deleted point is in no route).
      SELECT pts || coalesce(array_agg(id), '{}'), coalesce(array_agg(geom), '{}') INTO pts, geoms FROM old_rows;
    END IF;
  ELSIF TG_TABLE_NAME = 'patrol_route_point' THEN
    IF TG_OP <> 'DELETE' THEN
      SELECT coalesce(array_agg(route_id), '{}'), coalesce(array_agg(point_id), '{}') INTO rts, pts FROM new_rows;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      SELECT rts || coalesce(array_agg(o.route_id), '{}'), coalesce(array_agg(p.geom), '{}') INTO rts, geoms
        FROM old_rows o JOIN patrol_point p ON p.id = o.point_id;
    END IF;
  ELSIF TG_TABLE_NAME = 'patrol_area' THEN
    IF TG_OP <> 'DELETE' THEN SELECT coalesce(array_agg(geom), '{}') INTO geoms FROM new_rows; END IF;
    IF TG_OP <> 'INSERT' THEN SELECT geoms || coalesce(array_agg(geom), '{}') INTO geoms FROM old_rows; END IF;
  ELSIF TG_TABLE_NAME = 'patrol_assignment' THEN
    IF TG_OP <> 'DELETE' THEN SELECT coalesce(array_agg(route_id), '{}') INTO rts FROM new_rows; END IF;
    IF TG_OP <> 'INSERT' THEN SELECT rts || coalesce(array_agg(route_id), '{}') INTO rts FROM old_rows; END IF;
  ELSIF TG_TABLE_NAME = 'patrol_checkin' THEN
    IF TG_OP <> 'DELETE' THEN SELECT coalesce(array_agg(point_id), '{}') INTO pts FROM new_rows; END IF;
    IF TG_OP <> 'INSERT' THEN SELECT pts || coalesce(array_agg(point_id), '{}') INTO pts FROM old_rows; END IF;
  END IF;
  PERFORM tile_dirty_patrol_mark(pts, rts, geoms);
  RETURN NULL;
END $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['patrol_point', 'patrol_route_point', 'patrol_area', 'patrol_assignment', 'patrol_checkin'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_patrol()', t || '_tile_dirty_ins', t);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_patrol()', t || '_tile_dirty_upd', t);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_patrol()', t || '_tile_dirty_del', t);
  END LOOP;
END $$;
