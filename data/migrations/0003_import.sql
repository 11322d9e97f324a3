-- Batch import (BASE-1): the stable code of a failed job and the columns of the file
-- that matched no field, both shown on the import page.
ALTER TABLE import_job
  ADD COLUMN error_code text,
  ADD COLUMN ignored_columns text[] NOT NULL DEFAULT '{}';
