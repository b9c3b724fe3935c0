-- ecpipe_schedule/ecpipe_unschedule for an operator: the job runs as the caller with a fixed command; what is refused.
BEGIN;
SELECT plan(22);

CREATE EXTENSION ecpipe;
CREATE ROLE ecpipe_t19_etl LOGIN IN ROLE ecpipe_operator;      -- an operator, as docs/OPERATIONS.md sets one up
CREATE ROLE ecpipe_t19_other LOGIN;                            -- no ecpipe grant
CREATE ROLE ecpipe_t19_nologin IN ROLE ecpipe_operator;        -- an operator role nobody logs in as
GRANT ecpipe_t19_other, ecpipe_t19_nologin TO ecpipe_t19_etl;  -- roles the operator may become
SELECT ecpipe_unschedule();
-- a job of the same name in another database is not this database's job
SELECT cron.schedule_in_database('ecpipe-daily', '0 1 * * *', 'SELECT 1', 'postgres');

SET SESSION AUTHORIZATION ecpipe_t19_etl;
SELECT ok(NOT has_schema_privilege('cron', 'USAGE'), 'the operator has no usage of schema cron');
SELECT ok(ecpipe_schedule('5 4 * * *') > 0, 'an operator schedules the daily job');
SELECT ok(ecpipe_schedule('6 4 * * *') > 0, 'and schedules it again');
SELECT throws_ok($$SELECT ecpipe.schedule_daily('* * * * *', 'postgres')$$, '42501',
    'ecpipe_schedule: the job can only run as a role this session may become',
    'an operator cannot make the job run as a superuser');
SELECT throws_ok($$SELECT ecpipe.schedule_daily('* * * * *', 'ecpipe_t19_nosuchrole')$$, '42501',
    'ecpipe_schedule: the job can only run as a role this session may become', 'nor as a role that does not exist');
SELECT throws_ok($$SELECT ecpipe.schedule_daily('* * * * *', 'ecpipe_t19_other')$$, '42501',
    'ecpipe_schedule: role "ecpipe_t19_other" may not run the pipeline', 'nor as a role without ecpipe_operator');
SELECT throws_ok($$SELECT ecpipe_schedule(NULL)$$, '22023',
    'ecpipe_schedule: the schedule must be a cron expression such as ''0 17 * * *''', 'a NULL schedule is refused');
SELECT throws_ok($$SELECT ecpipe_schedule(repeat('1', 101))$$, '22023',
    'ecpipe_schedule: the schedule must be a cron expression such as ''0 17 * * *''', 'a schedule over 100 characters is refused');
SELECT throws_ok($$SELECT ecpipe_schedule('* * * * *''; DROP TABLE ecpipe.runs; --')$$, '22023',
    'ecpipe_schedule: the schedule must be a cron expression such as ''0 17 * * *''',
    'text after the five fields is refused (pg_cron 1.4 would store it)');
SELECT throws_ok($$SELECT ecpipe_schedule('99 * * * *')$$, '22023', 'invalid schedule: 99 * * * *',
    'pg_cron judges the fields');
SET ROLE ecpipe_t19_nologin;
SELECT throws_ok($$SELECT ecpipe_schedule()$$, '42501',
    'ecpipe_schedule: role "ecpipe_t19_nologin" cannot log in, and pg_cron runs the job as the role that schedules it',
    'an operator role that cannot log in cannot own the job');
SET ROLE ecpipe_t19_other;
SELECT throws_ok($$SELECT ecpipe_schedule()$$, '42501', 'permission denied for function ecpipe_schedule',
    'a role without grants cannot schedule');
SELECT throws_ok($$SELECT ecpipe.schedule_daily('* * * * *', 'ecpipe_t19_other')$$, '42501',
    'permission denied for schema ecpipe', 'nor call the definer function');
SELECT throws_ok($$SELECT ecpipe_unschedule()$$, '42501', 'permission denied for function ecpipe_unschedule',
    'nor unschedule');
RESET ROLE;
RESET SESSION AUTHORIZATION;

SELECT results_eq(
    $$SELECT schedule, command, username, active FROM cron.job
      WHERE jobname = 'ecpipe-daily' AND database = current_database()$$,
    $$VALUES ('6 4 * * *'::text, 'SELECT public.ecpipe_run()'::text, 'ecpipe_t19_etl'::text, true)$$,
    'one job in this database: the last schedule, a fixed schema-qualified command, run as the operator');
SELECT results_eq($$SELECT database, command, username FROM cron.job WHERE jobname = 'ecpipe-daily' AND database <> current_database()$$,
    $$VALUES ('postgres'::text, 'SELECT 1'::text, 'postgres'::text)$$, 'the job of another database is left alone');
SELECT throws_ok($$SELECT ecpipe_schedule('7 4 * * *')$$, '55000',
    'ecpipe_schedule: role "postgres" already has a pg_cron job named ecpipe-daily in database "postgres"',
    'a job that pg_cron would overwrite in another database is refused, not replaced');
SELECT cron.unschedule(jobid) FROM cron.job WHERE database = 'postgres';
SELECT ok(ecpipe_schedule('7 4 * * *') > 0, 'a superuser replaces the operator''s job');
SELECT results_eq(
    $$SELECT schedule, username FROM cron.job WHERE jobname = 'ecpipe-daily' AND database = current_database()$$,
    $$VALUES ('7 4 * * *'::text, 'postgres'::text)$$, 'the job now runs as the superuser who scheduled it');
SET SESSION AUTHORIZATION ecpipe_t19_etl;
SELECT is(ecpipe_unschedule(), true, 'an operator removes the job, whoever scheduled it');
SELECT is(ecpipe_unschedule(), false, 'false when there is no job');
RESET SESSION AUTHORIZATION;
SELECT is((SELECT count(*) FROM cron.job WHERE jobname = 'ecpipe-daily'), 0::bigint, 'no job is left');

SELECT * FROM finish();
ROLLBACK;
