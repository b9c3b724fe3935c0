-- ecpipe 0.2.0 -> 0.3.0: hardening. Each section below says what it changes and why.
-- CREATE EXTENSION ecpipe installs 0.1.0 and then the upgrade scripts, so a fresh install and an upgrade are the same.
\echo Use "ALTER EXTENSION ecpipe UPDATE TO '0.3.0'" to load this file. \quit

-- == setup: an operator may schedule the daily run, and the job runs as that operator ==
-- ecpipe_schedule/ecpipe_unschedule ran as the caller and called cron.schedule, so an operator (no usage of schema
-- cron) got "permission denied for schema cron"; the job's command was unqualified. Now the pg_cron calls run as the
-- extension's owner (a superuser, who may name another role as a job's user in pg_cron 1.4), the job runs as the
-- role that scheduled it, and its command is fixed text. There is one ecpipe-daily job per database.
CREATE FUNCTION ecpipe.schedule_daily(cron text, job_user name) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_job     bigint;
    v_old     bigint;
    v_command text;
    v_login   boolean;
    v_other   text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'ecpipe_schedule needs the pg_cron extension in this database'
              USING ERRCODE = '55000',
                    HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database, '
                           'then CREATE EXTENSION pg_cron.';
    END IF;
    -- pg_cron 1.4 stores the text after five fields as it is: take only a cron expression (pg_cron judges its values).
    IF cron IS NULL OR pg_catalog.length(cron) > 100
       OR cron !~ '^\s*(@[a-z]+|[0-9A-Za-z*/,-]+(\s+[0-9A-Za-z*/,-]+){4})\s*$' THEN
        RAISE EXCEPTION 'ecpipe_schedule: the schedule must be a cron expression such as ''0 17 * * *'''
              USING ERRCODE = '22023';
    END IF;
    -- The job runs as job_user: the caller's own role (ecpipe_schedule passes current_user), a role the session's
    -- login role may become, that can log in (pg_cron connects as it) and may run the pipeline.
    SELECT r.rolcanlogin INTO v_login FROM pg_catalog.pg_roles r WHERE r.rolname = job_user;
    IF v_login IS NULL OR NOT pg_catalog.pg_has_role(session_user, job_user, 'MEMBER') THEN
        RAISE EXCEPTION 'ecpipe_schedule: the job can only run as a role this session may become'
              USING ERRCODE = '42501';
    END IF;
    IF NOT v_login THEN
        RAISE EXCEPTION 'ecpipe_schedule: role "%" cannot log in, and pg_cron runs the job as the role that schedules it',
              pg_catalog.left(job_user, 63)
              USING ERRCODE = '42501', HINT = 'Schedule as a LOGIN role that is granted ecpipe_operator (RESET ROLE first).';
    END IF;
    IF NOT pg_catalog.pg_has_role(job_user, 'ecpipe_operator', 'USAGE') THEN
        RAISE EXCEPTION 'ecpipe_schedule: role "%" may not run the pipeline', pg_catalog.left(job_user, 63)
              USING ERRCODE = '42501', HINT = 'GRANT ecpipe_operator TO the role that schedules the job.';
    END IF;
    SELECT pg_catalog.format('SELECT %I.ecpipe_run()', n.nspname) INTO v_command
    FROM pg_catalog.pg_extension e JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'ecpipe';
    -- Replace this database's ecpipe-daily job, whoever scheduled it (pg_cron keys names by user).
    FOR v_old IN EXECUTE 'SELECT jobid FROM cron.job WHERE jobname = $1 AND database = pg_catalog.current_database()'
                 USING 'ecpipe-daily' LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING v_old;
    END LOOP;
    -- pg_cron 1.4 keys job names by user across databases: scheduling would overwrite that user's job elsewhere.
    EXECUTE 'SELECT database FROM cron.job WHERE jobname = $1 AND username = $2 AND database <> pg_catalog.current_database()'
        INTO v_other USING 'ecpipe-daily', job_user::text;
    IF v_other IS NOT NULL THEN
        RAISE EXCEPTION 'ecpipe_schedule: role "%" already has a pg_cron job named ecpipe-daily in database "%"',
              pg_catalog.left(job_user, 63), pg_catalog.left(v_other, 63)
              USING ERRCODE = '55000', HINT = 'Schedule as another role, or remove that job with cron.unschedule.';
    END IF;
    EXECUTE 'SELECT cron.schedule_in_database($1, $2, $3, pg_catalog.current_database(), $4, true)'
        INTO v_job USING 'ecpipe-daily', cron, v_command, job_user::text;
    RETURN v_job;
END $$;
COMMENT ON FUNCTION ecpipe.schedule_daily(text, name) IS
    'creates or replaces the pg_cron job ecpipe-daily of this database, running the fixed command SELECT ecpipe_run() as job_user';

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_schedule(cron text DEFAULT '0 17 * * *') RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
RETURN ecpipe.schedule_daily(cron, CURRENT_USER);
COMMENT ON FUNCTION @extschema@.ecpipe_schedule(text) IS
    'creates or replaces the pg_cron job ecpipe-daily (schedule in GMT) running SELECT ecpipe_run() as the calling role';

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_unschedule() RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_old  bigint;
    v_done boolean := false;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'ecpipe_unschedule needs the pg_cron extension in this database' USING ERRCODE = '55000';
    END IF;
    FOR v_old IN EXECUTE 'SELECT jobid FROM cron.job WHERE jobname = $1 AND database = pg_catalog.current_database()'
                 USING 'ecpipe-daily' LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING v_old;
        v_done := true;
    END LOOP;
    RETURN v_done;
END $$;
COMMENT ON FUNCTION @extschema@.ecpipe_unschedule() IS
    'removes the pg_cron job ecpipe-daily of this database, whoever scheduled it; false when there was none';

REVOKE ALL ON FUNCTION ecpipe.schedule_daily(text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.schedule_daily(text, name) TO ecpipe_operator;
