-- ecpipe_run: succeeded, blocked, no_data and failed runs, their steps and messages; collect from landing_dir;
-- backfill; scheduling with pg_cron.
BEGIN;
SELECT plan(33);
CREATE EXTENSION ecpipe;
SET ecpipe.min_pass_rate = 90;  -- mart_day has 1 bad line in 14

-- A day that passes: collect from ecpipe.landing_dir, validate, load, marts, notify.
SET ecpipe.landing_dir = :'fixtures';
SELECT is(ecpipe_run('2024-04-02') - ARRAY['run_id', 'seconds', 'checks', 'source_file'],
          '{"ds": "2024-04-02", "status": "succeeded", "loaded": 13, "quarantined": 1, "days_rebuilt": ["2024-04-01", "2024-04-02"],
            "users": 3, "sessions": 4, "orders": 2, "revenue": 225000.00, "step": null, "error": null,
            "source": "file", "min_pass_rate": 90}'::jsonb,
          'a passing day: summary, read from its file');
SELECT results_eq($$SELECT name, status, rows FROM ecpipe.run_steps ORDER BY step_no$$,
                  $$VALUES ('collect', 'succeeded', NULL::bigint), ('validate', 'succeeded', 14), ('load', 'succeeded', 14),
                           ('marts', 'succeeded', 2), ('notify', 'succeeded', 2)$$, 'five steps, each recorded');
SELECT is((SELECT row(status, loaded, quarantined, days_rebuilt, failed_step)::text FROM ecpipe.runs),
          '(succeeded,13,1,"{2024-04-01,2024-04-02}",)', 'the run row');
SELECT is((SELECT jsonb_array_length(checks) FROM ecpipe.runs), 7, 'the run keeps the seven checks');
SELECT results_eq($$SELECT kind, status, payload->>'text' FROM ecpipe.notifications ORDER BY id$$,
                  $$VALUES ('quality_report', 'queued', '[PASS] 품질 검증 결과 (2024-04-02)'),
                           ('success', 'queued', '[SUCCESS] 파이프라인 완료 (2024-04-02)')$$,
                  'quality report then success, queued in the same transaction');
SELECT is((SELECT payload->'blocks'->1->'fields'->0->>'text' FROM ecpipe.notifications WHERE kind = 'quality_report'),
          E'*통과*\n7/7', 'the report counts the checks passed');
SELECT is((SELECT count(*) FROM ecpipe.mart_orders), 2::bigint, 'the marts are built');
RESET ecpipe.landing_dir;

-- A blocked day: nothing loaded, the report and a blocked alert, never a success message.
RESET ecpipe.min_pass_rate;
SELECT ecpipe_ingest('2024-03-01', :'fixtures' || '/small_day.jsonl');
SELECT is(ecpipe_run('2024-03-01')->>'status', 'blocked', 'a failing day is blocked');
SELECT results_eq($$SELECT s.name, s.status FROM ecpipe.run_steps s JOIN ecpipe.runs r USING (run_id)
                     WHERE r.ds = '2024-03-01' ORDER BY step_no$$,
                  $$VALUES ('collect', 'skipped'), ('validate', 'succeeded'), ('notify', 'succeeded')$$,
                  'no load and no marts step');
SELECT is((SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2024-03-01'), 0::bigint, 'nothing of it is loaded');
SELECT results_eq($$SELECT n.kind FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
                     WHERE r.ds = '2024-03-01' ORDER BY n.id$$,
                  $$VALUES ('quality_report'), ('blocked')$$, 'report and blocked alert');
SELECT is((SELECT count(*) FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
            WHERE r.ds = '2024-03-01' AND n.payload::text LIKE '%SUCCESS%'), 0::bigint, 'a blocked day never says success');
SELECT is((SELECT split_part(n.payload->'blocks'->2->'text'->>'text', E'\n', 4) FROM ecpipe.notifications n
             JOIN ecpipe.runs r USING (run_id) WHERE r.ds = '2024-03-01' AND n.kind = 'quality_report'),
          '- *funnel_sequence*: 75.00% `purchase at line 6 has no add_to_cart before it in session 00000000-0000-4000-9000-00000000000b`',
          'the report lists each failing check with its rate and a sample reason');

-- No data.
SELECT is(ecpipe_run('2024-03-05')->>'status', 'no_data', 'an empty day is no_data');
SELECT is((SELECT n.kind FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id) WHERE r.ds = '2024-03-05'),
          'no_data', 'with its own message');

-- A forced error in the marts step: raw and marts stay as they were, the run is failed with its error, alert queued.
CREATE TEMP TABLE marts_before AS SELECT * FROM ecpipe.mart_orders;
CREATE TEMP TABLE raw_before AS SELECT batch_date, line_no, run_id FROM ecpipe.raw_events;
ALTER TABLE ecpipe.mart_orders ADD CONSTRAINT test_refuse_rows CHECK (false) NOT VALID;
SET ecpipe.min_pass_rate = 90;
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
SELECT is(ecpipe_run('2024-04-02') ->> 'status', 'failed', 'an error in the marts step fails the run');
SELECT is((SELECT row(failed_step, error LIKE '%test_refuse_rows%')::text FROM ecpipe.runs
            WHERE ds = '2024-04-02' ORDER BY run_id DESC LIMIT 1), '(marts,t)', 'the run records the step and error');
SELECT results_eq($$SELECT name, status FROM ecpipe.run_steps WHERE run_id = (SELECT max(run_id) FROM ecpipe.runs) ORDER BY step_no$$,
                  $$VALUES ('collect', 'skipped'), ('validate', 'succeeded'), ('load', 'rolled_back'), ('marts', 'failed'),
                           ('notify', 'succeeded')$$,
                  'the failed step is recorded, and the load it rolled back');
SELECT set_eq($$SELECT batch_date, line_no, run_id FROM ecpipe.raw_events$$, $$SELECT * FROM raw_before$$,
              'raw is exactly as before');
SELECT set_eq($$SELECT * FROM ecpipe.mart_orders$$, $$SELECT * FROM marts_before$$, 'marts are exactly as before');
SELECT is((SELECT payload->>'text' FROM ecpipe.notifications ORDER BY id DESC LIMIT 1), '[ALERT] 파이프라인 실패 (2024-04-02)',
          'a failure alert is queued');
SELECT ok((SELECT payload::text LIKE '%test_refuse_rows%' FROM ecpipe.notifications ORDER BY id DESC LIMIT 1),
          'with the error in it');
ALTER TABLE ecpipe.mart_orders DROP CONSTRAINT test_refuse_rows;

-- Two runs of one day never interleave: that needs committed state and two sessions (test/pgtap_committed/16_runs.sql).
SELECT lives_ok($$SELECT ecpipe_run('2024-04-09')$$, 'another day runs');

-- Backfill: each day in order, past a blocked one.
SELECT ecpipe_ingest('2024-05-02', :'fixtures' || '/small_day.jsonl');
RESET ecpipe.min_pass_rate;
SELECT results_eq($$SELECT s->>'ds', s->>'status' FROM ecpipe_backfill('2024-05-01', '2024-05-03') s$$,
                  $$VALUES ('2024-05-01', 'no_data'), ('2024-05-02', 'blocked'), ('2024-05-03', 'no_data')$$,
                  'backfill runs three days in order and reports each');

-- A serialization failure in load + marts is retried (ecpipe.max_retries); the retry's success is the run's outcome.
CREATE SEQUENCE public.conflicts;
CREATE FUNCTION public.conflict_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('public.conflicts') = 1 THEN
        RAISE EXCEPTION 'simulated conflict' USING ERRCODE = '40001';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER conflict_once BEFORE INSERT ON ecpipe.mart_orders FOR EACH STATEMENT EXECUTE FUNCTION public.conflict_once();
SET ecpipe.min_pass_rate = 90;
SELECT is((SELECT s->>'status' || ' ' || coalesce(s->>'error', 'no error') FROM ecpipe_run('2024-04-02') s),
          'succeeded no error', 'a conflict retried away leaves no error in the summary');
SELECT is(currval('public.conflicts'), 3::bigint, 'the first attempt failed at its first day, the retry built both days');
SELECT results_eq($$SELECT name, status FROM ecpipe.run_steps WHERE run_id = (SELECT max(run_id) FROM ecpipe.runs) ORDER BY step_no$$,
                  $$VALUES ('collect', 'skipped'), ('validate', 'succeeded'), ('load', 'succeeded'), ('marts', 'succeeded'),
                           ('notify', 'succeeded')$$, 'the retried attempt leaves no step rows');
DROP TRIGGER conflict_once ON ecpipe.mart_orders;
RESET ecpipe.min_pass_rate;

-- Scheduling with pg_cron.
SELECT ok(ecpipe_schedule() > 0, 'ecpipe_schedule creates the job');
SELECT results_eq($$SELECT schedule, command FROM cron.job WHERE jobname = 'ecpipe-daily'$$,
                  $$VALUES ('0 17 * * *', 'SELECT public.ecpipe_run()')$$, 'daily at 17:00 (GMT) by default');
SELECT lives_ok($$SELECT ecpipe_schedule('30 1 * * *')$$, 'rescheduling replaces the job');
SELECT is((SELECT array_agg(schedule) FROM cron.job WHERE jobname = 'ecpipe-daily'), ARRAY['30 1 * * *'], 'one job, new time');
SELECT is(ecpipe_unschedule(), true, 'ecpipe_unschedule removes it');

-- The pipeline's queries run once a day: compiling them with JIT would only cost time and memory.
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname IN ('ecpipe', 'public') AND 'jit=off' = ANY (p.proconfig)
             AND p.proname IN ('ecpipe_run', 'ecpipe_backfill', 'ecpipe_ingest', 'ecpipe_validate', 'ecpipe_load',
                               'ecpipe_build_marts', 'ecpipe_report_html', 'check_batch', 'load_batch',
                               'rebuild_day_marts', 'scan_day_events')), 11::bigint, 'no JIT in the pipeline''s functions');

SELECT * FROM finish();
ROLLBACK;
