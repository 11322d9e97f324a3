-- In-process caches of `twindraw serve` learn about changes by LISTEN/NOTIFY (issue 5
-- benchmark, AUTH-4, GIS-2): the cached-tile path no longer asks PostgreSQL on every
-- request who the bearer is and whether tile_dirty holds rows.
--
-- Channel twindraw_auth: anything that can change what a session token resolves to
-- (revocation, stage, identity, expiry; the user disabled or deleted or their
-- password replaced; an identity's role or unit; a role's permissions or data scope).
-- The refresh of session.last_seen_at (once a minute per session) does not notify.
-- Channel twindraw_tile_dirty: rows were added to the tile expiry queue.
-- NOTIFY is sent at commit, once per channel and transaction; statement triggers keep
-- bulk changes to one call each. See server/change-listener.hpp.

CREATE OR REPLACE FUNCTION twindraw_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_ARGV[0], '');
  RETURN NULL;
END $$;

CREATE TRIGGER session_notify_auth
  AFTER UPDATE OF revoked_at, stage, identity_id, expires_at, idle_timeout, user_id, token_hash OR DELETE ON session
  FOR EACH STATEMENT EXECUTE FUNCTION twindraw_notify_change('twindraw_auth');
CREATE TRIGGER app_user_notify_auth
  AFTER UPDATE OF active, password_hash OR DELETE ON app_user
  FOR EACH STATEMENT EXECUTE FUNCTION twindraw_notify_change('twindraw_auth');
CREATE TRIGGER user_identity_notify_auth
  AFTER UPDATE OR DELETE ON user_identity
  FOR EACH STATEMENT EXECUTE FUNCTION twindraw_notify_change('twindraw_auth');
CREATE TRIGGER role_notify_auth
  AFTER UPDATE OR DELETE ON role
  FOR EACH STATEMENT EXECUTE FUNCTION twindraw_notify_change('twindraw_auth');
CREATE TRIGGER session_truncate_notify_auth
  AFTER TRUNCATE ON session
  FOR EACH STATEMENT EXECUTE FUNCTION twindraw_notify_change('twindraw_auth');

CREATE TRIGGER tile_dirty_notify
  AFTER INSERT ON tile_dirty
  FOR EACH STATEMENT EXECUTE FUNCTION twindraw_notify_change('twindraw_tile_dirty');
