-- Water and roads on the `base` tile layer (issue 5: "district and town boundaries with
-- Chinese labels in Noto CJK, water and roads where data exist"; GIS-2).
--
-- Roads are the navigation network's road_edge (migration 0021, loaded with ogr2ogr, see
-- docs/navigation.md). Water is reference data of its own: rivers, lakes and reservoirs as
-- polygons (their area) or lines (streams too narrow for an area), in WGS84, loaded the
-- same way (README "Map tiles"). Neither is key data: no audit trail, no data scope;
-- every signed-in user reads them; the application role does not write them.
CREATE TABLE water_feature (
  id   bigserial PRIMARY KEY,
  name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  kind text NOT NULL DEFAULT 'river' CHECK (kind IN ('river', 'lake', 'reservoir', 'canal', 'stream')),
  geom geometry(Geometry, 4326) NOT NULL
       CHECK (GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON', 'LINESTRING', 'MULTILINESTRING') AND ST_IsValid(geom))
);
CREATE INDEX water_feature_geom_idx ON water_feature USING gist(geom);

-- Expiry: the old and new places of changed water and roads make their `base` tiles
-- dirty (one extent for a bulk load). A road_edge update that changes neither geometry
-- nor name (road_network_build() rewriting source/target/cost) expires nothing.
CREATE FUNCTION tile_dirty_basemap() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF (SELECT count(*) FROM new_rows) > 10000 THEN
      INSERT INTO tile_dirty(layer, bbox) SELECT 'base', ST_Extent(geom) FROM new_rows HAVING count(*) > 0;
    ELSE
      INSERT INTO tile_dirty(layer, bbox) SELECT 'base', Box2D(geom) FROM new_rows;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF (SELECT count(*) FROM old_rows) > 10000 THEN
      INSERT INTO tile_dirty(layer, bbox) SELECT 'base', ST_Extent(geom) FROM old_rows HAVING count(*) > 0;
    ELSE
      INSERT INTO tile_dirty(layer, bbox) SELECT 'base', Box2D(geom) FROM old_rows;
    END IF;
  ELSE
    INSERT INTO tile_dirty(layer, bbox)
      SELECT 'base', Box2D(g) FROM (
        SELECT o.geom AS og, n.geom AS ng FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE NOT ST_Equals(o.geom, n.geom) OR o.name IS DISTINCT FROM n.name) c,
        LATERAL (VALUES (c.og), (c.ng)) v(g);
  END IF;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION tile_dirty_basemap() FROM PUBLIC;

CREATE TRIGGER water_feature_tile_dirty_ins AFTER INSERT ON water_feature
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_basemap();
CREATE TRIGGER water_feature_tile_dirty_upd AFTER UPDATE ON water_feature
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_basemap();
CREATE TRIGGER water_feature_tile_dirty_del AFTER DELETE ON water_feature
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_basemap();
CREATE TRIGGER road_edge_tile_dirty_ins AFTER INSERT ON road_edge
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_basemap();
CREATE TRIGGER road_edge_tile_dirty_upd AFTER UPDATE ON road_edge
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_basemap();
CREATE TRIGGER road_edge_tile_dirty_del AFTER DELETE ON road_edge
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_basemap();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT ON water_feature TO twindraw_app;
    REVOKE INSERT, UPDATE, DELETE ON water_feature FROM twindraw_app;
  END IF;
END $$;
