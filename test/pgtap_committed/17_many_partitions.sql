-- 4,000 raw partitions, committed (the default max_locks_per_transaction could not hold them in one transaction):
-- a run locks only the partitions of its batch's days, builds of marts plan per day, and ecpipe_backfill_days
-- commits day by day. Runs in a database of its own, dropped at the end (dropping 4,000 tables one by one is slow).
\set home_db :DBNAME
CREATE DATABASE ecpipe_parts;
\c ecpipe_parts
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION dblink;
SELECT plan(19);
CREATE EXTENSION ecpipe;
SET ecpipe.min_pass_rate = 90;  -- mart_day.jsonl has one bad line in 14
SET ecpipe.min_year = 2010;     -- so that partitions may be made for 4,000 days from 2012-01-01

-- 4,000 empty partitions, 500 per transaction.
DO $$
BEGIN
    FOR i IN 0 .. 3999 LOOP
        PERFORM ecpipe.raw_partition(date '2012-01-01' + i);
        IF i % 500 = 499 THEN
            COMMIT;
        END IF;
    END LOOP;
END $$;
SELECT is((SELECT count(*) FROM pg_inherits WHERE inhparent = 'ecpipe.raw_events'::regclass), 4000::bigint,
          '4,000 partitions');

CREATE VIEW raw_partitions_locked AS
SELECT l.relation::regclass::text AS partition FROM pg_locks l JOIN pg_inherits i ON i.inhrelid = l.relation
WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND i.inhparent = 'ecpipe.raw_events'::regclass
GROUP BY 1;
CREATE VIEW relations_locked AS
SELECT count(DISTINCT l.relation) AS n FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation';

-- A day's first run, then a re-run: each locks the partitions of the batch's two event days, nothing else.
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
BEGIN;
SELECT is(ecpipe_run('2024-04-02')->>'status', 'succeeded', 'a run succeeds among 4,000 partitions');
SELECT results_eq($$SELECT partition FROM raw_partitions_locked ORDER BY 1$$,
                  $$VALUES ('ecpipe.raw_events_20240401'), ('ecpipe.raw_events_20240402')$$,
                  'it locks the partitions of its two event days only');
SELECT cmp_ok((SELECT n FROM relations_locked), '<', 120::bigint, 'and fewer than 120 relations in all');
COMMIT;
BEGIN;
SELECT is(ecpipe_run('2024-04-02')->>'status', 'succeeded', 'a re-run of the day succeeds');
SELECT results_eq($$SELECT partition FROM raw_partitions_locked ORDER BY 1$$,
                  $$VALUES ('ecpipe.raw_events_20240401'), ('ecpipe.raw_events_20240402')$$,
                  'and deletes the old rows from those two partitions only');
SELECT cmp_ok((SELECT n FROM relations_locked), '<', 120::bigint, 'again fewer than 120 relations in all');
COMMIT;

-- Marts of eight days in one transaction: past five calls the plan cache would plan rebuild_day_marts' queries for
-- any day, and such a plan covers (and locks) all 4,000 partitions.
BEGIN;
SELECT count(*) FROM (SELECT ecpipe_build_marts(date '2012-01-01' + i) FROM generate_series(0, 7) i) b;
SELECT is((SELECT count(*) FROM raw_partitions_locked), 8::bigint, 'eight builds of marts lock eight partitions');
ROLLBACK;

-- A backfill committed day by day: a failure on day 3 keeps days 1 and 2; ecpipe_backfill keeps none.
CREATE FUNCTION fail_on_day_3() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.ds = '2024-04-03' THEN
        RAISE EXCEPTION 'injected failure on %', NEW.ds;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fail_on_day_3 BEFORE UPDATE ON ecpipe.runs FOR EACH ROW EXECUTE FUNCTION fail_on_day_3();
DELETE FROM ecpipe.runs;
SELECT dblink_connect('backfill', format('dbname=%s host=%s port=%s options=-cecpipe.min_pass_rate=90',
                                         current_database(), current_setting('unix_socket_directories'),
                                         current_setting('port')));
SELECT throws_ok($$SELECT dblink_exec('backfill', 'CALL ecpipe_backfill_days(''2024-04-01'', ''2024-04-04'')')$$,
                 'P0001', 'injected failure on 2024-04-03', 'CALL ecpipe_backfill_days stops at the failing day');
SELECT results_eq($$SELECT ds, status FROM ecpipe.runs WHERE ds IN ('2024-04-01', '2024-04-02', '2024-04-04') ORDER BY ds$$,
                  $$VALUES ('2024-04-01'::date, 'no_data'), ('2024-04-02', 'succeeded')$$,
                  'the days before it are committed, the days after it never ran');
SELECT is((SELECT count(*) FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
            WHERE r.ds IN ('2024-04-01', '2024-04-02') AND n.next_attempt_at = 'infinity'), 3::bigint,
          'the committed days'' messages are held for the digest the error stopped (no data: 1; succeeded: 2)');
SELECT dblink_disconnect('backfill');
DO $$
BEGIN
    FOR i IN 1..50 LOOP  -- the dblink backend exits
        EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity WHERE datname = current_database()
                                AND pid <> pg_backend_pid() AND backend_type = 'client backend');
        PERFORM pg_sleep(0.1);
    END LOOP;
END $$;
ALTER TABLE ecpipe.runs DISABLE TRIGGER fail_on_day_3;
SELECT ecpipe.fail_dead_runs();  -- as the worker (or the next run) does
ALTER TABLE ecpipe.runs ENABLE TRIGGER fail_on_day_3;
SELECT is((SELECT count(*) FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
            WHERE r.ds IN ('2024-04-01', '2024-04-02') AND n.next_attempt_at <= now()), 3::bigint,
          'and releases the held messages of a backfill whose backend is gone: each day is told after all');
DELETE FROM ecpipe.runs;
SELECT throws_ok($$SELECT count(*) FROM ecpipe_backfill('2024-04-01', '2024-04-04')$$, 'P0001',
                 'injected failure on 2024-04-03', 'ecpipe_backfill stops there too');
SELECT is((SELECT count(*) FROM ecpipe.runs WHERE status NOT IN ('running', 'failed')), 0::bigint,
          'but keeps no day: it is one transaction (its runs are recorded, none as done)');
DROP TRIGGER fail_on_day_3 ON ecpipe.runs;
SELECT throws_ok($$CALL ecpipe_backfill_days('2024-04-05', '2024-04-05')$$, '2D000', 'invalid transaction termination',
                 'inside a transaction block (or a function) ecpipe_backfill_days cannot commit, and says so');
SELECT set_config('ecpipe_test.last_run', (SELECT max(run_id) FROM ecpipe.runs)::text, false);
CALL ecpipe_backfill_days('2024-04-05', '2024-04-06');
SELECT results_eq($$SELECT ds, status FROM ecpipe.runs WHERE run_id > current_setting('ecpipe_test.last_run')::bigint
                    ORDER BY ds$$,
                  $$VALUES ('2024-04-05'::date, 'no_data'), ('2024-04-06', 'no_data')$$,
                  'CALLed on its own it runs every day');
SELECT results_eq($$SELECT kind, payload->>'text' FROM ecpipe.notifications
                    WHERE run_id > current_setting('ecpipe_test.last_run')::bigint OR kind = 'backfill'$$,
                  $$VALUES ('backfill', '[BACKFILL] 백필 결과 (2024-04-05 – 2024-04-06)')$$,
                  'and queues one digest, committed after the last day, instead of its days'' own messages');
-- A session that holds its own run's messages outside a backfill holds them only while it runs a statement.
SELECT dblink_connect('holder', format('dbname=%s host=%s port=%s', current_database(),
                                       current_setting('unix_socket_directories'), current_setting('port')));
SELECT * FROM dblink('holder', $$SELECT (ecpipe_run('2024-04-07')->>'run_id')::bigint$$) AS t(run bigint);
SELECT is((SELECT n FROM dblink('holder', $$SELECT ecpipe.hold_run_messages(max(run_id)) FROM ecpipe.runs$$) AS t(n int)),
          1, 'a session may hold its own run''s message');
SELECT ecpipe.fail_dead_runs();  -- the worker looks again
SELECT is((SELECT count(*) FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
            WHERE r.ds = '2024-04-07' AND n.next_attempt_at <= now()), 1::bigint,
          'and it is released as soon as that session is idle: nobody can silence a run');
SELECT dblink_disconnect('holder');

SELECT * FROM finish();
\c :home_db
DROP DATABASE ecpipe_parts WITH (FORCE);
