-- A client's \copy into ecpipe.landing_import: every byte, lines 1..n in file order, the batch replaced whichever
-- path landed it, no row trigger, and an operator can do it.
BEGIN;
SELECT plan(30);
CREATE EXTENSION ecpipe;

CREATE FUNCTION pg_temp.client_copy(day date, file text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('ecpipe.landing_date', day::text, true);
    EXECUTE format($c$COPY ecpipe.landing_import (line) FROM %L
                      WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02', FORCE_NOT_NULL (line))$c$, file);
END $$;
CREATE FUNCTION pg_temp.numbered(day date) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(line_no || ':' || line, E'\n' ORDER BY line_no) FROM ecpipe.landing WHERE batch_date = day
$$;
CREATE FUNCTION pg_temp.numbered_file(file text) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(n || ':' || l, E'\n' ORDER BY n)
    FROM regexp_split_to_table(left(pg_read_file(file), -1), E'\n') WITH ORDINALITY AS t(l, n)
$$;

-- copy_dirty.jsonl: 8 lines with backslashes, quotes, blank and whitespace-only lines, invalid-looking JSON.
SELECT lives_ok(format('SELECT pg_temp.client_copy(%L, %L)', '2024-02-01', :'fixtures' || '/copy_dirty.jsonl'),
                'a client copies a dirty file');
SELECT is((SELECT array_agg(line_no ORDER BY line_no) FROM ecpipe.landing WHERE batch_date = '2024-02-01'),
          '{1,2,3,4,5,6,7,8}'::bigint[], 'lines are numbered 1..8');
SELECT is((SELECT string_agg(line, E'\n' ORDER BY line_no) || E'\n' FROM ecpipe.landing WHERE batch_date = '2024-02-01'),
          pg_read_file(:'fixtures' || '/copy_dirty.jsonl'), 'every byte of every line is kept');
SELECT is(pg_temp.numbered('2024-02-01'), pg_temp.numbered_file(:'fixtures' || '/copy_dirty.jsonl'),
          'each line under its position in the file');
SELECT is((SELECT line FROM ecpipe.landing WHERE batch_date = '2024-02-01' AND line_no = 2), '',
          'a blank line is kept as an empty line');
SELECT is((SELECT line FROM ecpipe.landing WHERE batch_date = '2024-02-01' AND line_no = 1),
          '{"a": "back\\slash \\N \\t"}', 'backslashes are kept');
SELECT is((SELECT count(*) FROM ONLY ecpipe.landing WHERE batch_date = '2024-02-01'), 0::bigint,
          'the lines are stored in landing_import, read through ecpipe.landing');

-- Without FORCE_NOT_NULL a blank line arrives as NULL: the copy is refused and the batch stays as it was.
SAVEPOINT blank;
SET LOCAL ecpipe.landing_date = '2024-02-01';
SELECT throws_ok(format($$COPY ecpipe.landing_import (line) FROM %L WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')$$,
                        :'fixtures' || '/copy_dirty.jsonl'), '23514', NULL, 'a blank line without FORCE_NOT_NULL is refused');
ROLLBACK TO SAVEPOINT blank;
SELECT is((SELECT count(*) FROM ecpipe.landing WHERE batch_date = '2024-02-01'), 8::bigint, 'the batch is as it was');

-- A second \copy of the day replaces the first.
SELECT pg_temp.client_copy('2024-02-01', :'fixtures' || '/copy_route.jsonl');
SELECT is(pg_temp.numbered('2024-02-01'), pg_temp.numbered_file(:'fixtures' || '/copy_route.jsonl'),
          'a second \copy replaces the batch, numbered from 1');
SELECT is((SELECT count(*) FROM ecpipe.landing WHERE batch_date = '2024-02-01'), 4::bigint, 'nothing of the first copy is left');

-- Across paths: ingest then \copy, and \copy then ingest; the newest landing wins.
SELECT ecpipe_ingest('2024-02-02', :'fixtures' || '/hostile.jsonl');
SELECT pg_temp.client_copy('2024-02-02', :'fixtures' || '/copy_route.jsonl');
SELECT is(pg_temp.numbered('2024-02-02'), pg_temp.numbered_file(:'fixtures' || '/copy_route.jsonl'),
          '\copy replaces a batch landed by ecpipe_ingest');
SELECT is((SELECT count(*) FROM ONLY ecpipe.landing WHERE batch_date = '2024-02-02'), 0::bigint, 'no ingested line is left');
SELECT pg_temp.client_copy('2024-02-03', :'fixtures' || '/copy_dirty.jsonl');
SELECT is(ecpipe_ingest('2024-02-03', :'fixtures' || '/copy_route.jsonl'), 4::bigint, 'ingest after a \copy');
SELECT is(pg_temp.numbered('2024-02-03'), pg_temp.numbered_file(:'fixtures' || '/copy_route.jsonl'),
          'ecpipe_ingest replaces a batch landed by \copy');

-- Lines copied into ecpipe.landing itself are appended after the copied ones, and the readers see them in order.
SELECT pg_temp.client_copy('2024-02-04', :'fixtures' || '/copy_route.jsonl');
SELECT lives_ok(format($$COPY ecpipe.landing (line) FROM %L WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')$$,
                       :'fixtures' || '/copy_route.jsonl'), 'append into ecpipe.landing (line) after a \copy');
SELECT is((SELECT array_agg(line_no ORDER BY line_no) FROM ecpipe.landing WHERE batch_date = '2024-02-04'),
          '{1,2,3,4,5,6,7,8}'::bigint[], 'appended lines follow the copied ones');

-- validate and load number a \copy batch's lines as the same file landed by ecpipe_ingest.
SELECT ecpipe_ingest('2024-03-01', :'fixtures' || '/small_day.jsonl');
SELECT ecpipe_validate('2024-03-01');
CREATE TEMP TABLE ingested AS
    SELECT line_no, reasons, detail FROM ecpipe.line_verdicts WHERE batch_date = '2024-03-01';
SELECT pg_temp.client_copy('2024-03-01', :'fixtures' || '/small_day.jsonl');
SELECT results_eq($$SELECT check_no, population, failed FROM ecpipe_validate('2024-03-01')$$,
                  $$VALUES (1, 12::bigint, 1::bigint), (2, 11::bigint, 1::bigint), (3, 11::bigint, 1::bigint),
                           (4, 4::bigint, 1::bigint), (5, 11::bigint, 1::bigint), (6, 2::bigint, 0::bigint),
                           (7, 11::bigint, 1::bigint)$$,
                  'validate counts a \copy batch as the ingested one');
SELECT set_eq($$SELECT line_no, reasons, detail FROM ecpipe.line_verdicts WHERE batch_date = '2024-03-01'$$,
              $$SELECT * FROM ingested$$, 'the same line numbers in the verdicts');

-- No row trigger on the client target: one statement trigger only.
SELECT is((SELECT array_agg(tgname::text || ':' || CASE WHEN tgtype & 1 = 1 THEN 'row' ELSE 'statement' END)
             FROM pg_trigger WHERE tgrelid = 'ecpipe.landing_import'::regclass AND NOT tgisinternal),
          '{landing_import_start:statement}', 'landing_import has no row trigger');

-- COPY inserts row by row when a column default calls a volatile function: none does.
SELECT is((SELECT count(*) FROM pg_attrdef ad
           JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid AND d.refclassid = 'pg_proc'::regclass
           JOIN pg_proc p ON p.oid = d.refobjid
           WHERE ad.adrelid = 'ecpipe.landing_import'::regclass AND p.provolatile = 'v'), 0::bigint,
          'no volatile function in landing_import''s column defaults');

-- The batch follows the setting from one statement to the next (the date is parsed once per value).
SET LOCAL ecpipe.landing_date = '2024-02-05';
INSERT INTO ecpipe.landing_import (line) VALUES ('{"n": 1}');
SET LOCAL ecpipe.landing_date = '2024-02-06';
INSERT INTO ecpipe.landing_import (line) VALUES ('{"n": 2}'), ('{"n": 3}');
SELECT results_eq($$SELECT batch_date, line_no, line FROM ecpipe.landing WHERE batch_date IN ('2024-02-05', '2024-02-06')
                    ORDER BY 1, 2$$,
                  $$VALUES ('2024-02-05'::date, 1::bigint, '{"n": 1}'), ('2024-02-06', 1, '{"n": 2}'),
                           ('2024-02-06', 2, '{"n": 3}')$$,
                  'each statement lands in the batch ecpipe.landing_date names then');

SET LOCAL ecpipe.landing_date = '';
SELECT throws_ok($$INSERT INTO ecpipe.landing_import (line) VALUES ('{}')$$, 'P0001', 'ecpipe.landing_date is not set',
                 'without ecpipe.landing_date nothing lands');

-- An operator (with pg_read_server_files for this server-side COPY; psql's \copy needs nothing more) can do it.
CREATE ROLE ecpipe_test_client IN ROLE ecpipe_operator, pg_read_server_files;
SET ROLE ecpipe_test_client;
SELECT lives_ok(format('SELECT pg_temp.client_copy(%L, %L)', '2024-02-01', :'fixtures' || '/copy_dirty.jsonl'),
                'an operator copies a batch');
RESET ROLE;
SELECT is(pg_temp.numbered('2024-02-01'), pg_temp.numbered_file(:'fixtures' || '/copy_dirty.jsonl'),
          'the operator''s copy replaced the batch');

-- A copy holds the day's lock, as ecpipe_ingest and a run do: an ingest of the day waits for it (their lines mixed
-- into one batch when they overlapped).
SELECT is((SELECT l.pid FROM ecpipe.run_locks l WHERE l.ds = '2024-02-01'), pg_backend_pid(),
          'the copy took its day''s lock until it commits');
-- So do lines appended to a batch through ecpipe.landing (numbered after its last line): two appends at once would
-- number after the same line, and an append during a copy would survive the copy's replacement of the batch.
SET LOCAL ecpipe.landing_date = '2024-02-11';
INSERT INTO ecpipe.landing (line) VALUES ('{"n": 1}');
SELECT is((SELECT l.pid FROM ecpipe.run_locks l WHERE l.ds = '2024-02-11'), pg_backend_pid(),
          'an append took its day''s lock until it commits');

-- Rows an operator writes into both tables are one batch, in line order whichever table holds a line; a line number
-- in both would repeat a line (and fail the load): the validation refuses the batch, naming it.
SET LOCAL ecpipe.landing_date = '2024-02-09';
INSERT INTO ecpipe.landing_import (line) VALUES ('{"n": 1}'), ('{"n": 2}');
INSERT INTO ecpipe.landing (batch_date, line_no, line) VALUES ('2024-02-09', 2, '{"n": 3}');
SELECT throws_ok($$SELECT ecpipe_validate('2024-02-09')$$, '55000',
                 'batch 2024-02-09 has line 2 both in ecpipe.landing and in ecpipe.landing_import: its lines would repeat; land the batch again, with one \copy or ecpipe_ingest',
                 'a line number in both tables is refused, naming the line');
UPDATE ONLY ecpipe.landing SET line_no = 3 WHERE batch_date = '2024-02-09';
SELECT is((SELECT sum(population) FROM ecpipe_validate('2024-02-09') WHERE check_no = 1), 3::numeric,
          'numbered after them, it is the batch''s third line');
-- Line 1 in landing, lines 2 and 3 copied: line 1 comes first, so line 2 is the repeat of its event_id.
SET LOCAL ecpipe.landing_date = '2024-02-10';
INSERT INTO ecpipe.landing_import (line_no, line) VALUES (2, '{"event_id": "e"}'), (3, '{"n": 3}');
INSERT INTO ecpipe.landing (batch_date, line_no, line) VALUES ('2024-02-10', 1, '{"event_id": "e"}');
SELECT ecpipe_validate('2024-02-10');
SELECT is((SELECT array_agg(line_no) FROM ecpipe.line_verdicts
            WHERE batch_date = '2024-02-10' AND 'duplicate_event_id' = ANY (reasons)), '{2}'::bigint[],
          'a first line in landing before the copied ones is read first: the lines merge in line order');

SELECT * FROM finish();
ROLLBACK;
