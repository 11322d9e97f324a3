-- Errors by SQLSTATE, not by message text (issue 13). The guards of 0034 and 0038 said
-- "row-level security: …" with SQLSTATE 42501 so that geo/pg.cpp, reading the English
-- text, answered 403 out_of_scope; on a server whose lc_messages is zh_CN.UTF-8 the text
-- PostgreSQL itself writes for a policy is Chinese, and a text match breaks. They now
-- raise the project's own SQLSTATE TD403 (class TD is not used by PostgreSQL), which
-- geo/pg.cpp maps to 403 out_of_scope whatever the server's language. Same conditions,
-- same texts (for the logs), only the code changes.

CREATE OR REPLACE FUNCTION authority_place_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user::text = 'twindraw_app'
     AND (NEW.division_code IS DISTINCT FROM OLD.division_code OR NEW.parent_id IS DISTINCT FROM OLD.parent_id) THEN
    RAISE EXCEPTION 'row-level security: only a system administrator moves unit % (division or parent)', OLD.id
      USING ERRCODE = 'TD403';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION app_user_inspector_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user::text = 'twindraw_app' AND NEW.inspector_id IS NOT NULL
     AND (TG_OP = 'INSERT' OR NEW.inspector_id IS DISTINCT FROM OLD.inspector_id)
     AND NOT EXISTS (SELECT 1 FROM inspector i
                      WHERE i.id = NEW.inspector_id AND i.authority_id = ANY (twindraw_scope_units())) THEN
    RAISE EXCEPTION 'row-level security: inspector % is outside the data scope', NEW.inspector_id
      USING ERRCODE = 'TD403';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION flow_initiator_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_units bigint[];
BEGIN
  IF current_user::text <> 'twindraw_app' THEN
    RETURN NEW;
  END IF;
  v_units := twindraw_flow_units();
  IF NEW.initiating_authority_id IS DISTINCT FROM OLD.initiating_authority_id
     AND NOT (NEW.initiating_authority_id = ANY (v_units)) THEN
    RAISE EXCEPTION 'row-level security: % % cannot be handed to unit %', TG_TABLE_NAME, OLD.id, NEW.initiating_authority_id
      USING ERRCODE = 'TD403';
  END IF;
  IF NOT (OLD.initiating_authority_id = ANY (v_units))
     AND to_jsonb(NEW) - TG_ARGV::text[] IS DISTINCT FROM to_jsonb(OLD) - TG_ARGV::text[] THEN
    RAISE EXCEPTION 'row-level security: only the initiating department changes % %', TG_TABLE_NAME, OLD.id
      USING ERRCODE = 'TD403';
  END IF;
  RETURN NEW;
END $$;
