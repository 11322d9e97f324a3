-- The audit trail is data too (AUDIT-1, SYS-8): a district admin with audit.read sees the
-- records of changes made from the units of its scope and its own, not the whole city's.
-- Rows are written only by the SECURITY DEFINER audit functions as the owner, which row
-- level security does not restrict; twindraw_app can only read them, through this policy.
-- Changes without an actor (migrations, the command line, the demo) carry no unit and
-- are seen by scope 'all' only. `twindraw audit verify` runs as the owner and walks the
-- whole chain.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY data_scope_read ON audit_log FOR SELECT
  USING ((SELECT twindraw_scope_all())
         OR user_id = (SELECT twindraw_user_id())
         OR unit_id = ANY ((SELECT twindraw_scope_units())::bigint[]));
CREATE POLICY scope_all ON audit_log FOR SELECT TO twindraw_app_all USING (true);

-- Names of people as shown beside what they did (message sender, flow history, task
-- reviewer, draw drawer, feedback replier, announcement publisher): a view owned by the
-- owner, so the row-level security of app_user (who may manage or list whom) does not
-- blank the name of a colleague from another unit who sent a message or approved a task.
-- Only id and name; accounts, phones and credentials stay behind the policies.
CREATE VIEW app_user_name AS SELECT id, name FROM app_user;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'twindraw_app') THEN
    GRANT SELECT ON app_user_name TO twindraw_app;
  END IF;
END $$;
