-- Market subjects on the map by inspection status (GIS-2, issue 5): the `objects` tile
-- layer with by=status&year=YYYY colours each subject by its inspection jobs of that
-- year (README "Map tiles"):
--   未列入抽查       no job of the year (grey)
--   已抽中待检查     a job still without a result: pending 待检查, draft, returned (blue)
--   已检查未发现问题 every job has a submitted or accepted result, none with a problem (green)
--   已检查发现问题   some job's submitted or accepted result records a problem (red)
-- "Problem" is result_has_problem() of 0019 (the results and heat layers' rule) on the
-- job's CURRENT result (0024). Cancelled jobs (0018 已取消) do not count. A job belongs to
-- the year in which it was made, i.e. the year its draw was confirmed (抽中), in China.
-- The tile query (tiles/tile-service.cpp) reads inspection_job under the request's
-- row-level security through one index probe per subject (the index below).

-- The year (China time) of a job's creation.
CREATE FUNCTION job_drawn_year(p_created timestamptz) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT extract(year FROM p_created AT TIME ZONE 'Asia/Shanghai')::smallint
$$;

-- A job's contribution to its subject's status; the subject takes the highest:
-- 0 none (cancelled), 1 checked without a problem, 2 open (no result yet), 3 problem.
CREATE FUNCTION job_status_class(p_state text, p_category text, p_qualified boolean) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_state = 'cancelled' THEN 0
              WHEN p_state IN ('submitted', 'accepted') THEN
                CASE WHEN result_has_problem(p_category, p_qualified) THEN 3 ELSE 1 END
              ELSE 2 END::smallint
$$;

CREATE INDEX inspection_job_subject_year_idx ON inspection_job (object_id, job_drawn_year(created_at))
  WHERE object_kind = 'market_subject' AND state <> 'cancelled';

-- Expiry: a job made, reassigned (unit or inspectors: who sees it), cancelled, or whose
-- result class changes repaints its subject's place on the `objects` layer (the layer
-- name of both colourings), old and new subject. Statement-level like 0011: a draw of
-- many subjects writes one box each (one extent above 10,000).
CREATE FUNCTION tile_dirty_job_subjects() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  ids bigint[] := '{}';
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT coalesce(array_agg(DISTINCT object_id), '{}') INTO ids FROM new_rows WHERE object_kind = 'market_subject';
  ELSIF TG_OP = 'DELETE' THEN
    SELECT coalesce(array_agg(DISTINCT object_id), '{}') INTO ids FROM old_rows WHERE object_kind = 'market_subject';
  ELSE
    SELECT coalesce(array_agg(DISTINCT s.id), '{}') INTO ids FROM (
      SELECT o.object_kind AS ok, o.object_id AS oid, n.object_kind AS nk, n.object_id AS nid
        FROM old_rows o JOIN new_rows n USING (id)
       WHERE (o.object_kind, o.object_id, job_status_class(o.state, o.result_category, o.qualified),
              job_drawn_year(o.created_at), o.unit_id, o.inspector_ids)
             IS DISTINCT FROM
             (n.object_kind, n.object_id, job_status_class(n.state, n.result_category, n.qualified),
              job_drawn_year(n.created_at), n.unit_id, n.inspector_ids)) c,
      LATERAL (VALUES (c.ok, c.oid), (c.nk, c.nid)) s(kind, id)
     WHERE s.kind = 'market_subject';
  END IF;
  IF cardinality(ids) = 0 THEN
    RETURN NULL;
  END IF;
  IF cardinality(ids) > 10000 THEN
    INSERT INTO tile_dirty(layer, bbox)
      SELECT 'objects', ST_Extent(geom) FROM market_subject WHERE id = ANY (ids) HAVING count(geom) > 0;
  ELSE
    INSERT INTO tile_dirty(layer, bbox)
      SELECT 'objects', Box2D(geom) FROM market_subject WHERE id = ANY (ids) AND geom IS NOT NULL;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER inspection_job_tile_dirty_ins AFTER INSERT ON inspection_job
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_job_subjects();
CREATE TRIGGER inspection_job_tile_dirty_upd AFTER UPDATE ON inspection_job
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_job_subjects();
CREATE TRIGGER inspection_job_tile_dirty_del AFTER DELETE ON inspection_job
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tile_dirty_job_subjects();

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT EXECUTE ON FUNCTION job_drawn_year(timestamptz), job_status_class(text, text, boolean) TO twindraw_app;
  END IF;
END $$;
