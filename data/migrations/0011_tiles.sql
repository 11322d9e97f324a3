-- Map tiles (GIS-2): the areas whose cached tiles are stale. Every change of a market
-- subject that shows on the `objects` layer (position, risk level, division) and every
-- change of a division boundary or name (the `base` layer) records the old and the new
-- bounding box here, in one statement-level trigger per table (bulk imports stay
-- fast). The tile server consumes the rows (DELETE ... RETURNING) before it serves a
-- tile and removes exactly the cached tiles those boxes touch, at every zoom.
CREATE TABLE tile_dirty (
  id         bigserial PRIMARY KEY,
  layer      text NOT NULL CHECK (layer IN ('base', 'objects')),
  bbox       box2d NOT NULL,  -- WGS84 degrees
  created_at timestamptz NOT NULL DEFAULT now()
);

-- SECURITY DEFINER: the application role (twindraw_app) needs no rights on tile_dirty.
CREATE OR REPLACE FUNCTION tile_dirty_subjects() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- A bulk insert or delete (an import, the demo city) records one extent instead of
  -- one box per row.
  IF TG_OP = 'INSERT' THEN
    IF (SELECT count(*) FROM new_rows) > 10000 THEN
      INSERT INTO tile_dirty(layer, bbox) SELECT 'objects', ST_Extent(geom) FROM new_rows HAVING count(geom) > 0;
    ELSE
      INSERT INTO tile_dirty(layer, bbox) SELECT 'objects', Box2D(geom) FROM new_rows WHERE geom IS NOT NULL;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF (SELECT count(*) FROM old_rows) > 10000 THEN
      INSERT INTO tile_dirty(layer, bbox) SELECT 'objects', ST_Extent(geom) FROM old_rows HAVING count(geom) > 0;
    ELSE
      INSERT INTO tile_dirty(layer, bbox) SELECT 'objects', Box2D(geom) FROM old_rows WHERE geom IS NOT NULL;
    END IF;
  ELSE
    INSERT INTO tile_dirty(layer, bbox)
      SELECT 'objects', Box2D(g) FROM (
        SELECT o.geom AS og, n.geom AS ng FROM old_rows o JOIN new_rows n USING (id)
         WHERE o.geom IS DISTINCT FROM n.geom OR o.risk_level IS DISTINCT FROM n.risk_level
            OR o.division_code IS DISTINCT FROM n.division_code) c,
        LATERAL (VALUES (c.og), (c.ng)) v(g)
      WHERE g IS NOT NULL;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER market_subject_tile_dirty_ins AFTER INSERT ON market_subject
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_subjects();
CREATE TRIGGER market_subject_tile_dirty_upd AFTER UPDATE ON market_subject
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_subjects();
CREATE TRIGGER market_subject_tile_dirty_del AFTER DELETE ON market_subject
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_subjects();

CREATE OR REPLACE FUNCTION tile_dirty_divisions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO tile_dirty(layer, bbox)
      SELECT 'base', Box2D(n.geom) FROM new_rows n WHERE n.geom IS NOT NULL;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    INSERT INTO tile_dirty(layer, bbox)
      SELECT 'base', Box2D(o.geom) FROM old_rows o WHERE o.geom IS NOT NULL;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER division_tile_dirty_ins AFTER INSERT ON division
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_divisions();
CREATE TRIGGER division_tile_dirty_upd AFTER UPDATE ON division
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_divisions();
CREATE TRIGGER division_tile_dirty_del AFTER DELETE ON division
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_divisions();
