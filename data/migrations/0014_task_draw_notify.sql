-- The draw of a task and the notifications of the flow (DRAW-1, TASK-*, WORK-3, issue 4
-- "The flow" step 4 and "Notifications").
--
-- A task records the draw confirmed for it: inspection_task.draw_id is set in the
-- transaction that confirms the draw (workflows/task-draw.cpp, called from
-- draw::confirm), together with a flow_history row (action 'draw'). At most one
-- confirmed draw per task: the unique index refuses a second one whatever the path.
ALTER TABLE inspection_task ADD COLUMN draw_id bigint REFERENCES draw(id);
ALTER TABLE inspection_task ADD COLUMN drawn_at timestamptz;
CREATE UNIQUE INDEX draw_one_confirmed_per_task ON draw(task_id) WHERE status = 'confirmed' AND task_id IS NOT NULL;

-- Who is notified of a step (docs/task-draw.md): the active users holding an identity in
-- one of the units whose role grants the permission. SECURITY DEFINER because the
-- acting user's data scope (0006) need not cover the units notified (a reviewer of one
-- department approving a joint task notifies the assigners of another).
CREATE FUNCTION notify_recipients(p_units bigint[], p_permission text) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT ui.user_id
    FROM user_identity ui JOIN role r ON r.id = ui.role_id JOIN app_user u ON u.id = ui.user_id
   WHERE ui.authority_id = ANY(p_units) AND p_permission = ANY(r.permissions) AND u.active
   ORDER BY 1
$$;

-- The accounts of the inspectors a draw picked (app_user.inspector_id), told when the
-- draw is confirmed.
CREATE FUNCTION notify_draw_inspectors(p_draw bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT u.id FROM draw_inspector di JOIN app_user u ON u.inspector_id = di.inspector_id
   WHERE di.draw_id = p_draw AND u.active ORDER BY 1
$$;

-- The outbox of e-mails and SMS (issue 4 "Notifications"): rows are written in the
-- step's transaction (so they exist exactly when the step was committed) and sent AFTER
-- commit by the server's outbox worker (workflows/notify-outbox.cpp) with retries and
-- exponential back-off. A mail server or gateway that fails never blocks or rolls back
-- the step: the row waits for its next attempt, and after the last one is 'failed'.
CREATE TABLE notify_outbox (
  id              bigserial PRIMARY KEY,
  channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
  user_id         bigint REFERENCES app_user(id) ON DELETE SET NULL,
  address         text NOT NULL CHECK (length(address) BETWEEN 1 AND 200),
  subject         text NOT NULL CHECK (length(subject) <= 300),
  body            text NOT NULL CHECK (length(body) <= 6000),
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
CREATE INDEX notify_outbox_due_idx ON notify_outbox(next_attempt_at) WHERE status = 'pending';

-- Queues an e-mail for each user with an address and an SMS for each with a phone.
-- SECURITY DEFINER: the step runs as twindraw_app, which may neither read the
-- recipients' contact data outside its scope nor touch the outbox otherwise.
CREATE FUNCTION notify_enqueue(p_users bigint[], p_subject text, p_body text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n integer;
BEGIN
  INSERT INTO notify_outbox(channel, user_id, address, subject, body)
  SELECT c.channel, u.id, c.address, p_subject, p_body
    FROM app_user u
   CROSS JOIN LATERAL (VALUES ('email', nullif(btrim(u.email), '')), ('sms', nullif(btrim(u.phone), ''))) AS c(channel, address)
   WHERE u.id = ANY(p_users) AND u.active AND c.address IS NOT NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- The system message of a step to users the actor's data scope (0006) need not cover:
-- the rows messages::send writes (0007), written here as SECURITY DEFINER because
-- messages::send checks its recipients against app_user, which RLS limits to the
-- actor's scope (a reviewer of one department approving a joint task tells the
-- assigners of another). The sender is the transaction's actor.
CREATE FUNCTION notify_message(p_users bigint[], p_category text, p_title text, p_body text, p_link text)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE m bigint;
BEGIN
  INSERT INTO message(category, title, body, link, sender_id)
  VALUES (p_category, p_title, p_body, p_link, nullif(current_setting('twindraw.user_id', true), '')::bigint)
  RETURNING id INTO m;
  INSERT INTO message_recipient(message_id, user_id)
  SELECT DISTINCT m, u FROM unnest(p_users) u JOIN app_user a ON a.id = u;
  RETURN m;
END $$;

-- "Deadline near" is told once per task.
ALTER TABLE inspection_task ADD COLUMN deadline_notified_at timestamptz;
