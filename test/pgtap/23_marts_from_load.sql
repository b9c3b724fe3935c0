-- The marts of a day whose raw partition the load creates are aggregated by the load as it writes the rows, and the
-- marts step of the same run takes them instead of reading the day back: the same rows, cell for cell, as one scan of
-- the day gives (ecpipe_build_marts), for a clean and an anomalous day; a re-run and a rolled-back load scan.
BEGIN;
SELECT plan(12);
CREATE EXTENSION ecpipe;
SET ecpipe.min_pass_rate = 0;  -- anomalous days load too, their flagged events included

CREATE FUNCTION pg_temp.land(ds date, users int, seed bigint, rate float8, dir text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($q$COPY (SELECT l FROM ecpipe_generate(%L, %s, %s, %s) l) TO %L
                      WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')$q$, ds, users, seed, rate,
                   dir || '/from_load_' || ds || '.jsonl');
    PERFORM ecpipe_ingest(ds, dir || '/from_load_' || ds || '.jsonl');
    PERFORM ecpipe_validate(ds);
END $$;
-- The four marts of a day, without run ids.
CREATE FUNCTION pg_temp.marts(day date) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT 'u' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_user_daily m WHERE m.activity_date = day
    UNION ALL SELECT 'f' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_funnel_daily m WHERE m.funnel_date = day
    UNION ALL SELECT 'p' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_product_daily m WHERE m.activity_date = day
    UNION ALL SELECT 'o' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_orders m WHERE m.order_date = day
$$;

-- A clean day of 2,000 users: the load of run 900001 aggregates it; the marts step of that run takes it.
SELECT pg_temp.land('2025-07-01', 2000, 21, 0, :'fixtures');
SELECT is((ecpipe.load_batch('2025-07-01', 900001, false)->>'status'), 'loaded', 'a clean day is loaded');
SELECT is(ecpipe.rebuild_day_marts('2025-07-01', 900001)->>'events_from', 'load',
          'its marts step takes what the load aggregated (its partition is new)');
CREATE TEMP TABLE from_load AS SELECT pg_temp.marts('2025-07-01') AS row;
SELECT cmp_ok((SELECT count(*) FROM from_load WHERE row LIKE 'o%'), '>', 10::bigint, 'with orders');
SELECT is(ecpipe_build_marts('2025-07-01')->>'events_from', 'scan', 'ecpipe_build_marts scans the day');
SELECT set_eq($$SELECT pg_temp.marts('2025-07-01')$$, $$SELECT row FROM from_load$$,
              'and gives the same four marts, cell for cell');
SELECT is(ecpipe.rebuild_day_marts('2025-07-01', 900001)->>'events_from', 'scan',
          'what the load aggregated is taken once');

-- An anomalous day (flags, quarantine, duplicates): the same comparison through ecpipe_load.
SELECT pg_temp.land('2025-07-02', 1000, 22, 0.05, :'fixtures');
SELECT cmp_ok((ecpipe_load('2025-07-02')->>'quarantined')::bigint, '>', 0::bigint, 'an anomalous day is loaded');
CREATE TEMP TABLE from_load_2 AS SELECT pg_temp.marts('2025-07-02') AS row;
SELECT lives_ok($$SELECT ecpipe_build_marts('2025-07-02')$$, 'scanned again');
SELECT set_eq($$SELECT pg_temp.marts('2025-07-02')$$, $$SELECT row FROM from_load_2$$,
              'the marts ecpipe_load built from the load equal those of a scan');

-- A re-run of the day: its partition exists, so the marts step scans it, to the same marts.
SELECT is((SELECT ecpipe_run('2025-07-02')->>'status'), 'succeeded', 'a re-run of the day');
SELECT set_eq($$SELECT pg_temp.marts('2025-07-02')$$, $$SELECT row FROM from_load_2$$, 'gives the same marts');

-- A load that is rolled back leaves nothing for a later marts step to take.
SELECT pg_temp.land('2025-07-03', 200, 23, 0, :'fixtures');
SAVEPOINT before_load;
SELECT ecpipe.load_batch('2025-07-03', 900003, false);
ROLLBACK TO SAVEPOINT before_load;
SELECT is(ecpipe.rebuild_day_marts('2025-07-03', 900003)->>'events_from', 'scan',
          'after a rolled-back load, the marts step scans (and finds no rows)');

SELECT * FROM finish();
ROLLBACK;
