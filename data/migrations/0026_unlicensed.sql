-- Unlicensed business (无照经营, NET-1; seed 000 §5.6a and §7c–d): inspectors record an
-- unlicensed business found on patrol from the phone (GPS position), supervisors on the
-- map: its location (WGS84, inside the city), address, name or sign, the operator met on
-- the spot (被检查代表: name, phone, ID number), what is being done without a licence,
-- when it was found and by whom, and photos as evidence. Supervisors then move it along
-- 登记 → 处置中 → 已取缔 / 已办照. The list filters by the time found and exports Excel;
-- the points are an OGC API Features collection.
--
-- A record belongs to the unit that entered it (authority_id) and lies in a division
-- (division_code: the most detailed division whose boundary covers the point). Row-level
-- security: a record is read by the scopes holding its unit or its area (division code
-- prefix, like the objects) and by its finder; written only inside the area of one's
-- scope (a point in another district answers 403 out_of_scope).

CREATE TABLE unlicensed_business (
  id              bigserial PRIMARY KEY,
  authority_id    bigint NOT NULL REFERENCES authority(id),
  division_code   text NOT NULL REFERENCES division(code),
  geom            geometry(Point, 4326) NOT NULL,
  location_source text NOT NULL DEFAULT 'map' CHECK (location_source IN ('gps', 'map')),
  accuracy_m      double precision CHECK (accuracy_m >= 0),
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  address         text NOT NULL CHECK (length(address) BETWEEN 1 AND 200),
  business        text NOT NULL CHECK (length(business) BETWEEN 1 AND 1000),
  operator_name   text NOT NULL CHECK (length(operator_name) BETWEEN 1 AND 50),
  operator_phone  text CHECK (operator_phone ~ '^[0-9+\- ]{5,20}$'),
  operator_id_no  text CHECK (operator_id_no ~ '^[0-9]{17}[0-9X]$'),
  found_at        timestamptz NOT NULL DEFAULT now(),
  found_by        bigint REFERENCES app_user(id) ON DELETE SET NULL,
  inspector_id    bigint REFERENCES inspector(id) ON DELETE SET NULL,
  status          text NOT NULL DEFAULT 'registered'
                  CHECK (status IN ('registered', 'handling', 'banned', 'licensed')),
  status_note     text NOT NULL DEFAULT '' CHECK (length(status_note) <= 500),
  handled_by      bigint REFERENCES app_user(id) ON DELETE SET NULL,
  handled_at      timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unlicensed_business_found_idx ON unlicensed_business(found_at);
CREATE INDEX unlicensed_business_authority_idx ON unlicensed_business(authority_id);
CREATE INDEX unlicensed_business_division_c_idx ON unlicensed_business (division_code COLLATE "C");
CREATE INDEX unlicensed_business_geom_idx ON unlicensed_business USING gist(geom);
CREATE TRIGGER unlicensed_business_touch BEFORE UPDATE ON unlicensed_business
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Evidence photos, stored by content in the file store (workflows/file-store.hpp).
CREATE TABLE unlicensed_business_file (
  id           bigserial PRIMARY KEY,
  record_id    bigint NOT NULL REFERENCES unlicensed_business(id) ON DELETE CASCADE,
  filename     text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
  content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
  size         bigint NOT NULL CHECK (size > 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by  bigint REFERENCES app_user(id) ON DELETE SET NULL,
  uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX unlicensed_business_file_record_idx ON unlicensed_business_file(record_id);

ALTER TABLE unlicensed_business ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON unlicensed_business FOR SELECT
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])
         OR division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[])
         OR found_by = (SELECT twindraw_user_id()));
CREATE POLICY data_scope_insert ON unlicensed_business FOR INSERT
  WITH CHECK (division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]));
CREATE POLICY data_scope_update ON unlicensed_business FOR UPDATE
  USING (authority_id = ANY ((SELECT twindraw_scope_units())::bigint[])
         OR division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]))
  WITH CHECK (division_code ^@ ANY ((SELECT twindraw_scope_areas())::text[]));

ALTER TABLE unlicensed_business_file ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON unlicensed_business_file FOR SELECT
  USING (record_id IN (SELECT b.id FROM unlicensed_business b));
CREATE POLICY data_scope_insert ON unlicensed_business_file FOR INSERT
  WITH CHECK (record_id IN (SELECT b.id FROM unlicensed_business b));

CREATE POLICY scope_all ON unlicensed_business TO twindraw_app_all USING (true) WITH CHECK (true);
CREATE POLICY scope_all ON unlicensed_business_file TO twindraw_app_all USING (true) WITH CHECK (true);

-- Records are kept: the application role neither deletes them nor their photos.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    REVOKE DELETE ON unlicensed_business, unlicensed_business_file FROM twindraw_app;
  END IF;
END $$;

-- Everyone who works the streets or watches them reads; inspectors and supervisors
-- record; supervisors and department heads move the status on. Schema, not a person's
-- change: the trail's capture triggers on role are off for the grant (as in 0015).
ALTER TABLE role DISABLE TRIGGER USER;
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['unlicensed.read']) ORDER BY 1)
 WHERE builtin AND code IN ('system_admin', 'district_admin', 'unit_admin', 'task_assigner', 'task_reviewer',
                            'department_head', 'inspector', 'leader');
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['unlicensed.record']) ORDER BY 1)
 WHERE builtin AND code IN ('system_admin', 'district_admin', 'task_assigner', 'inspector');
UPDATE role SET permissions = ARRAY(SELECT DISTINCT unnest(permissions || ARRAY['unlicensed.handle']) ORDER BY 1)
 WHERE builtin AND code IN ('system_admin', 'district_admin', 'task_assigner', 'department_head');
ALTER TABLE role ENABLE TRIGGER USER;

SELECT audit_attach('unlicensed_business');
SELECT audit_attach('unlicensed_business_file');
