-- ALTER EXTENSION ecpipe UPDATE from 0.1.0 (the previous release) keeps every row and the pipeline keeps working.
BEGIN;
SELECT plan(8);
CREATE EXTENSION ecpipe VERSION '0.1.0';
SET ecpipe.min_pass_rate = 90;  -- mart_day.jsonl has one bad line in 14
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'succeeded', '0.1.0 runs a day');
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM ecpipe.raw_events) AS raw, (SELECT count(*) FROM ecpipe.quarantine) AS quarantined,
       (SELECT string_agg(format('%s', (o.order_date, o.order_id, o.total_amount, o.items_amount)), ',' ORDER BY o.order_id)
          FROM ecpipe.mart_orders o) AS orders,
       (SELECT count(*) FROM ecpipe.runs) AS runs;

ALTER EXTENSION ecpipe UPDATE;
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'ecpipe'), '0.3.0', 'the extension is at 0.3.0');
SELECT is((SELECT row(raw, quarantined, orders, runs)::text FROM before),
          (SELECT row((SELECT count(*) FROM ecpipe.raw_events), (SELECT count(*) FROM ecpipe.quarantine),
                      (SELECT string_agg(format('%s', (o.order_date, o.order_id, o.total_amount, o.items_amount)), ','
                                         ORDER BY o.order_id) FROM ecpipe.mart_orders o),
                      (SELECT count(*) FROM ecpipe.runs))::text),
          'raw, quarantine, marts and runs are kept');
SELECT ok(pg_has_role('ecpipe_operator', 'ecpipe_reader', 'MEMBER'), 'the roles exist after the update');
SELECT ok(has_table_privilege('ecpipe_operator', 'ecpipe.raw_events_20240402', 'SELECT'),
          'privileges reach partitions made before the update');
SELECT ok(NOT has_function_privilege('public', 'ecpipe_run(date)', 'EXECUTE'), 'PUBLIC lost EXECUTE');

SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'succeeded', 're-running the day after the update works');
SELECT is((SELECT string_agg(format('%s', (o.order_date, o.order_id, o.total_amount, o.items_amount)), ',' ORDER BY o.order_id)
             FROM ecpipe.mart_orders o), (SELECT orders FROM before), 'and builds the same marts');

SELECT * FROM finish();
ROLLBACK;
