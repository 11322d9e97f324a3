-- The draw benchmark (issue 12 §3, tests/bench/draw-vs-random.sh): at 10 M subjects a
-- draw's frozen candidate list is 7.35 M ids (59 MB as bigint[]). pglz, the default TOAST
-- compression, took about 2.6 s of the commitment to squeeze it to 24 MB; lz4 does it in
-- about 0.5 s to 30 MB and reads back faster. Rows written before keep pglz (both are read).
ALTER TABLE draw ALTER COLUMN candidate_ids SET COMPRESSION lz4;
