-- Privileges: nothing for PUBLIC, ecpipe_reader reads marts and quality, ecpipe_operator runs the pipeline,
-- SECURITY DEFINER functions are few and pin search_path, C writers check the privilege the executor would.
BEGIN;
SELECT plan(31);
CREATE EXTENSION ecpipe;
CREATE TEMP VIEW members AS
SELECT d.classid, d.objid FROM pg_depend d
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'ecpipe') AND d.deptype = 'e';

SELECT is((SELECT count(*) FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
           WHERE has_function_privilege('public', p.oid, 'EXECUTE')), 0::bigint,
          'PUBLIC may execute no ecpipe function');
SELECT is((SELECT count(*) FROM members m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
           WHERE c.relkind IN ('r', 'p', 'v') AND has_table_privilege('public', c.oid, 'SELECT')), 0::bigint,
          'PUBLIC may read no ecpipe table or view');
SELECT ok(NOT has_schema_privilege('public', 'ecpipe', 'USAGE'), 'PUBLIC has no usage of schema ecpipe');
SELECT is((SELECT string_agg(p.oid::regprocedure::text || ' ' || array_to_string(p.proconfig, ','), '; ' ORDER BY p.proname)
           FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid WHERE p.prosecdef),
          'ecpipe_unschedule() search_path=pg_catalog, pg_temp; '
          'ecpipe.fail_dead_runs() search_path=pg_catalog, pg_temp; '
          'ecpipe.hold_run_messages(bigint) search_path=pg_catalog, pg_temp; '
          'ecpipe.index_raw_partition(regclass) search_path=pg_catalog, pg_temp; '
          'ecpipe.lock_day(date,bigint) search_path=pg_catalog, pg_temp; '
          'ecpipe.lock_marts(date) search_path=pg_catalog, pg_temp; '
          'ecpipe.make_raw_partitions(date[]) search_path=pg_catalog, pg_temp; '
          'ecpipe.quarantine_counts() search_path=pg_catalog, pg_temp; '
          'ecpipe.queue_backfill_digest(bigint[],date,date) search_path=pg_catalog, pg_temp; '
          'ecpipe.raw_partition(date) search_path=pg_catalog, pg_temp,DateStyle=ISO, YMD; '
          'ecpipe.rebuild_day_marts_distributed(date,bigint) search_path=pg_catalog, pg_temp,plan_cache_mode=force_custom_plan,client_min_messages=warning; '
          'ecpipe.record_step(bigint,text,text,timestamp with time zone,timestamp with time zone,bigint,text) search_path=pg_catalog, pg_temp; '
          'ecpipe.run_finish(bigint,text,date[],jsonb,jsonb) search_path=pg_catalog, pg_temp; '
          'ecpipe.run_open(bigint,date,timestamp with time zone) search_path=pg_catalog, pg_temp; '
          'ecpipe.schedule_daily(text,name) search_path=pg_catalog, pg_temp',
          'the SECURITY DEFINER functions: three partition helpers, the schedule''s, the run record''s writers, a backfill''s message folding and the quarantine counts, each with a pinned search_path');
SELECT is((SELECT count(*) FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
           WHERE NOT coalesce(p.proconfig @> '{"search_path=pg_catalog, pg_temp"}', false)
             -- a procedure with a SET clause may not COMMIT: this one schema-qualifies every name instead
             AND p.oid <> 'ecpipe_backfill_days(date, date)'::regprocedure
             -- a \copy's per-line defaults and a line's route key and event day read no name; a SET clause would cost
             -- them more than their work
             AND p.oid NOT IN ('ecpipe.landing_import_next_line()'::regprocedure,
                               'ecpipe.landing_import_date()'::regprocedure,
                               'ecpipe.landing_import_started()'::regprocedure,
                               'ecpipe.line_event_day(text, text)'::regprocedure,
                               'ecpipe.route_key(text, bigint)'::regprocedure)), 0::bigint,
          'every ecpipe function pins search_path');

-- A batch to work on, landed by the superuser.
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');

CREATE ROLE ecpipe_test_reader IN ROLE ecpipe_reader;
SET ROLE ecpipe_test_reader;
SELECT lives_ok($$SELECT * FROM ecpipe.mart_orders, ecpipe.mart_user_daily, ecpipe.mart_funnel_daily,
                  ecpipe.mart_product_daily, ecpipe.quality_trend, ecpipe.quality_log, ecpipe.runs, ecpipe.run_steps,
                  ecpipe.current_runs$$, 'a reader reads the marts, the quality record and the runs');
SELECT throws_ok($$SELECT * FROM ecpipe.raw_events$$, '42501', 'permission denied for table raw_events',
                 'but not the raw events');
SELECT throws_ok($$SELECT * FROM ecpipe.quarantine$$, '42501', 'permission denied for table quarantine',
                 'nor the quarantined lines');
SELECT throws_ok($$SELECT * FROM ecpipe.landing$$, '42501', 'permission denied for table landing', 'nor landing');
SELECT throws_ok($$SELECT ecpipe_run('2024-04-02')$$, '42501', 'permission denied for function ecpipe_run',
                 'and cannot run the pipeline');
RESET ROLE;

CREATE ROLE ecpipe_test_operator IN ROLE ecpipe_operator;
SET ROLE ecpipe_test_operator;
SET ecpipe.min_pass_rate = 90;  -- mart_day.jsonl has one bad line in 14
SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'succeeded',
          'an operator runs a day, creating its raw partitions');
SELECT is((SELECT count(*) FROM ecpipe.mart_orders WHERE order_date = '2024-04-02'), 2::bigint, 'and its marts');
SELECT throws_ok(format('SELECT ecpipe_ingest(%L, %L)', '2024-04-03', :'fixtures' || '/mart_day.jsonl'), '42501',
                 'ecpipe_ingest reads server files: it needs superuser or the pg_read_server_files role',
                 'reading server files needs pg_read_server_files');
SELECT throws_ok($$SELECT ecpipe_deliver_pending()$$, '42501', NULL, 'delivering by hand is for superusers');
SELECT throws_ok($$SELECT ecpipe.index_raw_partition('pg_catalog.pg_class')$$, '42501',
                 'permission denied for function index_raw_partition',
                 'the SECURITY DEFINER index builder is the load''s alone');
SELECT throws_ok($$SHOW ecpipe.slack_webhook_url$$, '42501', NULL, 'an operator cannot read the webhook URL');
SELECT throws_ok($$SELECT ecpipe.setting('ecpipe.slack_webhook_url')$$, '22023', NULL,
                 'not even through ecpipe.setting');
-- An id taken ahead in the outbox, or a sequence set back, would make a later run's alert or the run itself fail.
SELECT throws_ok($$SELECT setval('ecpipe.run_id_seq', 1, false)$$, '42501',
                 'permission denied for sequence run_id_seq', 'an operator cannot set the run id sequence back');
SELECT throws_ok($$SELECT setval('ecpipe.notifications_id_seq', 1, false)$$, '42501',
                 'permission denied for sequence notifications_id_seq', 'nor the outbox''s');
SELECT throws_ok($$INSERT INTO ecpipe.notifications (id, kind, payload)
                   SELECT last_value + 1, 'custom', '{"text": "hi"}' FROM ecpipe.notifications_id_seq$$, '42501',
                 'permission denied for table notifications', 'nor choose a message''s id');
SELECT throws_ok($$INSERT INTO ecpipe.notifications (kind, payload, status) VALUES ('custom', '{"text": "hi"}', 'delivered')$$,
                 '42501', 'permission denied for table notifications', 'nor its state');
SELECT ok(ecpipe_notify('custom', '{"text": "hi"}') > 0, 'ecpipe_notify still queues a message');
-- A SECURITY DEFINER function's temp tables are its own: an operator's look-alike, with a trigger that would run as
-- the extension's owner, is dropped, not used.
CREATE TEMP TABLE ecpipe_day_purchases (user_id text, session_id text, platform text, event_time timestamptz,
                                        batch_date date, line_no bigint, order_id text, total_amount numeric(14,2),
                                        payment_method text, extra_data jsonb);
CREATE FUNCTION pg_temp.hijack() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hijacked: ran as %', current_user;
END $$;
CREATE TRIGGER hijack BEFORE INSERT OR TRUNCATE ON ecpipe_day_purchases
  FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.hijack();
SELECT is(ecpipe.rebuild_day_marts_distributed('2024-04-02', 1)->>'orders', '2',
          'the marts builder that runs as the owner makes its temp tables afresh: an operator''s trigger never runs');
SELECT throws_ok($$SELECT ecpipe.lock_marts('infinity')$$, '22008',
                 'ecpipe.lock_marts: day infinity is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)',
                 'the marts lock an operator''s rebuild takes is only for days whose marts can exist');
SELECT throws_ok($$SELECT pid FROM ecpipe.mart_locks FOR UPDATE$$, '42501', 'permission denied for table mart_locks',
                 'and an operator can neither read nor lock its rows directly');
RESET ROLE;
SELECT throws_ok($$SELECT ecpipe.index_raw_partition('pg_catalog.pg_class')$$, '42809',
                 'ecpipe.index_raw_partition: pg_class is not a partition of ecpipe.raw_events',
                 'and touches only raw_events partitions');

-- The C writers check INSERT as the executor would: EXECUTE and pg_read_server_files are not enough.
CREATE ROLE ecpipe_test_loader IN ROLE pg_read_server_files;
GRANT USAGE ON SCHEMA ecpipe TO ecpipe_test_loader;
GRANT EXECUTE ON FUNCTION ecpipe_ingest(date, text) TO ecpipe_test_loader;
GRANT SELECT, DELETE ON ecpipe.landing TO ecpipe_test_loader;
SET ROLE ecpipe_test_loader;
SELECT throws_ok(format('SELECT ecpipe_ingest(%L, %L)', '2024-04-05', :'fixtures' || '/mart_day.jsonl'), '42501',
                 'permission denied for table landing', 'landing lines needs INSERT on ecpipe.landing');
RESET ROLE;

-- The webhook URL's secret path never shows in the outbox, even when delivery fails.
SET ecpipe.webhook_allowed_hosts = '127.0.0.1:1';
SET ecpipe.webhook_timeout = 500;
SELECT set_config('ecpipe.slack_webhook_url', 'http://127.0.0.1:1/services/T0/B0/s3cr3t-token', false);
DELETE FROM ecpipe.notifications;
SELECT ecpipe_notify('success', '{"text": "x"}');
SELECT ecpipe_deliver_pending();
SELECT is((SELECT count(*) FROM ecpipe.notifications WHERE last_error IS NOT NULL), 1::bigint,
          'the failed attempt is recorded');
SELECT is((SELECT count(*) FROM ecpipe.notifications WHERE last_error LIKE '%s3cr3t%' OR payload::text LIKE '%s3cr3t%'),
          0::bigint, 'without the URL''s secret');
SELECT set_config('ecpipe.slack_webhook_url', 'https://hooks.slack.com.evil.example/s3cr3t-token', false);
SET ecpipe.webhook_allowed_hosts = 'hooks.slack.com';
UPDATE ecpipe.notifications SET next_attempt_at = now();
SELECT ecpipe_deliver_pending();
SELECT is((SELECT last_error FROM ecpipe.notifications), 'host hooks.slack.com.evil.example is not in ecpipe.webhook_allowed_hosts',
          'a look-alike host is refused, naming the host only');
SELECT is((SELECT count(*) FROM ecpipe.notifications WHERE last_error LIKE '%s3cr3t%'), 0::bigint,
          'and the secret stays out of the error');

SELECT * FROM finish();
ROLLBACK;
