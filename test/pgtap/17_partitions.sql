-- Raw partitions and days: one name per day, the days ecpipe accepts, who may make partitions, the batch -> event
-- days map that confines a load to its partitions, and no_data checks for an empty batch.
-- (Thousands of partitions and the committing backfill: test/pgtap_committed/17_many_partitions.sql.)
BEGIN;
SELECT plan(56);
CREATE EXTENSION ecpipe;
SET ecpipe.min_pass_rate = 90;  -- mart_day.jsonl has one bad line in 14

-- raw_partition: a BC day, year 0, infinity and five-digit years never reach a partition name.
SELECT throws_ok($$SELECT ecpipe.raw_partition('2026-10-20 BC')$$, '22008',
                 'ecpipe.raw_partition: day 2026-10-20 BC is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'raw_partition refuses a BC day');
SELECT throws_ok($$SELECT ecpipe.raw_partition('0001-12-31 BC')$$, '22008',
                 'ecpipe.raw_partition: day 0001-12-31 BC is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'and year 0');
SELECT throws_ok($$SELECT ecpipe.raw_partition('infinity')$$, '22008',
                 'ecpipe.raw_partition: day infinity is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'and infinity');
SELECT throws_ok($$SELECT ecpipe.raw_partition('-infinity')$$, '22008',
                 'ecpipe.raw_partition: day -infinity is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'and -infinity');
SELECT throws_ok($$SELECT ecpipe.raw_partition('5874897-12-31')$$, '22008',
                 'ecpipe.raw_partition: day 5874897-12-31 is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'and the last date PostgreSQL has');
SELECT throws_ok($$SELECT ecpipe.raw_partition(NULL)$$, '22004', 'ecpipe.raw_partition: day must not be NULL',
                 'and NULL');

-- Within years 1..9999, a partition holds only days a validated event can have: written year >= ecpipe.min_year
-- (less two days of offset and zone), at most ecpipe.max_future after now (plus two).
SET ecpipe.min_year = 2020;
SELECT throws_ok($$SELECT ecpipe.raw_partition('2019-12-29')$$, '22008',
                 format('ecpipe.raw_partition: event day 2019-12-29 is outside the days a load may hold (2019-12-30 to %s, from ecpipe.min_year and ecpipe.max_future)',
                        ((now() + interval '1 day') AT TIME ZONE 'UTC')::date + 2),
                 'a day before ecpipe.min_year is refused');
SELECT is((SELECT row(part, created)::text FROM ecpipe.raw_partition('2019-12-30')), '(ecpipe.raw_events_20191230,t)',
          'the first day it may hold is made');
SELECT is((SELECT row(part, created)::text FROM ecpipe.raw_partition('2019-12-30')), '(ecpipe.raw_events_20191230,f)',
          'and found again, not made twice');
SELECT is((SELECT pg_get_expr(c.relpartbound, c.oid) FROM pg_class c WHERE c.oid = 'ecpipe.raw_events_20191230'::regclass),
          $$FOR VALUES FROM ('2019-12-30') TO ('2019-12-31')$$, 'with the bound of its day');
SELECT throws_ok(format('SELECT ecpipe.raw_partition(%L)', ((now() + interval '1 day') AT TIME ZONE 'UTC')::date + 3), '22008',
                 format('ecpipe.raw_partition: event day %s is outside the days a load may hold (2019-12-30 to %s, from ecpipe.min_year and ecpipe.max_future)',
                        ((now() + interval '1 day') AT TIME ZONE 'UTC')::date + 3,
                        ((now() + interval '1 day') AT TIME ZONE 'UTC')::date + 2),
                 'a day past ecpipe.max_future is refused');

-- A BC partition made by an earlier version took the AD day's name: the AD day's load must not write into it.
CREATE TABLE ecpipe.raw_events_20240402 PARTITION OF ecpipe.raw_events FOR VALUES FROM ('2024-04-02 BC') TO ('2024-04-03 BC');
SELECT throws_ok($$SELECT ecpipe.raw_partition('2024-04-02')$$, '42P07',
                 'ecpipe.raw_partition: ecpipe.raw_events_20240402 exists but is not the partition of event day 2024-04-02',
                 'a table with the day''s name that is not its partition is refused');
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
SELECT is((SELECT row(r->>'status', r->>'step', r->>'error')::text FROM ecpipe_run('2024-04-02') r),
          '(failed,load,"ecpipe.raw_partition: ecpipe.raw_events_20240402 exists but is not the partition of event day 2024-04-02")',
          'so the AD day''s run fails with that error instead of succeeding into the BC partition');
SELECT is((SELECT count(*) FROM ecpipe.raw_events), 0::bigint, 'and loads nothing');
DROP TABLE ecpipe.raw_events_20240402;

-- The load checks the days before making anything: an event day outside them (the settings changed since the
-- validation) fails the load naming the line, and no partition is made.
INSERT INTO ecpipe.landing (batch_date, line_no, line)
SELECT '2018-06-01', row_number() OVER (), l FROM ecpipe_generate('2018-06-01', 3) l;
SET ecpipe.min_year = 2015;
SELECT is((SELECT array_agg(DISTINCT status) FROM ecpipe_validate('2018-06-01')), '{PASS}', 'a 2018 day passes with min_year 2015');
SET ecpipe.min_year = 2020;
SELECT throws_ok($$SELECT ecpipe_load('2018-06-01')$$, '22008',
                 format('ecpipe_load: line 1 of batch 2018-06-01 has event day 2018-06-01, outside the days a load may hold (2019-12-30 to %s, from ecpipe.min_year and ecpipe.max_future): validate the batch with this load''s settings',
                        ((now() + interval '1 day') AT TIME ZONE 'UTC')::date + 2),
                 'but loading it under min_year 2020 is refused, naming the line');
SELECT is(to_regclass('ecpipe.raw_events_20180601'), NULL, 'and makes no partition');
RESET ecpipe.min_year;

-- One load makes at most ecpipe.max_new_partitions partitions (each holds locks until commit).
SET ecpipe.max_new_partitions = 1;
SELECT throws_ok($$SELECT ecpipe_load('2024-04-02')$$, '54000',
                 'ecpipe_load: batch 2024-04-02 has events on more than 1 days without a raw_events partition (ecpipe.max_new_partitions; line 11 is on 2024-04-01): check its timestamps, or raise the setting for this load',
                 'a batch with events on more new days than ecpipe.max_new_partitions is refused, naming a line');
SELECT is(to_regclass('ecpipe.raw_events_20240402'), NULL, 'and leaves no partition');
RESET ecpipe.max_new_partitions;

-- Every function that takes a day refuses the same days, before doing anything.
SELECT throws_ok($$SELECT ecpipe_generate('infinity')$$, '22008',
                 'ecpipe_generate: day infinity is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'ecpipe_generate refuses infinity');
SELECT throws_ok(format('SELECT ecpipe_ingest(%L, %L)', '2024-04-02 BC', :'fixtures' || '/mart_day.jsonl'), '22008',
                 'ecpipe_ingest: day 2024-04-02 BC is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'ecpipe_ingest refuses a BC day (it would land the AD day''s file)');
SELECT throws_ok($$SELECT * FROM ecpipe_validate('0001-01-01 BC')$$, '22008',
                 'ecpipe_validate: day 0001-01-01 BC is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'ecpipe_validate refuses year 0');
SELECT throws_ok($$SELECT ecpipe_load('5874897-12-31')$$, '22008',
                 'ecpipe_load: day 5874897-12-31 is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'ecpipe_load refuses year 5874897');
SELECT throws_ok($$SELECT ecpipe_build_marts('-infinity')$$, '22008',
                 'ecpipe_build_marts: day -infinity is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'ecpipe_build_marts refuses -infinity');
SELECT throws_ok($$SELECT ecpipe_backfill('2024-04-01 BC', '2024-04-02')$$, '22008',
                 'ecpipe_backfill: day 2024-04-01 BC is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'ecpipe_backfill refuses a BC first day');
SELECT throws_ok($$SELECT ecpipe_backfill('2024-04-01', 'infinity')$$, '22008',
                 'ecpipe_backfill: day infinity is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'and an infinite last day');
SET ecpipe.landing_dir = :'fixtures';  -- holds events_20240402.jsonl
DELETE FROM ecpipe.landing;
SELECT throws_ok($$SELECT ecpipe_run('2024-04-02 BC')$$, '22008',
                 'ecpipe_run: day 2024-04-02 BC is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'ecpipe_run refuses a BC day');
SELECT throws_ok($$SELECT ecpipe_run('5874897-12-31')$$, '22008',
                 'ecpipe_run: day 5874897-12-31 is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'and year 5874897');
SELECT throws_ok($$SELECT ecpipe_run('infinity')$$, '22008', NULL, 'and infinity');
SELECT is((SELECT count(*) FROM ecpipe.landing), 0::bigint, 'nothing was collected under another day');
RESET ecpipe.landing_dir;

-- Operators run loads, which make partitions as the extension's owner; they cannot make, drop, attach, detach or
-- truncate partitions themselves.
CREATE ROLE ecpipe_test_parts_operator IN ROLE ecpipe_operator;
CREATE SCHEMA parts_scratch AUTHORIZATION ecpipe_test_parts_operator;
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
SET ROLE ecpipe_test_parts_operator;
SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'succeeded', 'an operator''s run makes the day''s partitions');
SELECT is(current_user::text, 'ecpipe_test_parts_operator', 'and is itself again afterwards');
SELECT throws_ok($$SELECT ecpipe.raw_partition('2024-04-05')$$, '42501', 'permission denied for function raw_partition',
                 'an operator cannot make partitions directly');
SELECT throws_ok($$SELECT ecpipe.index_raw_partition('ecpipe.raw_events_20240402')$$, '42501',
                 'permission denied for function index_raw_partition', 'nor index them');
SELECT throws_ok($$DROP TABLE ecpipe.raw_events_20240402$$, '42501', 'must be owner of table raw_events_20240402',
                 'nor drop one');
SELECT throws_ok($$TRUNCATE ecpipe.raw_events_20240402$$, '42501', 'permission denied for table raw_events_20240402',
                 'nor truncate one');
SELECT throws_ok($$TRUNCATE ecpipe.raw_events$$, '42501', 'permission denied for table raw_events',
                 'nor truncate them all');
SELECT throws_ok($$ALTER TABLE ecpipe.raw_events DETACH PARTITION ecpipe.raw_events_20240402$$, '42501',
                 'must be owner of table raw_events', 'nor detach one');
SELECT throws_ok($$CREATE TABLE parts_scratch.p PARTITION OF ecpipe.raw_events FOR VALUES FROM ('2030-01-01') TO ('2030-01-02')$$,
                 '42501', 'must be owner of table raw_events', 'nor make one in a schema of their own');
CREATE TABLE parts_scratch.loose (LIKE ecpipe.raw_events);
SELECT throws_ok($$ALTER TABLE ecpipe.raw_events ATTACH PARTITION parts_scratch.loose FOR VALUES FROM ('2030-01-01') TO ('2030-01-02')$$,
                 '42501', 'must be owner of table raw_events', 'nor attach one');
SELECT throws_ok($$SET ecpipe.max_new_partitions = 100000$$, '42501',
                 'permission denied to set parameter "ecpipe.max_new_partitions"',
                 'nor let a load make more partitions at once (each holds its locks to the end of the load)');
RESET ROLE;
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
           WHERE i.inhparent = 'ecpipe.raw_events'::regclass
             AND c.relowner = (SELECT extowner FROM pg_extension WHERE extname = 'ecpipe')), 3::bigint,
          'the partitions belong to the extension''s owner');
SELECT is((SELECT partdefid FROM pg_partitioned_table WHERE partrelid = 'ecpipe.raw_events'::regclass), 0::oid,
          'there is no default partition');

-- The batch -> event days map: written by each load, and the next load of the batch deletes only there.
SELECT results_eq($$SELECT batch_date, event_day FROM ecpipe.batch_days ORDER BY 1, 2$$,
                  $$VALUES ('2024-04-02'::date, '2024-04-01'::date), ('2024-04-02', '2024-04-02')$$,
                  'the load records the two event days of batch 2024-04-02');
-- The batch lands again without its late event (line 11, 2024-04-01): the old row there goes, the day is rebuilt.
DELETE FROM ecpipe.landing WHERE batch_date = '2024-04-02' AND line_no = 11;
SELECT is((SELECT ecpipe_run('2024-04-02')->'days_rebuilt'), '["2024-04-01", "2024-04-02"]'::jsonb,
          'a re-run rebuilds the day it no longer touches, too');
SELECT results_eq($$SELECT event_day, count(*) FROM ecpipe.raw_events GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('2024-04-02'::date, 12::bigint)$$, 'its old row on 2024-04-01 is gone');
SELECT results_eq($$SELECT batch_date, event_day FROM ecpipe.batch_days ORDER BY 1, 2$$,
                  $$VALUES ('2024-04-02'::date, '2024-04-02'::date)$$, 'and the map says so');
-- A partition dropped by retention is skipped: nothing to delete there, its marts are kept.
DELETE FROM ecpipe.landing WHERE batch_date = '2024-04-02';
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
SELECT is((SELECT ecpipe_run('2024-04-02')->>'loaded'), '13', 'the full batch again');
DROP TABLE ecpipe.raw_events_20240401;
SELECT ecpipe_run('2024-04-02');
SELECT results_eq($$SELECT event_day, count(*) FROM ecpipe.raw_events GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('2024-04-01'::date, 1::bigint), ('2024-04-02', 12)$$,
                  'a re-run after the partition was dropped makes it again and loads each row once');
-- A map row for a BC day (an earlier version's BC partition, found by the update) is skipped, not an error.
INSERT INTO ecpipe.batch_days VALUES ('2024-04-02', '2024-04-02 BC');
SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'succeeded', 'a map row for a BC day is skipped');
SELECT ok(has_table_privilege('ecpipe_operator', 'ecpipe.batch_days', 'SELECT')
          AND NOT has_table_privilege('ecpipe_operator', 'ecpipe.batch_days', 'INSERT, UPDATE, DELETE, TRUNCATE')
          AND NOT has_table_privilege('ecpipe_reader', 'ecpipe.batch_days', 'SELECT'),
          'operators read the map, only the load writes it (their runs above did); readers do not see it');
SELECT ok((SELECT extconfig @> ARRAY['ecpipe.batch_days'::regclass::oid] FROM pg_extension WHERE extname = 'ecpipe'),
          'pg_dump keeps the map');

-- ecpipe_validate of a day never landed: seven no_data rows, as ecpipe_run says no_data.
SELECT results_eq($$SELECT * FROM ecpipe_validate('2030-01-01')$$,
                  $$VALUES (1, 'required_fields', 0::bigint, 0::bigint, 100.00, 'no_data'),
                           (2, 'duplicate_event_id', 0, 0, 100.00, 'no_data'),
                           (3, 'value_validity', 0, 0, 100.00, 'no_data'),
                           (4, 'funnel_sequence', 0, 0, 100.00, 'no_data'),
                           (5, 'timestamp_validity', 0, 0, 100.00, 'no_data'),
                           (6, 'order_amount', 0, 0, 100.00, 'no_data'),
                           (7, 'platform_device', 0, 0, 100.00, 'no_data')$$,
                  'a day never landed: seven rows that say no_data, not PASS');
SELECT is((SELECT status FROM ecpipe.validations WHERE batch_date = '2030-01-01'), 'no_data', 'the validation is no_data');
SELECT is((SELECT array_agg(DISTINCT c->>'status') FROM ecpipe_run('2030-01-01') r, jsonb_array_elements(r->'checks') c),
          '{no_data}', 'and a run of it reports its checks as no_data');
SELECT is((SELECT array_agg(DISTINCT status) FROM ecpipe_validate('2024-04-02')), '{PASS}', 'a landed day still passes');

SELECT * FROM finish();
ROLLBACK;
