-- One time zone for every time a person reads (issue 12 §4; DESIGN "Time"): pages, the
-- draw list and detail, the signed draw record (PDF), the public re-check page, exports.
--
-- Two layers, so no page can fall back to UTC:
--   * every pooled connection runs with TimeZone 'Asia/Shanghai' (geo/pg.cpp), so even a
--     timestamptz rendered with ::text carries the Beijing date ("… 01:00:00+08");
--   * display_time() is the one format for displayed times, "YYYY-MM-DD HH24:MI:SS" in
--     Asia/Shanghai whatever the session's TimeZone, used by the draw pages and records.
-- Hashes (audit_canonical, the draw digests) keep their own explicit UTC or no time at all.
CREATE FUNCTION display_time(ts timestamptz) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT to_char(ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')
$$;
