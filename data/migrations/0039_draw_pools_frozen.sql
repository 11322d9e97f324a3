-- The inspector pools frozen at the commitment (issue 12 §3, loose end 1).
--
-- Until now the commitment bound the candidate objects but not the inspectors: run()
-- read the pools only to check their sizes and the reveal read them again, so between
-- commit and reveal someone could add an inspector to the scope, deactivate one or add
-- or drop a recusal and change who is drawn. Since this migration the commitment stores
-- the pools (active, in the inspector scope, qualified, of the personnel categories, not
-- generally recused: columns inspector_pools and inspector_digest, written at the commit,
-- no longer at the reveal) and the object recusals of pool members that name a candidate
-- of the frozen population (inspector_recusals: [[inspector id, object id], …] sorted),
-- and the commit entry of the public draw log carries the inspector digest over both
-- (docs/draw-algorithm.md §10). The reveal draws from what was frozen: a person recused
-- from a selected object is left out there, by the algorithm, not by a query.
--
-- inspector_recusals is NULL for attempts committed before this migration (and format 1):
-- their reveal still reads the pools as it did. It is written by the commitment's INSERT
-- and never changes after (no UPDATE may set it, not even from NULL); inspector_pools and
-- inspector_digest keep draw_guard's rule of 0036 (NULL to a value once), which the
-- reveal of an older attempt still needs.

ALTER TABLE draw ADD COLUMN inspector_recusals jsonb
  CHECK (inspector_recusals IS NULL OR jsonb_typeof(inspector_recusals) = 'array');

CREATE FUNCTION draw_recusals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.inspector_recusals IS DISTINCT FROM OLD.inspector_recusals THEN
    RAISE EXCEPTION 'the frozen recusals of draw % cannot change', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER draw_recusals_guard BEFORE UPDATE OF inspector_recusals ON draw
  FOR EACH ROW EXECUTE FUNCTION draw_recusals_guard();

-- One open stand-alone attempt per person (loose end 2): the commitment looks for an
-- open attempt without a task by its drawer or co-drawer.
CREATE INDEX draw_open_standalone_idx ON draw (drawn_by)
  WHERE task_id IS NULL AND status IN ('draft', 'committed', 'witnessed', 'revealed');
