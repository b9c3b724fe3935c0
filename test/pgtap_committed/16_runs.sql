-- The run record and the day's lock with committed state and several sessions (dblink): a role without grants
-- cannot stall a run, two runs of a day serialise and the refused one is recorded with its alert, a run is visible
-- as running while it works and ends failed when its transaction rolls back or its backend is gone, a second
-- database's messages say which database the worker serves, and a non-UTF8 database refuses CREATE EXTENSION.
SELECT plan(40);
CREATE EXTENSION ecpipe;
CREATE FUNCTION pg_temp.wait_for(condition text, seconds int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  ok boolean;
BEGIN
  FOR i IN 1 .. seconds * 10 LOOP
    EXECUTE condition INTO ok;
    IF ok THEN RETURN true; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
CREATE FUNCTION pg_temp.conn(db text, role text) RETURNS text LANGUAGE sql AS $$
  SELECT format('host=%s port=%s dbname=%s user=%s', current_setting('unix_socket_directories'), current_setting('port'), db, role)
$$;
CREATE ROLE ecpipe_t16_nobody LOGIN;
CREATE ROLE ecpipe_t16_operator LOGIN IN ROLE ecpipe_operator;
SET ecpipe.run_lock_timeout = '300ms';

-- A role without grants: the advisory key runs used before 0.3.0 stalls nothing, and the day's row is out of reach.
SELECT dblink_connect('nobody', pg_temp.conn(current_database(), 'ecpipe_t16_nobody'));
SELECT * FROM dblink('nobody', $$SELECT pg_advisory_lock(1701864048, date '2024-01-01' - date '2000-01-01')::text$$) AS t(x text);
SELECT throws_ok($$SELECT * FROM dblink('nobody', 'SELECT ds FROM ecpipe.run_locks FOR UPDATE') AS t(ds date)$$,
                 '42501', 'permission denied for schema ecpipe', 'a role without grants cannot lock a day''s row');
SELECT is(ecpipe_run('2024-01-01')->>'status', 'no_data', 'and its advisory lock on the old key no longer stalls a run');
SELECT dblink_disconnect('nobody');

-- Two runs of one day serialise: an operator's run of the day has not committed yet; another run gives up after
-- run_lock_timeout, recorded as failed with its alert, and so does ecpipe_load.
SELECT dblink_connect('op', pg_temp.conn(current_database(), 'ecpipe_t16_operator'));
SELECT set_config('ecpipe_test.op_pid', (SELECT p FROM dblink('op', 'SELECT pg_backend_pid()') AS t(p int))::text, false);
SET ecpipe.min_pass_rate = 90;
SELECT ecpipe_ingest('2024-01-02', :'fixtures' || '/mart_day.jsonl');  -- landed before the operator's run takes the day
SELECT dblink_exec('op', 'BEGIN');
SELECT * FROM dblink('op', $$SELECT ecpipe_run('2024-01-02')->>'status'$$) AS t(x text);
SELECT set_config('ecpipe_test.want',
                  format('another run of 2024-01-02 is in progress (pid %s); waited 300ms (ecpipe.run_lock_timeout)',
                         current_setting('ecpipe_test.op_pid')), false);
SELECT is(ecpipe_run('2024-01-02') - ARRAY['run_id', 'seconds'],
          jsonb_build_object('ds', '2024-01-02', 'status', 'failed', 'checks', '[]'::jsonb, 'loaded', 0, 'quarantined', 0,
                             'days_rebuilt', '[]'::jsonb, 'users', 0, 'sessions', 0, 'orders', 0, 'revenue', 0,
                             'step', 'lock', 'error', current_setting('ecpipe_test.want')),
          'a second run of a locked day fails at once after the timeout, naming the holder');
SELECT is((SELECT string_agg(row(status, failed_step, error = current_setting('ecpipe_test.want'), finished_at IS NOT NULL)::text, ' ' ORDER BY run_id)
             FROM ecpipe.runs WHERE ds = '2024-01-02'), '(running,,,f) (failed,lock,t,t)',
          'its runs row is committed as failed, beside the holder''s running one');
SELECT results_eq($$SELECT s.name, s.status FROM ecpipe.run_steps s JOIN ecpipe.runs r USING (run_id) WHERE r.ds = '2024-01-02' AND r.status = 'failed' ORDER BY s.step_no$$,
                  $$VALUES ('lock', 'failed'), ('notify', 'succeeded')$$, 'with a lock step and a notify step');
SELECT is((SELECT string_agg(n.kind || ':' || n.status, ',') FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
            WHERE r.ds = '2024-01-02'), 'failed:queued', 'and its alert queued');
SELECT ecpipe_validate('2024-01-02');
SELECT throws_ok($$SELECT ecpipe_load('2024-01-02')$$, '55P03', current_setting('ecpipe_test.want'),
                 'ecpipe_load waits for the same lock, bounded by the same timeout');
SET ecpipe.run_lock_timeout = '10s';
SET statement_timeout = '300ms';
SELECT is((SELECT r->>'step' || ': ' || (r->>'error') FROM ecpipe_run('2024-01-02') r),
          'lock: canceling statement due to statement timeout', 'a statement_timeout during the wait fails the run, recorded');
SELECT is((SELECT array_agg((r->>'ds') || ' ' || (r->>'status') || ' ' || (r->>'cancelled'))
             FROM ecpipe_backfill('2024-01-02', '2024-01-04') r),
          '{"2024-01-02 failed true"}', 'and stops a backfill at that day: the days after it never run');
RESET statement_timeout;
SET ecpipe.run_lock_timeout = '300ms';
SELECT dblink_exec('op', 'COMMIT');
SELECT is(ecpipe_run('2024-01-02')->>'status', 'succeeded', 'once the holder commits the day runs');
-- Every other lock a run waits for is bounded by run_lock_timeout too: an operator's LOCK TABLE on a mart stalls no run.
SELECT dblink_exec('op', 'BEGIN');
SELECT dblink_exec('op', 'LOCK TABLE ecpipe.mart_funnel_daily');
SET statement_timeout = '20s';  -- were the wait unbounded, the test would fail here instead of hanging
SELECT is((SELECT (r->>'status') || ' ' || (r->>'step') || ': ' || (r->>'error') FROM ecpipe_run('2024-01-02') r),
          'failed marts: canceling statement due to lock timeout',
          'a run waits at most ecpipe.run_lock_timeout for a mart another role locked, then fails, recorded');
RESET statement_timeout;
SELECT dblink_exec('op', 'ROLLBACK');
SELECT is(current_setting('lock_timeout'), '0', 'and leaves the session''s lock_timeout as it was');

-- A run is committed as running before it works, with its backend; a rolled-back run ends failed.
SELECT dblink_exec('op', 'BEGIN');
SELECT * FROM dblink('op', $$SELECT ecpipe_run('2024-01-03')->>'status'$$) AS t(x text);
SELECT is((SELECT row(status, pid::text = current_setting('ecpipe_test.op_pid'))::text FROM ecpipe.runs WHERE ds = '2024-01-03'),
          '(running,t)', 'another session sees the run as running, with its pid, before its transaction ends');
SELECT is((SELECT count(*) FROM ecpipe.run_steps s JOIN ecpipe.runs r USING (run_id) WHERE r.ds = '2024-01-03'), 0::bigint,
          'its steps are still its own transaction''s');
SELECT throws_ok(format($$SELECT ecpipe_ingest('2024-01-03', %L)$$, :'fixtures' || '/mart_day.jsonl'), '55P03',
                 format('another run of 2024-01-03 is in progress (pid %s); waited 300ms (ecpipe.run_lock_timeout)',
                        current_setting('ecpipe_test.op_pid')),
                 'a batch is not replaced under a run of its day: ecpipe_ingest waits for the day''s lock like a run');
CREATE FUNCTION pg_temp.hint_of(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  hint text;
BEGIN
  EXECUTE statement;
  RETURN NULL;
EXCEPTION WHEN lock_not_available THEN
  GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
  RETURN hint;
END $$;
SELECT is(pg_temp.hint_of(format($$SELECT ecpipe_ingest('2024-01-03', %L)$$, :'fixtures' || '/mart_day.jsonl')),
          'See ecpipe.current_runs; try again once that run has ended.',
          'and its hint says to try again once that run has ended');
SELECT dblink_exec('op', 'ROLLBACK');
SELECT ok(pg_temp.wait_for($$SELECT status = 'failed' FROM ecpipe.runs WHERE ds = '2024-01-03'$$, 10),
          'a run whose transaction rolls back ends failed');
SELECT is((SELECT error FROM ecpipe.runs WHERE ds = '2024-01-03'),
          format('the run''s transaction was rolled back (backend %s; its error is in the server log)', current_setting('ecpipe_test.op_pid')),
          'saying so');
SELECT is((SELECT n.payload->>'text' FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
            WHERE r.ds = '2024-01-03' AND n.kind = 'failed'), '[ALERT] 파이프라인 실패 (2024-01-03)',
          'and its failure alert is queued (its own messages went with its transaction)');
-- So do all the runs of a rolled-back backfill, however many.
SELECT dblink_exec('op', 'BEGIN');
SELECT * FROM dblink('op', $$SELECT count(*) FROM ecpipe_backfill('2024-01-10', '2024-01-29')$$) AS t(n bigint);
SELECT is((SELECT count(*) FROM ecpipe.runs WHERE ds BETWEEN '2024-01-10' AND '2024-01-29' AND status = 'running'), 20::bigint,
          'a backfill''s 20 runs show as running while it works');
SELECT dblink_exec('op', 'ROLLBACK');
SELECT ok(pg_temp.wait_for($$SELECT bool_and(status = 'failed') FROM ecpipe.runs WHERE ds BETWEEN '2024-01-10' AND '2024-01-29'$$, 10),
          'and all 20 end failed once it rolls back');
SELECT is((SELECT count(*) FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
            WHERE r.ds BETWEEN '2024-01-10' AND '2024-01-29' AND n.kind = 'failed'), 20::bigint,
          'each with its failure alert');
-- A run rolled back by a subtransaction (an exception block, a savepoint) of a transaction that commits ends failed.
SELECT dblink_exec('op', $q$DO $do$ BEGIN PERFORM ecpipe_run('2024-01-07'); RAISE EXCEPTION 'undo it';
                             EXCEPTION WHEN raise_exception THEN NULL; END $do$$q$);
SELECT ok(pg_temp.wait_for($$SELECT status = 'failed' FROM ecpipe.runs WHERE ds = '2024-01-07'$$, 10),
          'a run rolled back by a subtransaction ends failed once its transaction commits');
SELECT dblink_exec('op', 'BEGIN');
SELECT * FROM dblink('op', $$SELECT ecpipe_run('2024-01-08')->>'status'$$) AS t(x text);
SELECT dblink_exec('op', 'SAVEPOINT s');
SELECT * FROM dblink('op', $$SELECT count(*) FROM generate_series(1, 3)$$) AS t(n bigint);
SELECT dblink_exec('op', 'ROLLBACK TO SAVEPOINT s');
SELECT dblink_exec('op', 'COMMIT');
SELECT is((SELECT status FROM ecpipe.runs WHERE ds = '2024-01-08'), 'no_data',
          'a savepoint rolled back after the run leaves the run as it ended');
-- A client's \copy holds the day too: a run and ecpipe_load of the day wait for it, and say what holds it (its pid
-- once the day has been locked before; "another session" while its first lock is not committed).
SELECT dblink_exec('op', 'BEGIN');
SELECT dblink_exec('op', $$SET LOCAL ecpipe.landing_date = '2024-01-08'$$);
SELECT dblink_exec('op', $$INSERT INTO ecpipe.landing_import (line) VALUES ('{}')$$);
SELECT dblink_exec('op', $$SET LOCAL ecpipe.landing_date = '2024-01-06'$$);
SELECT dblink_exec('op', $$INSERT INTO ecpipe.landing_import (line) VALUES ('{}')$$);
SELECT is((SELECT (r->>'step') || ': ' || (r->>'error') FROM ecpipe_run('2024-01-08') r),
          format('lock: 2024-01-08 is held by pid %s, which loads or lands that day (ecpipe_load, ecpipe_ingest or a \copy); waited 300ms (ecpipe.run_lock_timeout)',
                 current_setting('ecpipe_test.op_pid')),
          'a run of a day a copy holds fails at lock, naming the copy''s pid');
SELECT throws_ok($$SELECT ecpipe_load('2024-01-06')$$, '55P03',
                 '2024-01-06 is held by another session, which loads or lands that day (ecpipe_load, ecpipe_ingest or a \copy); waited 300ms (ecpipe.run_lock_timeout)',
                 'ecpipe_load waits for the lock before it looks for a validation (one may be on its way)');
SELECT dblink_exec('op', 'ROLLBACK');
-- An event day's marts have a lock of their own, which every rebuild takes: ecpipe_build_marts, and a run of another
-- day whose batch has late events on that day, wait for a rebuild in progress, bounded, and name its backend.
INSERT INTO ecpipe.landing (batch_date, line_no, line)
SELECT '2024-01-09', n, l FROM ecpipe_generate('2024-01-06', 3, 1) WITH ORDINALITY AS g(l, n);
SELECT is(ecpipe_run('2024-01-09')->'days_rebuilt', '["2024-01-06"]', 'a batch of 2024-01-09 with its events on 2024-01-06');
SELECT dblink_exec('op', 'BEGIN');
SELECT * FROM dblink('op', $$SELECT ecpipe_build_marts('2024-01-06')->>'users'$$) AS t(x text);
SELECT set_config('ecpipe_test.want', format('the marts of 2024-01-06 are being rebuilt by pid %s; waited 300ms (ecpipe.run_lock_timeout)',
                                             current_setting('ecpipe_test.op_pid')), false);
SELECT throws_ok($$SELECT ecpipe_build_marts('2024-01-06')$$, '55P03', current_setting('ecpipe_test.want'),
                 'a second rebuild of a day''s marts waits for the first, bounded by run_lock_timeout');
SELECT is((SELECT (r->>'step') || ': ' || (r->>'error') FROM ecpipe_run('2024-01-09') r),
          'marts: ' || current_setting('ecpipe_test.want'),
          'so does the marts step of a run whose late events fall on that day (it failed on a duplicate mart key)');
SELECT dblink_exec('op', 'ROLLBACK');
SELECT is(ecpipe_run('2024-01-09')->>'status', 'succeeded', 'and the run succeeds once the day''s marts are free');
SELECT dblink_disconnect('op');

-- A terminated backend: its transaction aborts, the row ends failed too.
SELECT dblink_connect('op', pg_temp.conn(current_database(), 'ecpipe_t16_operator'));
SELECT set_config('ecpipe_test.op_pid', (SELECT p FROM dblink('op', 'SELECT pg_backend_pid()') AS t(p int))::text, false);
SELECT dblink_exec('op', 'BEGIN');
SELECT * FROM dblink('op', $$SELECT ecpipe_run('2024-01-04')->>'status'$$) AS t(x text);
SELECT pg_terminate_backend(current_setting('ecpipe_test.op_pid')::int);
SELECT ok(pg_temp.wait_for($$SELECT status = 'failed' FROM ecpipe.runs WHERE ds = '2024-01-04'$$, 10),
          'a run whose backend is terminated ends failed');
SELECT dblink_disconnect('op');

-- A run left running by a backend that is gone: the worker ends it failed, 'server restarted', within 10 s.
INSERT INTO ecpipe.runs (run_id, ds, status, started_at, pid) VALUES (900003, '2024-01-05', 'running', now(), 2147483647);
SELECT ok(pg_temp.wait_for($$SELECT status = 'failed' FROM ecpipe.runs WHERE run_id = 900003$$, 25),
          'the notification worker closes a run whose backend is gone');
SELECT is((SELECT error FROM ecpipe.runs WHERE run_id = 900003), 'server restarted', 'as pg_cron does');
SELECT is((SELECT count(*) FROM ecpipe.notifications WHERE run_id = 900003 AND kind = 'failed'), 1::bigint, 'with its alert');

-- The operator's committed runs were written by ecpipe's functions, never by the operator itself.
SELECT is((SELECT count(*) FROM ecpipe.runs WHERE pid IS NULL), 0::bigint, 'every run records its backend');

-- A second database: its messages say at once which database the worker serves and how to deliver them.
CREATE DATABASE ecpipe_t16_other;
SELECT dblink_connect('other', pg_temp.conn('ecpipe_t16_other', 'postgres'));
SELECT dblink_exec('other', 'CREATE EXTENSION ecpipe');
SELECT * FROM dblink('other', $$SELECT ecpipe_notify('success', '{"text": "x"}')$$) AS t(id bigint);
SELECT is((SELECT e FROM dblink('other', $$SELECT last_error FROM ecpipe.notifications$$) AS t(e text)),
          format('the notification worker serves database "%s" (ecpipe.worker_database), not "ecpipe_t16_other": deliver with SELECT ecpipe_deliver_pending() in this database, e.g. from a pg_cron job',
                 current_database()), 'a message queued where the worker does not deliver says so in last_error');
SELECT is((SELECT e FROM dblink('other', $$SELECT ecpipe_run('2024-01-01')->>'status'$$) AS t(e text)), 'no_data',
          'a run there works');
SELECT is((SELECT n FROM dblink('other', $$SELECT count(*) FROM ecpipe.notifications WHERE last_error LIKE 'the notification worker serves database%'$$) AS t(n bigint)),
          2::bigint, 'and its alert says so too');
SELECT dblink_disconnect('other');
DROP DATABASE ecpipe_t16_other;

-- A database that is not UTF8 refuses ecpipe at CREATE EXTENSION.
CREATE DATABASE ecpipe_t16_ascii ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
SELECT dblink_connect('ascii', pg_temp.conn('ecpipe_t16_ascii', 'postgres'));
SELECT throws_ok($$SELECT dblink_exec('ascii', 'CREATE EXTENSION ecpipe')$$, '0A000',
                 'ecpipe needs a UTF8 database; database "ecpipe_t16_ascii" is SQL_ASCII', 'CREATE EXTENSION in a SQL_ASCII database fails');
SELECT is((SELECT n FROM dblink('ascii', $$SELECT count(*) FROM pg_extension WHERE extname = 'ecpipe'$$) AS t(n bigint)), 0::bigint,
          'and leaves nothing behind');
SELECT dblink_disconnect('ascii');
DROP DATABASE ecpipe_t16_ascii;

RESET ecpipe.run_lock_timeout;
RESET ecpipe.min_pass_rate;
DROP EXTENSION ecpipe;
DROP ROLE ecpipe_t16_nobody;
DROP ROLE ecpipe_t16_operator;
SELECT * FROM finish();
