-- Row errors of an import under row-level security (issue 12 §1): a row error belongs to
-- its import job, so it is seen and written exactly where import_job's policy (0034)
-- admits the job. PostgreSQL refuses COPY FROM into a table with row-level security, so
-- the importer copies the errors into a temporary table and moves them with INSERT …
-- SELECT (workflows/import-objects.cpp), which the policy checks row by row.
ALTER TABLE import_error ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope ON import_error
  USING (EXISTS (SELECT 1 FROM import_job j WHERE j.id = import_error.import_id))
  WITH CHECK (EXISTS (SELECT 1 FROM import_job j WHERE j.id = import_error.import_id));
CREATE POLICY scope_all ON import_error TO twindraw_app_all USING (true) WITH CHECK (true);
