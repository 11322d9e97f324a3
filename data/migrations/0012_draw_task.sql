-- A draw made for a task refers to it (DRAW-1, TASK-1): the plans/tasks migration (0008)
-- and the draws migration (0009) were written side by side, so the key comes here.
-- draw_attempt.task_id stays without one: a refused attempt may name a task that does
-- not exist, and the log keeps what was asked.
ALTER TABLE draw ADD CONSTRAINT draw_task_id_fkey FOREIGN KEY (task_id) REFERENCES inspection_task(id);
