-- Heat tiles filtered by task or result category (issue 5: filters year, department,
-- task, category on every result layer; GIS-3, STAT-3). Task and category are not
-- dimensions of heat_cell (each would multiply the grid); a filtered heat tile counts the
-- result points of its window into the grid's cells instead (tiles/tile-service.cpp),
-- reading them through these indexes: the filter value first, then the level-14 cell
-- columns that the window bounds; the other columns a filtered tile reads (and the
-- row-level security policy: unit_id, job_id) are included so that the scan can stay in
-- the index.
CREATE INDEX result_point_task_cell_idx ON result_point (task_id, cx14, cy14)
  INCLUDE (inspected_year, unit_id, problem, job_id) WHERE task_id IS NOT NULL;
CREATE INDEX result_point_category_cell_idx ON result_point (category, cx14, cy14)
  INCLUDE (inspected_year, unit_id, problem, job_id) WHERE category IS NOT NULL;
