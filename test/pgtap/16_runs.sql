-- The run record: the load step a failing marts step rolled back, the backend that ran it, runs left running by a
-- dead backend, and who may write or lock the record (committed state and two sessions: pgtap_committed/16_runs.sql).
BEGIN;
SELECT plan(27);
CREATE EXTENSION ecpipe;

-- A failing marts step: run_steps shows the load it rolled back, then the failure.
SET ecpipe.min_pass_rate = 90;  -- mart_day has 1 bad line in 14
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
ALTER TABLE ecpipe.mart_orders ADD CONSTRAINT test_refuse_rows CHECK (false) NOT VALID;
SELECT is(ecpipe_run('2024-04-02')->>'status', 'failed', 'an error in the marts step fails the run');
SELECT results_eq($$SELECT step_no, name, status, rows, detail FROM ecpipe.run_steps WHERE step_no <= 3 ORDER BY step_no$$,
                  $$VALUES (1, 'collect', 'skipped', NULL::bigint, 'already landed'), (2, 'validate', 'succeeded', 14, 'passed'),
                           (3, 'load', 'rolled_back', 14, '13 loaded, 1 quarantined (rolled back with the marts)')$$,
                  'the load step is kept, marked rolled_back, with what it had done');
SELECT results_eq($$SELECT name, status, coalesce(detail, '') LIKE '%test_refuse_rows%' FROM ecpipe.run_steps WHERE step_no > 3 ORDER BY step_no$$,
                  $$VALUES ('marts', 'failed', true), ('notify', 'succeeded', false)$$, 'then the failed marts step and notify');
SELECT ok((SELECT s.started_at <= s.finished_at AND s.finished_at <= m.started_at FROM ecpipe.run_steps s, ecpipe.run_steps m
           WHERE s.name = 'load' AND m.name = 'marts'), 'the load keeps the times it ran at');
SELECT is((SELECT count(*) FROM ecpipe.raw_events), 0::bigint, 'and nothing of it stayed');
ALTER TABLE ecpipe.mart_orders DROP CONSTRAINT test_refuse_rows;
SELECT is((SELECT row(status, failed_step, pid = pg_backend_pid())::text FROM ecpipe.runs), '(failed,marts,t)',
          'the run row names the failed step and the backend that ran it');
SELECT is(ecpipe_run('2024-04-02')->>'status', 'succeeded', 'the same day runs again in the same transaction');
SELECT results_eq($$SELECT name, status FROM ecpipe.run_steps WHERE run_id = (SELECT max(run_id) FROM ecpipe.runs) ORDER BY step_no$$,
                  $$VALUES ('collect', 'skipped'), ('validate', 'succeeded'), ('load', 'succeeded'), ('marts', 'succeeded'),
                           ('notify', 'succeeded')$$, 'a run that succeeds has no lock step and nothing rolled back');

-- A run left running by a backend that is gone ends failed, 'server restarted', with its alert; a live one stays.
INSERT INTO ecpipe.runs (run_id, ds, status, started_at, pid) VALUES
    (900001, '2024-07-01', 'running', now() - interval '1 minute', 2147483647),
    (900002, '2024-07-02', 'running', now(), pg_backend_pid());
INSERT INTO ecpipe.run_steps VALUES (900001, 1, 'collect', 'succeeded', now(), now(), 5, 'x'),
                                    (900001, 2, 'validate', 'succeeded', now(), now(), 5, 'passed');
SELECT is(ecpipe.fail_dead_runs(), 1, 'one run''s backend is gone');
SELECT results_eq($$SELECT run_id, status, failed_step, error, finished_at IS NOT NULL FROM ecpipe.runs WHERE run_id > 900000 ORDER BY run_id$$,
                  $$VALUES (900001::bigint, 'failed', 'validate', 'server restarted', true),
                           (900002::bigint, 'running', NULL, NULL, false)$$,
                  'it ends failed, server restarted, at its last recorded step; the live backend''s run is left alone');
SELECT is((SELECT kind || ': ' || (payload::text LIKE '%server restarted%')::text FROM ecpipe.notifications WHERE run_id = 900001),
          'failed: true', 'its failure alert is queued');
SELECT is(ecpipe.fail_dead_runs(), 0, 'once');
DELETE FROM ecpipe.runs WHERE run_id > 900000;

-- This database is the one the worker serves: nothing to say in last_error.
SELECT CASE WHEN ecpipe.delivery_note() IS NULL
            THEN is((SELECT count(*) FROM ecpipe.notifications WHERE last_error IS NOT NULL), 0::bigint,
                    'messages queued where the worker delivers carry no last_error')
            ELSE skip('the notification worker does not serve this database (ecpipe.worker_database)', 1) END;

-- The day's lock: only through ecpipe.lock_day, and bounded.
SELECT throws_ok($$SELECT ecpipe.lock_day(NULL, 1)$$, '22004', 'ecpipe.lock_day: day must not be NULL', 'a day is needed');
SELECT lives_ok($$SELECT ecpipe.lock_day('2024-08-01', 1), ecpipe.lock_day('2024-08-01', 2)$$,
                'a transaction re-takes its own day lock without waiting');

-- A reader can neither take the day's lock nor lock the run record.
CREATE ROLE ecpipe_t16_reader IN ROLE ecpipe_reader;
SET ROLE ecpipe_t16_reader;
SELECT throws_ok($$SELECT ecpipe.lock_day('2024-08-02', 1)$$, '42501', 'permission denied for function lock_day',
                 'a reader cannot take a day''s lock');
SELECT throws_ok($$SELECT ds FROM ecpipe.run_locks FOR UPDATE$$, '42501', 'permission denied for table run_locks',
                 'nor lock its row');
SELECT throws_ok($$SELECT run_id FROM ecpipe.runs FOR KEY SHARE$$, '42501', 'permission denied for table runs',
                 'nor lock a run''s row, even FOR KEY SHARE');
SELECT throws_ok($$LOCK TABLE ecpipe.runs IN SHARE MODE$$, '42501', 'permission denied for table runs',
                 'nor lock the runs table against the run''s writes');
RESET ROLE;

-- An operator runs the pipeline but cannot forge, rewrite or delete the record of runs, nor silence an alert.
CREATE ROLE ecpipe_t16_operator IN ROLE ecpipe_operator;
SET ROLE ecpipe_t16_operator;
SELECT throws_ok($$UPDATE ecpipe.runs SET status = 'succeeded'$$, '42501', 'permission denied for table runs',
                 'an operator cannot rewrite a run');
SELECT throws_ok($$INSERT INTO ecpipe.run_steps SELECT run_id, 99, 'notify', 'succeeded', now(), now(), 0, '' FROM ecpipe.runs LIMIT 1$$,
                 '42501', 'permission denied for table run_steps', 'nor add steps to one');
SELECT throws_ok($$DELETE FROM ecpipe.runs$$, '42501', 'permission denied for table runs', 'nor delete the history');
SELECT throws_ok(format('SELECT ecpipe.record_step(%s, %L, %L, now(), 0, NULL)', (SELECT max(run_id) FROM ecpipe.runs), 'notify', 'succeeded'),
                 '42501', format('run %s is not a run open in this session', (SELECT max(run_id) FROM ecpipe.runs)),
                 'nor record a step of a run its session does not have open');
SELECT throws_ok(format('SELECT ecpipe.run_finish(%s, %L, NULL, NULL, %L)', (SELECT min(run_id) FROM ecpipe.runs), 'succeeded', '{}'),
                 '42501', format('run %s is not a run open in this session', (SELECT min(run_id) FROM ecpipe.runs)),
                 'nor close such a run');
SELECT throws_ok(format('SELECT ecpipe.run_open(%s, %L, now())', (SELECT max(run_id) FROM ecpipe.runs) + 5, '2024-04-02'),
                 '42501', format('ecpipe.run_open: run %s is not the run id this session drew last from ecpipe.run_id_seq',
                                 (SELECT max(run_id) FROM ecpipe.runs) + 5),
                 'nor open a run under an id another session will draw');
SELECT throws_ok($$UPDATE ecpipe.notifications SET status = 'delivered'$$, '42501', 'permission denied for table notifications',
                 'nor mark an alert delivered');
SELECT throws_ok($$DELETE FROM ecpipe.notifications$$, '42501', 'permission denied for table notifications',
                 'nor delete one');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
