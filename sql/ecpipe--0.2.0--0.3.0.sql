-- ecpipe 0.2.0 -> 0.3.0: hardening. Each section below says what it changes and why.
-- A new install runs ecpipe--0.3.0.sql instead; test/pgtap/12_upgrade.sql checks that both end with the same catalog.
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

-- == runs: a per-day run lock only ecpipe's roles can take, runs recorded as running before they work (a crash
-- leaves a visible row), the load step kept when the marts roll it back, the run record written only by ecpipe's
-- functions, UTF-8 databases only, and a word in last_error when no worker serves this database's outbox ==

-- ecpipe stores text as PostgreSQL text: in any other database encoding, lines would fail at load, not at install.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'ecpipe needs a UTF8 database; database "%" is %', pg_catalog.current_database(),
              pg_catalog.getdatabaseencoding()
              USING ERRCODE = '0A000',
                    HINT = 'Create the database with ENCODING ''UTF8'' (e.g. createdb -E UTF8 -T template0) and install ecpipe there.';
    END IF;
END $$;

-- The backend that runs (ran) it: a row left `running` by a backend that is gone is closed by ecpipe.fail_dead_runs.
ALTER TABLE ecpipe.runs ADD COLUMN pid int;
COMMENT ON COLUMN ecpipe.runs.pid IS 'backend process that ran it (ecpipe.current_runs.pid while running)';
CREATE INDEX runs_running ON ecpipe.runs (run_id) WHERE status = 'running';

-- Steps: 'lock' (the day was locked by another run), and a load that succeeded but was rolled back with the marts.
ALTER TABLE ecpipe.run_steps DROP CONSTRAINT run_steps_name_check,
    ADD CONSTRAINT run_steps_name_check CHECK (name IN ('lock', 'collect', 'validate', 'load', 'marts', 'notify')),
    DROP CONSTRAINT run_steps_status_check,
    ADD CONSTRAINT run_steps_status_check CHECK (status IN ('succeeded', 'failed', 'skipped', 'rolled_back'));
COMMENT ON TABLE ecpipe.run_steps IS
    'one row per step of a run: lock (only when refused), collect, validate, load, marts, notify; a load undone by a failing marts step is rolled_back';

-- The per-day lock: a row lock on the day's row. Nobody but the extension's owner has any privilege on this table,
-- so only ecpipe.lock_day (SECURITY DEFINER, executable by ecpipe_operator) takes it: a login role without grants
-- cannot stall a run any more (an advisory lock, which any role may take, served before 0.3.0). Not dumped: its
-- rows are made on demand and say only who last locked a day.
CREATE TABLE ecpipe.run_locks (
    ds         date        PRIMARY KEY,
    run_id     bigint,
    pid        int,
    locked_at  timestamptz
);
COMMENT ON TABLE ecpipe.run_locks IS 'one row per day ever run; a run or load of the day holds its row lock until it commits';

-- The lock on an event day's marts: every rebuild of them (a run's marts step, ecpipe_load, ecpipe_build_marts) takes
-- it, so two rebuilds of one day never interleave, whichever batches brought the day's events (a run of the next day
-- rebuilds a day whose late events it loaded). A row lock on the day's row, like run_locks; nobody else may touch it.
CREATE TABLE ecpipe.mart_locks (
    event_day  date        PRIMARY KEY,
    pid        int,
    locked_at  timestamptz
);
COMMENT ON TABLE ecpipe.mart_locks IS 'one row per event day whose marts were ever rebuilt; a rebuild holds its row lock until it commits';
REVOKE ALL ON ecpipe.run_locks, ecpipe.mart_locks FROM PUBLIC;

-- Runs `take`, the upsert of this backend's row in a lock table ($1 the day, $2 the run), waiting for another
-- transaction's row lock at most ecpipe.run_lock_timeout (0: not at all); false when that wait ran out. Behind
-- ecpipe.lock_day and ecpipe.lock_marts, which say who holds the lock then.
CREATE FUNCTION ecpipe.take_lock_row(take text, day date, run bigint) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_before  text := current_setting('lock_timeout');
BEGIN
    PERFORM set_config('lock_timeout', greatest(1, least(2147483647, (extract(epoch FROM
        ecpipe.setting('ecpipe.run_lock_timeout')::interval) * 1000)::bigint)) || 'ms', true);
    EXECUTE take USING day, run;
    PERFORM set_config('lock_timeout', v_before, true);
    RETURN true;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;  -- the lock_timeout set above is undone with the block
END $$;

-- Takes the day's lock for this transaction, waiting up to ecpipe.run_lock_timeout (0: do not wait); then 55P03
-- naming the backend that holds it. Taken by ecpipe_run, ecpipe_load (through ecpipe.load_batch), ecpipe_ingest and a
-- client's \copy into ecpipe.landing_import or ecpipe.landing.
CREATE FUNCTION ecpipe.lock_day(day date, run bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_holder  int;
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION 'ecpipe.lock_day: day must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF ecpipe.take_lock_row('INSERT INTO ecpipe.run_locks AS l (ds, run_id, pid, locked_at)
                             VALUES ($1, $2, pg_catalog.pg_backend_pid(), pg_catalog.clock_timestamp())
                             ON CONFLICT (ds) DO UPDATE SET run_id = excluded.run_id, pid = excluded.pid,
                                                            locked_at = excluded.locked_at', day, run) THEN
        RETURN;
    END IF;
    -- the holder's transaction (or subtransaction) id is the row's xmax
    SELECT ecpipe.xid_holder(l.xmax) INTO v_holder FROM ecpipe.run_locks l WHERE l.ds = day;
    IF v_holder IS NULL THEN  -- the day's first lock, not committed yet: the run that holds it is recorded
        SELECT r.pid INTO v_holder FROM ecpipe.runs r
         WHERE r.ds = day AND r.status = 'running' AND r.pid <> pg_backend_pid() ORDER BY r.run_id DESC LIMIT 1;
    END IF;
    -- the holder is a run of the day (recorded as running, with its backend), or else an ecpipe_load, an
    -- ecpipe_ingest or a client's \copy of it (unknown while the day's first lock is not committed)
    IF v_holder IS NULL OR NOT EXISTS (SELECT FROM ecpipe.runs r
                                       WHERE r.ds = day AND r.pid = v_holder AND r.status = 'running') THEN
        RAISE EXCEPTION '% is held by %, which loads or lands that day (ecpipe_load, ecpipe_ingest or a \copy); waited % (ecpipe.run_lock_timeout)',
              day, coalesce('pid ' || v_holder, 'another session'), ecpipe.setting('ecpipe.run_lock_timeout')
              USING ERRCODE = '55P03',
                    HINT = 'See pg_stat_activity (and ecpipe.current_runs); try again once its transaction has ended.';
    END IF;
    RAISE EXCEPTION 'another run of % is in progress (pid %); waited % (ecpipe.run_lock_timeout)', day,
          coalesce(v_holder::text, 'unknown'), ecpipe.setting('ecpipe.run_lock_timeout')
          USING ERRCODE = '55P03', HINT = 'See ecpipe.current_runs; try again once that run has ended.';
END $$;
COMMENT ON FUNCTION ecpipe.lock_day(date, bigint) IS
    'takes the per-day run lock until the end of the transaction, waiting up to ecpipe.run_lock_timeout';

-- Takes the lock on the day's marts for this transaction, waiting up to ecpipe.run_lock_timeout; then 55P03 naming
-- the backend that holds it. Taken by ecpipe.rebuild_day_marts, in ascending day order by a run's marts step.
CREATE FUNCTION ecpipe.lock_marts(day date) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_holder  int;
BEGIN
    PERFORM ecpipe.check_day(day, 'ecpipe.lock_marts');  -- a day whose marts can exist, not NULL or infinity
    IF ecpipe.take_lock_row('INSERT INTO ecpipe.mart_locks AS l (event_day, pid, locked_at)
                             VALUES ($1, pg_catalog.pg_backend_pid(), pg_catalog.clock_timestamp())
                             ON CONFLICT (event_day) DO UPDATE SET pid = excluded.pid, locked_at = excluded.locked_at',
                            day, NULL) THEN
        RETURN;
    END IF;
    SELECT ecpipe.xid_holder(l.xmax) INTO v_holder FROM ecpipe.mart_locks l WHERE l.event_day = day;
    RAISE EXCEPTION 'the marts of % are being rebuilt by %; waited % (ecpipe.run_lock_timeout)', day,
          coalesce('pid ' || v_holder, 'another session'), ecpipe.setting('ecpipe.run_lock_timeout')
          USING ERRCODE = '55P03',
                HINT = 'A run, ecpipe_load or ecpipe_build_marts of a batch with events on that day holds them (see ecpipe.current_runs and pg_stat_activity); try again once it has ended.';
END $$;
COMMENT ON FUNCTION ecpipe.lock_marts(date) IS
    'takes the lock on an event day''s marts until the end of the transaction, waiting up to ecpipe.run_lock_timeout';

CREATE FUNCTION ecpipe.run_open(run bigint, day date, started timestamptz) RETURNS boolean
AS 'MODULE_PATHNAME', 'ecpipe_run_open'
LANGUAGE C STRICT VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.run_open(bigint, date, timestamptz) IS
    'records run as running for this backend, committed by a background worker before the run works (true), or in this transaction when no worker can (false, with a WARNING)';

CREATE FUNCTION ecpipe.backend_alive(pid int) RETURNS boolean
AS 'MODULE_PATHNAME', 'ecpipe_backend_alive'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.backend_alive(int) IS 'whether a server process with this pid is running now';

CREATE FUNCTION ecpipe.xid_holder(xid) RETURNS int
AS 'MODULE_PATHNAME', 'ecpipe_xid_holder'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.xid_holder(xid) IS 'pid of the backend running transaction or subtransaction xid, else NULL';

CREATE FUNCTION ecpipe.delivery_note() RETURNS text
AS 'MODULE_PATHNAME', 'ecpipe_delivery_note'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.delivery_note() IS
    'NULL when the notification worker delivers this database''s outbox; otherwise which database it serves and how to deliver';

-- Runs left `running` by a backend that is gone (killed, or the server crashed and restarted) end failed, 'server
-- restarted', as pg_cron does with cron.job_run_details, and queue their alert. The notification worker calls it on
-- start and every 10 seconds; every ecpipe_run calls it too (without the worker, the next run does it).
-- The failure alert of a run closed without its own messages (its backend died, or its transaction rolled back and
-- took them along): ecpipe.fail_dead_runs and the run recorder queue it.
CREATE FUNCTION ecpipe.failure_alert(run bigint, ds date, seconds numeric, step text, error text) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ecpipe.slack_message('failed', jsonb_build_object(
               'run_id', run, 'ds', ds, 'status', 'failed', 'checks', '[]'::jsonb, 'loaded', 0, 'quarantined', 0,
               'days_rebuilt', '[]'::jsonb, 'seconds', seconds, 'step', coalesce(step, 'unknown'), 'error', error))
$$;
COMMENT ON FUNCTION ecpipe.failure_alert(bigint, date, numeric, text, text) IS
    'the failed alert of a run that could not queue its own (a dead backend, a rolled-back transaction)';
REVOKE ALL ON FUNCTION ecpipe.failure_alert(bigint, date, numeric, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.failure_alert(bigint, date, numeric, text, text) TO ecpipe_operator;

CREATE FUNCTION ecpipe.fail_dead_runs() RETURNS int
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_run  record;
    n      int := 0;
BEGIN
    FOR v_run IN
        UPDATE ecpipe.runs r SET status = 'failed', finished_at = clock_timestamp(),
               seconds = round(extract(epoch FROM clock_timestamp() - r.started_at)::numeric, 3),
               failed_step = (SELECT s.name FROM ecpipe.run_steps s WHERE s.run_id = r.run_id
                              ORDER BY s.step_no DESC LIMIT 1),
               error = 'server restarted'
         WHERE r.status = 'running' AND NOT ecpipe.backend_alive(r.pid)
        RETURNING r.run_id, r.ds, r.failed_step, r.seconds
    LOOP
        n := n + 1;
        INSERT INTO ecpipe.notifications (run_id, kind, payload)
        VALUES (v_run.run_id, 'failed',
                ecpipe.failure_alert(v_run.run_id, v_run.ds, v_run.seconds, v_run.failed_step, 'server restarted'));
    END LOOP;
    -- messages held for a backfill's digest whose backend is gone or no longer running a statement (the backfill
    -- stopped before its digest, or a session held its own run's messages): each goes now
    UPDATE ecpipe.notifications n SET next_attempt_at = clock_timestamp(), last_error = ecpipe.delivery_note()
      FROM ecpipe.runs r
     WHERE n.run_id = r.run_id AND n.status = 'queued' AND n.next_attempt_at = 'infinity'
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.pid = r.pid AND a.state = 'active');
    RETURN n;
END $$;
COMMENT ON FUNCTION ecpipe.fail_dead_runs() IS
    'marks runs left running by a backend that no longer exists as failed (''server restarted'') and queues their alerts, and releases messages held for a gone backend''s backfill digest; returns how many runs';

-- The run record is written by these SECURITY DEFINER functions only, and each accepts only a run that this very
-- backend has open: an operator can no longer rewrite, delete or close another run's record.
CREATE FUNCTION ecpipe.own_open_run(run bigint) RETURNS date
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_ds date;
BEGIN
    SELECT r.ds INTO v_ds FROM ecpipe.runs r WHERE r.run_id = run AND r.pid = pg_backend_pid() AND r.status = 'running';
    IF v_ds IS NULL THEN
        RAISE EXCEPTION 'run % is not a run open in this session', run USING ERRCODE = '42501';
    END IF;
    RETURN v_ds;
END $$;

CREATE FUNCTION ecpipe.record_step(run bigint, step_name text, step_status text, started timestamptz,
                                   finished timestamptz, step_rows bigint, step_detail text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_ds      date := ecpipe.own_open_run(run);
    v_seconds numeric := round(extract(epoch FROM finished - started)::numeric, 3);
BEGIN
    INSERT INTO ecpipe.run_steps (run_id, step_no, name, status, started_at, finished_at, rows, detail)
    SELECT run, coalesce(max(s.step_no), 0) + 1, step_name, step_status, started, finished, step_rows, step_detail
    FROM ecpipe.run_steps s WHERE s.run_id = run;
    RAISE NOTICE 'ecpipe_run % (run %): % % in % s%', v_ds, run, step_name, replace(step_status, '_', ' '), v_seconds,
          CASE WHEN step_rows IS NULL THEN ''
               WHEN step_name IN ('collect', 'validate', 'load') THEN format(', %s lines (%s lines/s)', step_rows,
                    CASE WHEN v_seconds > 0 THEN round(step_rows / v_seconds) ELSE step_rows END)
               ELSE format(', %s %s', step_rows, CASE step_name WHEN 'marts' THEN 'days' ELSE 'messages' END) END
          || CASE WHEN step_detail IS NULL OR step_detail = '' THEN '' ELSE ': ' || left(step_detail, 200) END;
END $$;
COMMENT ON FUNCTION ecpipe.record_step(bigint, text, text, timestamptz, timestamptz, bigint, text) IS
    'records one step of a run open in this session (outside the step''s subtransaction, so it survives its failure)';

CREATE OR REPLACE FUNCTION ecpipe.record_step(run bigint, step_name text, step_status text, started timestamptz,
                                              step_rows bigint, step_detail text) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ecpipe.record_step(run, step_name, step_status, started, clock_timestamp(), step_rows, step_detail)
$$;

CREATE FUNCTION ecpipe.run_finish(run bigint, run_status text, days date[], run_checks jsonb, run_summary jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM ecpipe.own_open_run(run);
    UPDATE ecpipe.runs SET status = run_status, finished_at = clock_timestamp(),
           seconds = (run_summary->>'seconds')::numeric, loaded = (run_summary->>'loaded')::bigint,
           quarantined = (run_summary->>'quarantined')::bigint, days_rebuilt = days, checks = run_checks,
           failed_step = run_summary->>'step', error = run_summary->>'error', summary = run_summary,
           source = run_summary->>'source', source_file = run_summary->'source_file'
     WHERE run_id = run;
END $$;
COMMENT ON FUNCTION ecpipe.run_finish(bigint, text, date[], jsonb, jsonb) IS
    'closes a run open in this session with its outcome (in the run''s transaction: rolled back with it)';

-- A message queued where no worker delivers says so at once, in last_error (the worker's delivery overwrites it).
CREATE OR REPLACE FUNCTION @extschema@.ecpipe_notify(kind text, payload jsonb, run_id bigint DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO ecpipe.notifications (run_id, kind, payload, last_error)
    VALUES (run_id, kind, payload, ecpipe.delivery_note()) RETURNING id
$$;

-- One step of a run: does its work and returns its step row (status, rows, detail; no status: no row) with what
-- the later steps need (valid and checks from validate, load from load, days from marts). state is what the earlier
-- steps returned, and before notify the run's summary. ecpipe_run calls it inside the subtransaction of the step.
CREATE FUNCTION ecpipe.run_step(step text, run bigint, day date, state jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_source  jsonb;
    v_valid   text;
    v_load    jsonb;
    v_day     date;
    v_days    date[] := '{}';
    v_kind    text;
    v_report  boolean;
BEGIN
    CASE step
    WHEN 'lock' THEN  -- two runs of one day never interleave: the second waits up to ecpipe.run_lock_timeout, then fails
        PERFORM ecpipe.lock_day(day, run);
        RETURN '{}';  -- only a lock refused is recorded
    WHEN 'collect' THEN  -- finds the batch: its landed lines, else <landing_dir>/events_YYYYMMDD.jsonl, read in place
        v_source := ecpipe.batch_source(day);
        IF v_source ? 'routed' THEN  -- a distributed ecpipe: the validation sends the file's lines to the workers
            RETURN jsonb_build_object('status', 'succeeded', 'detail',
                                      format('%s (%s bytes), routed to the workers by validate', v_source->>'path',
                                             v_source->>'size'));
        ELSIF v_source->>'source' = 'file' THEN  -- validate and load read it where it lies; nothing is copied
            RETURN jsonb_build_object('status', 'succeeded', 'detail',
                                      format('%s (%s bytes), read in place', v_source->>'path', v_source->>'size'));
        ELSIF v_source ? 'copied' THEN  -- a distributed ecpipe: a client's lines, just taken to the workers' landing
            RETURN jsonb_build_object('status', 'succeeded', 'rows', (v_source->>'copied')::bigint, 'detail',
                                      format('%s lines a client copied, taken to landing', v_source->>'copied'));
        ELSIF (v_source->>'landed')::boolean THEN  -- batch_source looked (counting a big batch costs seconds)
            RETURN jsonb_build_object('status', 'skipped', 'detail', 'already landed');
        ELSIF ecpipe.setting('ecpipe.landing_dir') = '' THEN
            RETURN jsonb_build_object('status', 'skipped', 'rows', 0, 'detail', 'ecpipe.landing_dir is not set');
        END IF;
        RETURN jsonb_build_object('status', 'skipped', 'rows', 0, 'detail',
                                  format('no file %s/events_%s.jsonl', ecpipe.setting('ecpipe.landing_dir'),
                                         to_char(day, 'YYYYMMDD')));
    WHEN 'validate' THEN
        v_valid := ecpipe.check_batch(day, run);
        SELECT jsonb_build_object('rows', v.lines, 'source', v.source, 'source_file', v.source_file) INTO v_source
          FROM ecpipe.validations v WHERE v.run_id = run;
        RETURN jsonb_strip_nulls(v_source) || jsonb_build_object(
            'status', 'succeeded', 'detail', v_valid || CASE v_source->>'source' WHEN 'file' THEN ' (file)' ELSE '' END,
            'valid', v_valid,
            'checks', (SELECT jsonb_agg(jsonb_build_object('check_no', q.check_no, 'check_name', q.check_name,
                                                           'population', q.population, 'failed', q.failed,
                                                           'pass_rate', q.pass_rate, 'status', q.status,
                                                           'sample', q.samples->0->>'reason') ORDER BY q.check_no)
                       FROM ecpipe.quality_log q WHERE q.run_id = run));
    WHEN 'load' THEN
        v_load := ecpipe.load_batch(day, run, false);
        RETURN jsonb_build_object(
            'status', 'succeeded', 'rows', (v_load->>'loaded')::bigint + (v_load->>'quarantined')::bigint,
            'detail', format('%s loaded, %s quarantined', v_load->>'loaded', v_load->>'quarantined'), 'load', v_load);
    WHEN 'marts' THEN  -- every event day the load touched
        FOR v_day IN SELECT jsonb_array_elements_text(state->'load'->'days_rebuilt')::date LOOP
            PERFORM ecpipe.report_progress(format('marts %s: day %s (%s of %s)', day, v_day, cardinality(v_days) + 1,
                                                  jsonb_array_length(state->'load'->'days_rebuilt')));
            PERFORM ecpipe.rebuild_day_marts(v_day, run);
            v_days := v_days || v_day;
        END LOOP;
        -- the batch must still be what was validated and loaded: a day's file replaced or written to meanwhile fails
        PERFORM ecpipe.check_batch_source(day);
        RETURN jsonb_build_object('status', 'succeeded', 'rows', cardinality(v_days),
                                  'detail', array_to_string(v_days, ', '), 'days', to_jsonb(v_days));
    WHEN 'notify' THEN  -- the quality report when the checks ran, then the outcome; queued, sent once the run commits
        v_kind := CASE state->'summary'->>'status' WHEN 'succeeded' THEN 'success' ELSE state->'summary'->>'status' END;
        v_report := state ? 'checks' AND v_kind <> 'no_data';
        IF v_report THEN
            PERFORM @extschema@.ecpipe_notify('quality_report', ecpipe.slack_message('quality_report', state->'summary'), run);
        END IF;
        PERFORM @extschema@.ecpipe_notify(v_kind, ecpipe.slack_message(v_kind, state->'summary'), run);
        RETURN jsonb_build_object('status', 'succeeded', 'rows', CASE WHEN v_report THEN 2 ELSE 1 END);
    END CASE;
END $$;
COMMENT ON FUNCTION ecpipe.run_step(text, bigint, date, jsonb) IS
    'does one step of a run (lock, collect, validate, load, marts, notify); returns its step row and what later steps need';

REVOKE ALL ON FUNCTION ecpipe.run_step(text, bigint, date, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.run_step(text, bigint, date, jsonb) TO ecpipe_operator;

-- ecpipe_run, which runs these steps, is replaced in the rows section below.

-- Who may write the run record: ecpipe's functions only, for a run open in the calling session. An operator keeps
-- reading runs, steps and the outbox, and queues messages (ecpipe_notify); it cannot rewrite or delete runs and
-- steps, nor mark an alert delivered or delete it (retention of the outbox is the extension owner's).
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ecpipe.runs, ecpipe.run_steps FROM ecpipe_operator;
REVOKE UPDATE, DELETE, TRUNCATE ON ecpipe.notifications FROM ecpipe_operator;
REVOKE ALL ON FUNCTION ecpipe.take_lock_row(text, date, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION ecpipe.lock_day(date, bigint), ecpipe.lock_marts(date), ecpipe.run_open(bigint, date, timestamptz),
    ecpipe.backend_alive(int), ecpipe.xid_holder(xid), ecpipe.delivery_note(), ecpipe.fail_dead_runs(), ecpipe.own_open_run(bigint),
    ecpipe.record_step(bigint, text, text, timestamptz, timestamptz, bigint, text),
    ecpipe.run_finish(bigint, text, date[], jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.lock_day(date, bigint), ecpipe.lock_marts(date), ecpipe.run_open(bigint, date, timestamptz),
    ecpipe.backend_alive(int), ecpipe.delivery_note(), ecpipe.fail_dead_runs(),
    ecpipe.record_step(bigint, text, text, timestamptz, timestamptz, bigint, text),
    ecpipe.run_finish(bigint, text, date[], jsonb, jsonb) TO ecpipe_operator;

-- == notify safety: every queued Slack payload is sanitized (no live mention or link from data or from a caller) ==
-- ecpipe.slack_message escapes every value of the summary; ecpipe_notify now stores only the sanitized form of any
-- payload (an operator's text is data too), and the deliverer sanitizes again whatever sits in the outbox. A message
-- queued where no worker delivers still says so in last_error (ecpipe.delivery_note, from the runs section).
CREATE FUNCTION ecpipe.slack_payload(payload jsonb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_slack_payload'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.slack_payload(jsonb) IS
    'the payload as ecpipe sends it: text, header/section/context/divider blocks only, <, > and stray & escaped, within Slack''s limits';
REVOKE ALL ON FUNCTION ecpipe.slack_payload(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.slack_payload(jsonb) TO ecpipe_operator;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_notify(kind text, payload jsonb, run_id bigint DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO ecpipe.notifications (run_id, kind, payload, last_error)
    VALUES (run_id, kind, ecpipe.slack_payload(payload), ecpipe.delivery_note()) RETURNING id
$$;
COMMENT ON FUNCTION @extschema@.ecpipe_notify(text, jsonb, bigint) IS
    'queues a Slack message in ecpipe.notifications (sanitized: see ecpipe.slack_payload); it is sent only if this transaction commits';

-- == partitions and days: one name per day, accepted days, batch -> event days map, pruned loads, backfill by day ==
-- (and no_data checks for an empty batch)
-- A BC day and its AD namesake got the same partition name, and the AD day's load then wrote into the BC partition;
-- a load deleted its batch with `batch_date = ds`, which prunes no partition, so with thousands of days every run
-- locked every partition ("out of shared memory"); a backfill was one transaction; operators could make partitions.

-- The days ecpipe files anything under: 0001-01-01 to 9999-12-31, so that every name made from a day
-- (events_YYYYMMDD.jsonl, raw_events_YYYYMMDD) belongs to one day only. The C functions apply the same rule.
CREATE FUNCTION ecpipe.check_day(day date, caller text) RETURNS date
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION '%: day must not be NULL', caller USING ERRCODE = '22004';
    END IF;
    IF NOT isfinite(day) OR day < date '0001-01-01' OR day > date '9999-12-31' THEN
        RAISE EXCEPTION '%: day % is outside the days ecpipe accepts (0001-01-01 to 9999-12-31)', caller, day
              USING ERRCODE = '22008';
    END IF;
    RETURN day;
END $$;
COMMENT ON FUNCTION ecpipe.check_day(date, text) IS
    'returns day when it is within 0001-01-01 .. 9999-12-31, else raises 22008 naming caller';

-- The name of an event day's partition: raw_events_YYYYMMDD, one name per day.
CREATE FUNCTION ecpipe.raw_partition_name(day date) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'raw_events_' || to_char(ecpipe.check_day(day, 'ecpipe.raw_partition'), 'YYYYMMDD')
$$;

-- The event days a validated event can have, so the only days a load may make a partition for: the written year is
-- at least ecpipe.min_year and the instant at most ecpipe.max_future after now (check 5); an offset and the zone
-- move the day by less than two days either way.
CREATE FUNCTION ecpipe.raw_partition_days(OUT first date, OUT last date)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    first := greatest(make_date(ecpipe.setting('ecpipe.min_year')::int, 1, 1) - 2, date '0001-01-01');
    BEGIN
        last := least(((now() + ecpipe.setting('ecpipe.max_future')::interval) AT TIME ZONE 'UTC')::date + 2,
                      date '9999-12-31');
    EXCEPTION WHEN OTHERS THEN  -- a spelling PostgreSQL does not read, or past the end of time
        last := date '9999-12-31';
    END;
END $$;

-- The partition of an event day, made when missing. Only the load calls it (as the extension's owner, see
-- src/pg/load.cpp), for the event days of a validated batch; any other day is refused. An existing table of that
-- name must be exactly the day's partition.
CREATE OR REPLACE FUNCTION ecpipe.raw_partition(day date, OUT part regclass, OUT created boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET datestyle = 'ISO, YMD' AS $$
DECLARE
    name     text := ecpipe.raw_partition_name(day);
    first    date;
    last     date;
    bound    text := format('FOR VALUES FROM (%L) TO (%L)', day, day + 1);
BEGIN
    SELECT d.first, d.last INTO first, last FROM ecpipe.raw_partition_days() d;
    IF day < first OR day > last THEN
        RAISE EXCEPTION 'ecpipe.raw_partition: event day % is outside the days a load may hold (% to %, from ecpipe.min_year and ecpipe.max_future)',
              day, first, last USING ERRCODE = '22008';
    END IF;
    part := to_regclass('ecpipe.' || name);
    IF part IS NULL THEN
        -- Two loads making the same day's partition at once: the second waits here until the first ends, then finds
        -- its partition (creating one takes this lock too, and keeps it to the end of the transaction).
        LOCK TABLE ONLY ecpipe.raw_events IN SHARE UPDATE EXCLUSIVE MODE;
        part := to_regclass('ecpipe.' || name);
    END IF;
    created := part IS NULL;
    IF created THEN
        EXECUTE format('CREATE TABLE ecpipe.%I PARTITION OF ecpipe.raw_events %s', name, bound);
        part := to_regclass('ecpipe.' || name);
    ELSIF NOT EXISTS (SELECT FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
                      WHERE i.inhrelid = part AND i.inhparent = 'ecpipe.raw_events'::pg_catalog.regclass
                        AND pg_catalog.pg_get_expr(c.relpartbound, c.oid) = bound) THEN
        RAISE EXCEPTION 'ecpipe.raw_partition: % exists but is not the partition of event day %', part, day
              USING ERRCODE = '42P07',
                    HINT = 'A partition made before ecpipe 0.3.0 for a BC day has the name of its AD namesake: rename or drop it.';
    END IF;
END $$;

-- Operators ran these directly (thousands of partitions, any day); now only the load does, as the owner.
REVOKE ALL ON FUNCTION ecpipe.raw_partition(date), ecpipe.index_raw_partition(regclass) FROM PUBLIC, ecpipe_operator;
REVOKE ALL ON FUNCTION ecpipe.check_day(date, text), ecpipe.raw_partition_name(date), ecpipe.raw_partition_days()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.check_day(date, text), ecpipe.raw_partition_name(date), ecpipe.raw_partition_days()
    TO ecpipe_operator;

-- A run of a day outside the accepted range is never recorded (nor started: ecpipe_run inserts its row first).
CREATE FUNCTION ecpipe.runs_check_day() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM ecpipe.check_day(NEW.ds, 'ecpipe_run');
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION ecpipe.runs_check_day() FROM PUBLIC;
CREATE TRIGGER runs_check_day BEFORE INSERT OR UPDATE OF ds ON ecpipe.runs
    FOR EACH ROW EXECUTE FUNCTION ecpipe.runs_check_day();

-- Which event days (partitions) hold rows of which batch: written by each load, read by the next load of the batch
-- to delete its old rows from those partitions only.
CREATE TABLE ecpipe.batch_days (
    batch_date  date NOT NULL,
    event_day   date NOT NULL,
    PRIMARY KEY (batch_date, event_day)
);
CREATE INDEX batch_days_event_day ON ecpipe.batch_days (event_day);
COMMENT ON TABLE ecpipe.batch_days IS 'the event days (raw_events partitions) each loaded batch has rows in';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.batch_days', '');
-- Operators read it; only the load writes it (as the extension's owner): a forged row would send a load to delete in
-- (and lock) partitions that are not its batch's.
GRANT SELECT ON ecpipe.batch_days TO ecpipe_operator;

-- The map of batches loaded before 0.3.0: the distinct batches of each partition, by a walk of its key
-- (batch_date, line_no) rather than a scan of its rows. Locks each partition and its indexes once.
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT i.inhrelid::pg_catalog.regclass FROM pg_catalog.pg_inherits i
                WHERE i.inhparent = 'ecpipe.raw_events'::pg_catalog.regclass LOOP
        EXECUTE format($q$
            WITH RECURSIVE b(d) AS (
                SELECT min(r.batch_date) FROM ONLY %1$s r
                UNION ALL
                SELECT (SELECT min(r.batch_date) FROM ONLY %1$s r WHERE r.batch_date > b.d) FROM b WHERE b.d IS NOT NULL)
            INSERT INTO ecpipe.batch_days (batch_date, event_day)
            SELECT b.d, (SELECT r.event_day FROM ONLY %1$s r LIMIT 1) FROM b WHERE b.d IS NOT NULL
            ON CONFLICT DO NOTHING$q$, part);
    END LOOP;
END $$;

-- The checks of an empty batch say no_data in the quality log (and so in ecpipe_validate and the run's checks),
-- not PASS: nothing was checked.
ALTER TABLE ecpipe.quality_log DROP CONSTRAINT quality_log_status_check;
ALTER TABLE ecpipe.quality_log ADD CONSTRAINT quality_log_status_check CHECK (status IN ('PASS', 'FAIL', 'no_data'));
UPDATE ecpipe.quality_log q SET status = 'no_data'
FROM ecpipe.validations v WHERE v.run_id = q.run_id AND v.status = 'no_data' AND q.status <> 'no_data';

-- ecpipe_backfill is replaced in the rows section below.

-- A long backfill, committed day by day: an error on day 1,000 keeps days 1..999 (ecpipe_backfill runs in its
-- caller's one transaction, which such an error rolls back whole). CALL it outside a transaction block, from psql
-- or a pg_cron job. A procedure with a SET clause may not commit, so this one has none: every name in it is
-- schema-qualified.
CREATE PROCEDURE @extschema@.ecpipe_backfill_days(from_day date, to_day date)
LANGUAGE plpgsql AS $$
DECLARE
    d       date;
    n       int := 0;
    total   int;
    summary jsonb;
    v_runs  bigint[] := '{}';  -- the days' runs, told in one digest at the end
BEGIN
    PERFORM ecpipe.check_day(from_day, 'ecpipe_backfill_days'), ecpipe.check_day(to_day, 'ecpipe_backfill_days');
    IF to_day OPERATOR(pg_catalog.<) from_day THEN
        RAISE EXCEPTION 'ecpipe_backfill_days: % is before %', to_day, from_day USING ERRCODE = '22023';
    END IF;
    total := to_day OPERATOR(pg_catalog.-) from_day OPERATOR(pg_catalog.+) 1;
    d := from_day;
    WHILE d OPERATOR(pg_catalog.<=) to_day LOOP
        n := n OPERATOR(pg_catalog.+) 1;
        summary := @extschema@.ecpipe_run(d);
        -- the day's messages wait for the digest (sent anyway if this backend dies first)
        v_runs := v_runs OPERATOR(pg_catalog.||) (summary OPERATOR(pg_catalog.->>) 'run_id')::bigint;
        PERFORM ecpipe.hold_run_messages((summary OPERATOR(pg_catalog.->>) 'run_id')::bigint);
        RAISE NOTICE 'ecpipe_backfill_days: day % of % (%) %: % loaded, % quarantined in % s', n, total, d,
              summary OPERATOR(pg_catalog.->>) 'status', summary OPERATOR(pg_catalog.->>) 'loaded',
              summary OPERATOR(pg_catalog.->>) 'quarantined', summary OPERATOR(pg_catalog.->>) 'seconds';
        COMMIT;
        -- A cancel or statement_timeout stops the backfill, not just that day's step (which records it as failed).
        IF (summary OPERATOR(pg_catalog.->>) 'cancelled')::boolean THEN
            RAISE WARNING 'ecpipe_backfill_days stopped at day % of % (%): the statement was cancelled', n, total, d;
            EXIT;
        END IF;
        d := d OPERATOR(pg_catalog.+) 1;
    END LOOP;
    PERFORM ecpipe.queue_backfill_digest(v_runs, from_day, to_day);
END $$;
COMMENT ON PROCEDURE @extschema@.ecpipe_backfill_days(date, date) IS
    'runs each day from from_day to to_day in order, committing after each day; the summaries are in ecpipe.runs';
REVOKE ALL ON PROCEDURE @extschema@.ecpipe_backfill_days(date, date) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE @extschema@.ecpipe_backfill_days(date, date) TO ecpipe_operator;

-- == hostile data sources: ecpipe_ingest raises an error for a NULL ds or path (it was STRICT and returned NULL) ==
ALTER FUNCTION @extschema@.ecpipe_ingest(date, text) CALLED ON NULL INPUT;
COMMENT ON FUNCTION @extschema@.ecpipe_ingest(date, text) IS
    'Lands a server-side JSONL file (a regular file; lines longer than ecpipe.max_line_bytes keep their first bytes) as batch ds, replacing it; returns the number of lines';

-- == sources: a batch is its landed lines, else the day's file in ecpipe.landing_dir read in place; the validation
-- and the run record which (and the file's identity), and the load reads the version that was validated ==
ALTER TABLE ecpipe.validations
    ADD COLUMN source text NOT NULL DEFAULT 'landing' CHECK (source IN ('landing', 'file')),
    ADD COLUMN source_file jsonb;
COMMENT ON COLUMN ecpipe.validations.source IS
    'where the lines were read: landing (ecpipe_ingest, a client''s \copy) or file (<ecpipe.landing_dir>/events_YYYYMMDD.jsonl, in place)';
ALTER TABLE ecpipe.runs
    ADD COLUMN source text CHECK (source IN ('landing', 'file')),
    ADD COLUMN source_file jsonb;
COMMENT ON COLUMN ecpipe.runs.source IS 'where the batch was read: landing or file (read in place); see ecpipe.validations.source';

DROP FUNCTION ecpipe.validate_batch(date, bigint);
CREATE FUNCTION ecpipe.check_batch(ds date, run_id bigint) RETURNS text
AS 'MODULE_PATHNAME', 'ecpipe_check_batch'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION ecpipe.check_batch(date, bigint) IS
    'runs the seven checks on batch ds (its landed lines, else its file in ecpipe.landing_dir) and records them as run run_id (validations, quality_log, line_verdicts); returns passed, failed or no_data';

CREATE FUNCTION ecpipe.check_batch_source(ds date) RETURNS void
AS 'MODULE_PATHNAME', 'ecpipe_check_batch_source'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.check_batch_source(date) IS
    'raises 55000 unless batch ds is still read from the source its latest validation read, that very file unchanged (device, inode, size, modification time)';

CREATE FUNCTION ecpipe.batch_source(ds date) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_batch_source'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.batch_source(date) IS
    'where batch ds would be read now: {"source": "landing"}, or {"source": "file", path, size, mtime} for <ecpipe.landing_dir>/events_YYYYMMDD.jsonl (a landed batch takes precedence)';
REVOKE ALL ON FUNCTION ecpipe.check_batch(date, bigint), ecpipe.batch_source(date),
    ecpipe.check_batch_source(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.check_batch(date, bigint), ecpipe.batch_source(date),
    ecpipe.check_batch_source(date) TO ecpipe_operator;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_validate(ds date)
RETURNS TABLE (check_no int, check_name text, population bigint, failed bigint, pass_rate numeric, status text)
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    v_run bigint := nextval('ecpipe.run_id_seq');
BEGIN
    PERFORM ecpipe.check_batch(ds, v_run);
    RETURN QUERY
        SELECT q.check_no, q.check_name, q.population, q.failed, q.pass_rate, q.status
        FROM ecpipe.quality_log q WHERE q.run_id = v_run ORDER BY q.check_no;
END $$;
COMMENT ON FUNCTION @extschema@.ecpipe_validate(date) IS
    'the seven quality checks on batch ds (its landed lines, else its file in ecpipe.landing_dir); one row per check; writes the quality log';

-- == marts: one owner per mart ==
-- Each mart is written in one place, every column named. The day's one scan in C++ (ecpipe.scan_day_events)
-- writes mart_user_daily and mart_funnel_daily and returns the products' click and cart counts;
-- ecpipe.rebuild_day_marts writes mart_product_daily from those and the line items in one INSERT, then
-- mart_orders. They replace ecpipe.build_marts and ecpipe.build_event_marts.
CREATE FUNCTION ecpipe.scan_day_events(day date, run_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_scan_day_events'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION ecpipe.scan_day_events(date, bigint) IS
    'the event side of a day''s marts: writes mart_user_daily and mart_funnel_daily, returns their row counts, the products'' click and cart counts (product_activity) and where the purchase rows are (purchase_rows); from what the load of run_id computed when it wrote the day''s every row, else from one scan of the day';
REVOKE ALL ON FUNCTION ecpipe.scan_day_events(date, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.scan_day_events(date, bigint) TO ecpipe_operator;

-- Queries on raw_events take the day as a parameter: custom plans only (a generic plan, made after five calls in a
-- session, covers and locks every partition). No JIT: each query runs once a day.
CREATE FUNCTION ecpipe.rebuild_day_marts(day date, run_id bigint) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan SET jit = off AS $$
DECLARE
    v_run       bigint := coalesce(run_id, nextval('ecpipe.run_id_seq'));
    v_events    jsonb;
    v_products  bigint;
    v_orders    bigint;
BEGIN
    PERFORM ecpipe.check_day(day, 'ecpipe_build_marts');
    PERFORM ecpipe.lock_marts(day);  -- another rebuild of the day's marts (any batch's) waits, bounded
    IF ecpipe.distributed() THEN  -- the marts as SQL that Citus runs on the workers
        RETURN ecpipe.rebuild_day_marts_distributed(day, v_run);
    END IF;
    DELETE FROM ecpipe.mart_user_daily WHERE activity_date = day;
    DELETE FROM ecpipe.mart_funnel_daily WHERE funnel_date = day;
    DELETE FROM ecpipe.mart_product_daily WHERE activity_date = day;
    DELETE FROM ecpipe.mart_orders WHERE order_date = day;

    v_events := ecpipe.scan_day_events(day, v_run);

    -- the purchase rows the scan found, each read by its key (the day's other rows are not read again)
    WITH purchases AS MATERIALIZED (
        SELECT r.user_id, r.session_id, r.platform, r.event_time, r.batch_date, r.line_no, r.order_id,
               r.total_amount, r.payment_method, r.extra_data
        FROM pg_catalog.jsonb_to_recordset(v_events->'purchase_rows') AS k(batch_date date, line_no bigint)
        JOIN ecpipe.raw_events r ON r.batch_date = k.batch_date AND r.line_no = k.line_no
        WHERE r.event_day = day AND r.event_type = 'purchase'
    ),
    items AS MATERIALIZED (
        SELECT p.user_id, p.batch_date, p.line_no, li.product_id, li.quantity, li.unit_price
        FROM purchases p CROSS JOIN LATERAL ecpipe.line_items(p.extra_data) li
    ),
    bought AS (
        SELECT i.product_id, count(*) AS purchase_count, sum(i.quantity) AS units_sold,
               sum(i.quantity * i.unit_price) AS revenue, count(DISTINCT i.user_id) AS unique_buyers
        FROM items i GROUP BY i.product_id
    ),
    -- a product clicked or put in a cart (the scan's counts), bought (its line items), or both
    products AS (
        INSERT INTO ecpipe.mart_product_daily (activity_date, product_id, click_count, cart_add_count, purchase_count,
                                               units_sold, revenue, unique_viewers, unique_buyers, conversion_rate,
                                               run_id)
        SELECT day, product_id, coalesce(a.click_count, 0), coalesce(a.cart_add_count, 0),
               coalesce(b.purchase_count, 0), coalesce(b.units_sold, 0), coalesce(b.revenue, 0),
               coalesce(a.unique_viewers, 0), coalesce(b.unique_buyers, 0),
               ecpipe.rate(coalesce(b.unique_buyers, 0), coalesce(a.unique_viewers, 0)), v_run
        FROM pg_catalog.jsonb_to_recordset(v_events->'product_activity')
                 AS a(product_id text, click_count bigint, cart_add_count bigint, unique_viewers bigint)
        FULL JOIN bought b USING (product_id)
        RETURNING 1
    ),
    order_items AS (
        SELECT i.batch_date, i.line_no, count(*) AS item_count, sum(i.quantity) AS unit_count,
               sum(i.quantity * i.unit_price) AS items_amount
        FROM items i GROUP BY i.batch_date, i.line_no
    ),
    orders AS (
        INSERT INTO ecpipe.mart_orders (order_date, order_id, order_timestamp, user_id, session_id, platform,
                                        payment_method, total_amount, discount_amount, shipping_fee, coupon_code,
                                        item_count, unit_count, items_amount, run_id)
        SELECT day, o.order_id, o.event_time, o.user_id, o.session_id, o.platform, o.payment_method, o.total_amount,
               ecpipe.amount_or_zero(o.extra_data->'discount_amount'), ecpipe.amount_or_zero(o.extra_data->'shipping_fee'),
               CASE WHEN jsonb_typeof(o.extra_data->'coupon_code') = 'string' THEN o.extra_data->>'coupon_code' END,
               coalesce(t.item_count, 0), coalesce(t.unit_count, 0), coalesce(t.items_amount, 0), v_run
        FROM (SELECT DISTINCT ON (p.order_id) p.*
              FROM purchases p
              ORDER BY p.order_id, p.event_time, p.batch_date, p.line_no) o
        LEFT JOIN order_items t ON t.batch_date = o.batch_date AND t.line_no = o.line_no
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM orders) INTO v_products, v_orders;
    RETURN jsonb_build_object('day', day, 'run_id', v_run, 'users', (v_events->>'users')::bigint,
                              'platforms', (v_events->>'platforms')::bigint, 'products', v_products,
                              'orders', v_orders, 'events_from', v_events->>'events_from');
END $$;
COMMENT ON FUNCTION ecpipe.rebuild_day_marts(date, bigint) IS
    'deletes and rebuilds the four marts of one event day under run_id (a new run_id when NULL); behind ecpipe_build_marts, ecpipe_load and ecpipe_run';
REVOKE ALL ON FUNCTION ecpipe.rebuild_day_marts(date, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.rebuild_day_marts(date, bigint) TO ecpipe_operator;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_build_marts(day date) RETURNS jsonb
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT ecpipe.rebuild_day_marts(day, NULL)
$$;

DROP FUNCTION ecpipe.build_marts(date, bigint);
DROP FUNCTION ecpipe.build_event_marts(date, bigint);

-- == privileges: an operator can neither choose an outbox id nor move the id sequences ==
-- A message id taken ahead, or a sequence set back, made a later run's alert (or the run itself) fail unrecorded.
REVOKE INSERT ON ecpipe.notifications FROM ecpipe_operator;
GRANT INSERT (run_id, kind, payload, last_error) ON ecpipe.notifications TO ecpipe_operator;
REVOKE UPDATE ON ecpipe.run_id_seq, ecpipe.notifications_id_seq FROM ecpipe_operator;

-- == rows: a new raw partition gets only its key (the BRIN on batch_date duplicated the key's leading column and no
-- query used it); the run summary takes orders and revenue from the load instead of querying raw_events again, and
-- ecpipe_run and ecpipe_backfill hold no cursor open while they load (one would keep the load from writing new
-- partitions frozen) ==
-- Partitions made before keep their BRIN: dropping it from every partition here would lock them all at once.
CREATE OR REPLACE FUNCTION ecpipe.index_raw_partition(part regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_column text;
    v_method text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_inherits i
                   WHERE i.inhrelid = part AND i.inhparent = 'ecpipe.raw_events'::pg_catalog.regclass) THEN
        RAISE EXCEPTION 'ecpipe.index_raw_partition: % is not a partition of ecpipe.raw_events', part
              USING ERRCODE = '42809';
    END IF;
    -- The key, which also finds a batch's rows (batch_date leads it): the only index ecpipe's own queries use.
    -- within one event day; distributed, the key also holds the distribution column, as Citus requires
    EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (batch_date, line_no%s)', part,
                   CASE WHEN ecpipe.distributed() THEN ', user_id' ELSE '' END);
    -- Anything else only on request: each index costs the load a full build (at 1M events, hash indexes on user_id
    -- and session_id and a B-tree on event_type cost 6 s). The setting's check hook has
    -- validated it, but this runs as the extension's owner and, in a session that has not loaded the module yet,
    -- ecpipe.raw_indexes is a placeholder anyone may set: so the method is checked again here, the column quoted.
    FOR v_column, v_method IN
        SELECT split_part(x, ':', 1), coalesce(nullif(split_part(x, ':', 2), ''), 'btree')
        FROM unnest(string_to_array(replace(coalesce(current_setting('ecpipe.raw_indexes', true), ''), ' ', ''), ','))
             AS x WHERE x <> ''
    LOOP
        IF v_method NOT IN ('btree', 'hash', 'brin') OR NOT EXISTS (
               SELECT FROM pg_catalog.pg_attribute a
               WHERE a.attrelid = 'ecpipe.raw_events'::pg_catalog.regclass AND a.attname = v_column
                 AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE WARNING 'ecpipe.raw_indexes: raw_events has no column "%" (or "%" is no index method): not indexed',
                  v_column, v_method;
            CONTINUE;
        END IF;
        EXECUTE format('CREATE INDEX ON %s USING %s (%I)', part, v_method, v_column);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_run(ds date DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_ds        date := coalesce(ds, (now() AT TIME ZONE ecpipe.setting('ecpipe.timezone'))::date - 1);
    v_run       bigint := nextval('ecpipe.run_id_seq');
    v_start     timestamptz := clock_timestamp();
    v_n         int;
    v_unit      text[];        -- steps that succeed or fail together, in one subtransaction
    v_retried   boolean;       -- the unit is tried again after a serialization failure or a deadlock
    v_attempt   int;
    v_name      text;
    v_t         timestamptz;
    v_finished  timestamptz;
    v_out       jsonb;
    v_done      jsonb;         -- the unit's steps recorded so far: undone with it if a later one fails
    v_state     jsonb := '{}'; -- what the steps returned
    v_before    jsonb;
    v_status    text;
    v_step      text;          -- the step that failed
    v_err       text;
    v_code      text;
    v_days      date[];
    v_stats     record;
    v_summary   jsonb;
    v_cancelled boolean := false;  -- a step stopped by a cancel or statement_timeout: a backfill stops after it
    v_lock_timeout text := pg_catalog.current_setting('lock_timeout');
BEGIN
    -- The run is `running` in ecpipe.runs, committed, before it does anything (ecpipe.run_open); ecpipe.run_finish
    -- closes it in this transaction. If this transaction rolls back, the row ends failed; if the backend dies, the
    -- notification worker or the next run ends it failed, 'server restarted'.
    PERFORM ecpipe.check_day(v_ds, 'ecpipe_run');  -- a day outside 0001..9999 is refused before anything is recorded
    PERFORM ecpipe.refuse_on_worker('ecpipe_run');  -- so is a run on a worker of a distributed ecpipe
    PERFORM ecpipe.run_open(v_run, v_ds, v_start);
    PERFORM ecpipe.fail_dead_runs();
    -- Every lock the run waits for (a mart another role locked, a partition a long query holds) is bounded like the
    -- day's lock: the step fails, recorded, instead of waiting for ever. The caller's own bound is put back at the end.
    IF v_lock_timeout = '0' AND ecpipe.setting('ecpipe.run_lock_timeout') NOT IN ('0', '0ms') THEN
        PERFORM pg_catalog.set_config('lock_timeout', ecpipe.setting('ecpipe.run_lock_timeout'), true);
    END IF;

    -- The steps in order, each done by ecpipe.run_step. Load and marts are one unit: both succeed or neither leaves
    -- a trace. A step that fails (a statement_timeout or cancel too) is recorded with its error, and then only
    -- notify runs.
    -- (A loop over a query would hold a cursor open, and an open cursor keeps the load from writing a new
    -- partition's rows frozen.)
    FOR v_n IN 1..5 LOOP
        v_unit := (ARRAY['{lock}', '{collect}', '{validate}', '{load,marts}', '{notify}'])[v_n]::text[];
        v_retried := v_n = 4;
        CONTINUE WHEN v_step IS NOT NULL AND v_unit <> '{notify}';
        IF v_unit[1] = 'load' THEN  -- the gate: a batch is loaded only when every check passed
            v_status := CASE v_state->>'valid' WHEN 'no_data' THEN 'no_data' WHEN 'failed' THEN 'blocked'
                                               ELSE 'succeeded' END;  -- failed if the load or the marts then fail
            CONTINUE WHEN v_status <> 'succeeded';
        ELSIF v_unit[1] = 'notify' THEN  -- the outcome, whatever it is
            IF v_step IS NOT NULL THEN
                v_status := 'failed';
            END IF;
            v_days := ARRAY(SELECT jsonb_array_elements_text(coalesce(v_state->'days', '[]'))::date);
            -- users, sessions, orders (distinct order_id of the loaded purchases) and revenue (their total_amount)
            -- were counted by the load as it wrote the rows: no query reads raw back for them
            SELECT coalesce((v_state->'load'->>'users')::bigint, 0) AS users,
                   coalesce((v_state->'load'->>'sessions')::bigint, 0) AS sessions,
                   CASE WHEN v_status = 'succeeded' THEN coalesce((v_state->'load'->>'orders')::bigint, 0) ELSE 0 END
                       AS orders,
                   CASE WHEN v_status = 'succeeded' THEN coalesce(v_state->'load'->'revenue', '0') ELSE '0' END::jsonb
                       AS revenue
              INTO v_stats;
            v_summary := jsonb_build_object(
                'run_id', v_run, 'ds', v_ds, 'status', v_status, 'checks', coalesce(v_state->'checks', '[]'::jsonb),
                'loaded', coalesce((v_state->'load'->>'loaded')::bigint, 0),
                'quarantined', coalesce((v_state->'load'->>'quarantined')::bigint, 0),
                'days_rebuilt', to_jsonb(v_days), 'users', v_stats.users, 'sessions', v_stats.sessions,
                'orders', v_stats.orders, 'revenue', v_stats.revenue,
                'seconds', round(extract(epoch FROM clock_timestamp() - v_start)::numeric, 3),
                'step', v_step, 'error', v_err)
                -- where the batch was read, once the validate step said so
                || jsonb_strip_nulls(jsonb_build_object('source', v_state->'source',
                                                        'source_file', v_state->'source_file'))
                -- the pass rate the checks had to reach, once they ran (the messages and the page say it)
                || CASE WHEN v_state ? 'checks' THEN jsonb_build_object('min_pass_rate',
                                                        ecpipe.setting('ecpipe.min_pass_rate')::numeric)
                        ELSE '{}' END;
            v_state := v_state || jsonb_build_object('summary', v_summary);
        END IF;

        -- The step runner: times each step, shows it in ecpipe.current_runs, records it.
        v_before := v_state;
        v_attempt := 0;
        LOOP
            v_attempt := v_attempt + 1;
            v_done := '[]';
            BEGIN
                FOREACH v_name IN ARRAY v_unit LOOP
                    v_t := clock_timestamp();
                    PERFORM ecpipe.report_progress(format('%s %s', v_name, v_ds));
                    v_out := ecpipe.run_step(v_name, v_run, v_ds, v_state);
                    v_finished := clock_timestamp();
                    v_state := v_state || (v_out - '{status,rows,detail}'::text[]);
                    IF v_out ? 'status' THEN
                        PERFORM ecpipe.record_step(v_run, v_name, v_out->>'status', v_t, v_finished,
                                                   (v_out->>'rows')::bigint, v_out->>'detail');
                        v_done := v_done || jsonb_build_object('name', v_name, 'started', v_t, 'finished', v_finished,
                                                               'rows', v_out->'rows', 'detail', v_out->'detail');
                    END IF;
                END LOOP;
                EXIT;
            EXCEPTION WHEN OTHERS OR query_canceled THEN  -- plpgsql's OTHERS does not catch a cancel
                GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT, v_code = RETURNED_SQLSTATE;
                v_cancelled := v_cancelled OR v_code = '57014';
                v_state := v_before;
                -- a transient conflict: the subtransaction is gone, try again (and the retry's outcome is the step's)
                IF v_retried AND v_code IN ('40001', '40P01') AND v_attempt <= ecpipe.setting('ecpipe.max_retries')::int THEN
                    v_err := NULL;
                    CONTINUE;
                END IF;
                -- the steps of the unit that had finished went with the subtransaction: say so
                PERFORM ecpipe.record_step(v_run, d->>'name', 'rolled_back', (d->>'started')::timestamptz,
                                           (d->>'finished')::timestamptz, (d->>'rows')::bigint,
                                           format('%s (rolled back with the %s)', d->>'detail', v_name))
                FROM jsonb_array_elements(v_done) WITH ORDINALITY AS x(d, n) ORDER BY x.n;
                PERFORM ecpipe.record_step(v_run, v_name, 'failed', v_t, NULL, v_err);
                v_step := v_name;
                EXIT;
            END;
        END LOOP;
    END LOOP;

    v_summary := jsonb_set(v_summary, '{seconds}',
                           to_jsonb(round(extract(epoch FROM clock_timestamp() - v_start)::numeric, 3)));
    IF v_cancelled THEN
        v_summary := v_summary || jsonb_build_object('cancelled', true);
    END IF;
    PERFORM ecpipe.run_finish(v_run, v_status, v_days, v_state->'checks', v_summary);
    PERFORM pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
    RETURN v_summary;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_backfill(from_day date, to_day date) RETURNS SETOF jsonb
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    d       date;
    n       int := 0;
    total   int;
    summary jsonb;
    v_runs  bigint[] := '{}';  -- the days' runs, told in one digest at the end
BEGIN
    PERFORM ecpipe.check_day(from_day, 'ecpipe_backfill'), ecpipe.check_day(to_day, 'ecpipe_backfill');
    IF to_day < from_day THEN
        RAISE EXCEPTION 'ecpipe_backfill: % is before %', to_day, from_day USING ERRCODE = '22023';
    END IF;
    total := to_day - from_day + 1;
    d := from_day;
    WHILE d <= to_day LOOP  -- not a loop over a query: its open cursor would keep each load from writing frozen rows
        n := n + 1;
        summary := @extschema@.ecpipe_run(d);  -- a blocked or failed day is reported and the next one runs
        v_runs := v_runs || (summary->>'run_id')::bigint;
        RAISE NOTICE 'ecpipe_backfill: day % of % (%) %: % loaded, % quarantined in % s', n, total, d,
              summary->>'status', summary->>'loaded', summary->>'quarantined', summary->>'seconds';
        RETURN NEXT summary;
        -- A cancel or statement_timeout stops the backfill, not just that day's step (which records it as failed).
        IF (summary->>'cancelled')::boolean THEN
            RAISE WARNING 'ecpipe_backfill stopped at day % of % (%): the statement was cancelled', n, total, d;
            EXIT;
        END IF;
        d := d + 1;
    END LOOP;
    -- the days' messages, queued in this transaction and not sent yet, are replaced by one digest
    PERFORM ecpipe.queue_backfill_digest(v_runs, from_day, to_day);
END $$;

-- == landing: a client's \copy lands at COPY speed ==
-- The landing_import view inserted each line through a PL/pgSQL row trigger and a max(line_no) probe; it becomes a
-- part of ecpipe.landing whose column defaults give each line its batch and arrival number.
DROP VIEW ecpipe.landing_import;
DROP FUNCTION ecpipe.landing_import_line();

ALTER TABLE ecpipe.landing ALTER COLUMN batch_date
    SET DEFAULT coalesce(nullif(pg_catalog.current_setting('ecpipe.landing_date', true), '')::date,
                         ecpipe.landing_import_batch());

-- Declared STABLE although each call returns the next number: COPY inserts row by row when a column default is
-- volatile (in case it reads the table), and it reads nothing.
CREATE FUNCTION ecpipe.landing_import_next_line() RETURNS bigint
AS 'MODULE_PATHNAME', 'ecpipe_landing_import_next_line'
LANGUAGE C STABLE;
CREATE FUNCTION ecpipe.landing_import_restart() RETURNS void
AS 'MODULE_PATHNAME', 'ecpipe_landing_import_restart'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
-- When the current statement's first line came: a distributed landing_import's batch stamp (landed_at).
CREATE FUNCTION ecpipe.landing_import_started() RETURNS timestamptz
AS 'MODULE_PATHNAME', 'ecpipe_landing_import_started'
LANGUAGE C STABLE;
-- The batch a line lands in: ecpipe.landing_date, parsed once per value rather than once per line (NULL when unset).
CREATE FUNCTION ecpipe.landing_import_date() RETURNS date
AS 'MODULE_PATHNAME', 'ecpipe_landing_import_date'
LANGUAGE C STABLE;

CREATE TABLE ecpipe.landing_import (PRIMARY KEY (batch_date, line_no)) INHERITS (ecpipe.landing);
ALTER TABLE ecpipe.landing_import ALTER COLUMN line_no SET DEFAULT ecpipe.landing_import_next_line();
ALTER TABLE ecpipe.landing_import ALTER COLUMN batch_date
    SET DEFAULT coalesce(ecpipe.landing_import_date(), ecpipe.landing_import_batch());
COMMENT ON TABLE ecpipe.landing_import IS
    'COPY target (line) for client-side landing of the batch named by ecpipe.landing_date; its rows are part of ecpipe.landing';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.landing_import', '');

CREATE OR REPLACE FUNCTION ecpipe.landing_import_start() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF ecpipe.setting('ecpipe.landing_date') <> '' THEN
        -- the day's lock, as ecpipe_ingest and a run take it: a batch landed meanwhile by another path would mix in
        PERFORM ecpipe.lock_day(ecpipe.landing_import_batch(), NULL);
        DELETE FROM ecpipe.landing WHERE batch_date = ecpipe.landing_import_batch();
    END IF;
    PERFORM ecpipe.landing_import_restart();
    RETURN NULL;
END $$;
CREATE TRIGGER landing_import_start BEFORE INSERT ON ecpipe.landing_import
    FOR EACH STATEMENT EXECUTE FUNCTION ecpipe.landing_import_start();

-- Lines appended to a batch with `\copy ecpipe.landing (line)` and ecpipe.landing_date set take the day's lock first,
-- as a copy into landing_import and ecpipe_ingest do: another append numbering after the same last line, or a copy
-- replacing the batch meanwhile, would mix in. (Paths that give batch_date and line_no set no landing_date.)
CREATE FUNCTION ecpipe.landing_append_start() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF ecpipe.setting('ecpipe.landing_date') <> '' THEN
        PERFORM ecpipe.lock_day(ecpipe.landing_import_batch(), NULL);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER landing_append_start BEFORE INSERT ON ecpipe.landing
    FOR EACH STATEMENT EXECUTE FUNCTION ecpipe.landing_append_start();
REVOKE ALL ON FUNCTION ecpipe.landing_append_start() FROM PUBLIC;

REVOKE ALL ON FUNCTION ecpipe.landing_import_next_line(), ecpipe.landing_import_restart(),
    ecpipe.landing_import_date(), ecpipe.landing_import_started() FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON ecpipe.landing_import TO ecpipe_operator;
GRANT EXECUTE ON FUNCTION ecpipe.landing_import_next_line(), ecpipe.landing_import_restart(),
    ecpipe.landing_import_date(), ecpipe.landing_import_started() TO ecpipe_operator;

-- == notifications: in ecpipe.language, and one digest for a backfill instead of two messages per day ==
ALTER FUNCTION ecpipe.slack_message(text, jsonb) STABLE;
COMMENT ON FUNCTION ecpipe.slack_message(text, jsonb) IS
    'Block Kit payload of kind quality_report, success, blocked, failed or no_data for a run summary, in ecpipe.language';
CREATE FUNCTION ecpipe.slack_digest(summaries jsonb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_slack_digest'
LANGUAGE C STRICT STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.slack_digest(jsonb) IS
    'the one Block Kit message of a backfill, from its days'' run summaries (a JSON array, or {from, to, runs}), in ecpipe.language';
REVOKE ALL ON FUNCTION ecpipe.slack_digest(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.slack_digest(jsonb) TO ecpipe_operator;

-- A backfill tells its days in one digest. Its runs queue their messages as any run does; ecpipe_backfill (one
-- transaction) replaces them with the digest before anything is sent. ecpipe_backfill_days commits each day, so it
-- holds each day's messages first (not due: next_attempt_at infinity) and replaces them at the end; if its backend
-- is gone before that, ecpipe.fail_dead_runs releases them, and each day is told on its own after all. Only runs of
-- the calling backend are touched, and the digest is made from their recorded summaries: nobody can silence a run.
CREATE FUNCTION ecpipe.hold_run_messages(run bigint) RETURNS int
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH held AS (
        UPDATE ecpipe.notifications n SET next_attempt_at = 'infinity',
               last_error = 'held for the digest of the backfill in backend ' || pg_backend_pid()
         WHERE n.run_id = run AND n.status = 'queued' AND n.attempts = 0
           AND EXISTS (SELECT FROM ecpipe.runs r WHERE r.run_id = run AND r.pid = pg_backend_pid()
                         AND r.started_at >= (SELECT a.backend_start FROM pg_catalog.pg_stat_activity a
                                               WHERE a.pid = pg_backend_pid()))
        RETURNING 1)
    SELECT count(*)::int FROM held
$$;
COMMENT ON FUNCTION ecpipe.hold_run_messages(bigint) IS
    'holds the queued messages of a run of this backend for its backfill''s digest (released if the backend dies first)';

CREATE FUNCTION ecpipe.queue_backfill_digest(runs bigint[], from_day date, to_day date) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_mine bigint[];
    v_id   bigint;
BEGIN
    SELECT array_agg(r.run_id ORDER BY r.ds, r.run_id) INTO v_mine FROM ecpipe.runs r
     WHERE r.run_id = ANY (runs) AND r.pid = pg_backend_pid() AND r.status <> 'running'
       AND r.started_at >= (SELECT a.backend_start FROM pg_catalog.pg_stat_activity a WHERE a.pid = pg_backend_pid());
    IF v_mine IS NULL THEN  -- no run of this backend among them: nothing to replace, nothing to tell
        RETURN NULL;
    END IF;
    DELETE FROM ecpipe.notifications n WHERE n.run_id = ANY (v_mine) AND n.status = 'queued' AND n.attempts = 0;
    INSERT INTO ecpipe.notifications (run_id, kind, payload, last_error)
    VALUES (NULL, 'backfill',
            ecpipe.slack_payload(ecpipe.slack_digest(jsonb_build_object(
                'from', from_day, 'to', to_day,
                'runs', coalesce((SELECT jsonb_agg(r.summary ORDER BY r.ds, r.run_id) FROM ecpipe.runs r
                                  WHERE r.run_id = ANY (v_mine)), '[]'::jsonb)))),
            ecpipe.delivery_note())
    RETURNING id INTO v_id;
    RETURN v_id;
END $$;
COMMENT ON FUNCTION ecpipe.queue_backfill_digest(bigint[], date, date) IS
    'replaces the undelivered messages of these runs of this backend with one digest of them (a backfill''s); returns its id, or NULL (nothing queued) when none of them is this backend''s';
REVOKE ALL ON FUNCTION ecpipe.hold_run_messages(bigint), ecpipe.queue_backfill_digest(bigint[], date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.hold_run_messages(bigint), ecpipe.queue_backfill_digest(bigint[], date, date)
    TO ecpipe_operator;

-- == report: a grid of days by run and check (the latest run of a day decides), why a day was blocked or failed with
-- sample lines, header facts (zone, generated at, database), in ecpipe.language ==
CREATE OR REPLACE FUNCTION @extschema@.ecpipe_report_html(from_day date, to_day date) RETURNS text
LANGUAGE plpgsql STABLE STRICT SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    may_see_lines boolean := has_table_privilege('ecpipe.quarantine', 'SELECT');
    v_quarantine  jsonb;
    v_reason      record;
    v_example     text;
BEGIN
    PERFORM ecpipe.refuse_on_worker('ecpipe_report_html');
    IF to_day < from_day OR to_day - from_day > 366 THEN
        RAISE EXCEPTION 'ecpipe_report_html: the range % to % must run forward and span at most 367 days',
              from_day, to_day USING ERRCODE = '22023';
    END IF;
    -- quarantine reasons with their counts, and for roles that may read the lines the first line's detail of each
    -- (one query per reason, a handful: no correlated subquery, which a distributed quarantine could not run)
    FOR v_reason IN SELECT x.reason, sum(x.lines) AS lines FROM ecpipe.quarantine_summary x
                    WHERE x.batch_date BETWEEN from_day AND to_day GROUP BY x.reason ORDER BY 2 DESC, 1 LOOP
        v_example := NULL;
        IF may_see_lines THEN
            SELECT left(q.detail, 300) INTO v_example FROM ecpipe.quarantine q
            WHERE q.batch_date BETWEEN from_day AND to_day AND v_reason.reason = ANY (q.reasons)
            ORDER BY q.batch_date, q.line_no LIMIT 1;
        END IF;
        v_quarantine := coalesce(v_quarantine, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
            'reason', v_reason.reason, 'lines', v_reason.lines, 'example', v_example));
    END LOOP;
    RETURN ecpipe.render_report(jsonb_build_object(
        'from', from_day, 'to', to_day, 'min_pass_rate', ecpipe.setting('ecpipe.min_pass_rate')::numeric,
        'language', ecpipe.setting('ecpipe.language'), 'timezone', ecpipe.setting('ecpipe.timezone'),
        'database', current_database(),
        'generated_at', to_char(now() AT TIME ZONE ecpipe.setting('ecpipe.timezone'), 'YYYY-MM-DD HH24:MI:SS'),
        -- per day: its latest run decides (status, step, error, its checks with their samples); earlier runs listed
        'days', (SELECT jsonb_agg(jsonb_build_object(
                            'day', d.day, 'status', lr.status, 'run_id', lr.run_id, 'failed_step', lr.failed_step,
                            'error', left(lr.error, 300),
                            -- the bar that run's checks had to reach (the setting may have changed since)
                            'min_pass_rate', lr.min_pass_rate,
                            'earlier', (SELECT jsonb_agg(jsonb_build_object('run_id', r.run_id, 'status', r.status)
                                                         ORDER BY r.run_id)
                                        FROM ecpipe.runs r WHERE r.ds = d.day AND r.run_id < lr.run_id),
                            'checks', (SELECT jsonb_agg(jsonb_build_object(
                                                  'check_no', q.check_no, 'check_name', q.check_name,
                                                  'population', q.population, 'failed', q.failed,
                                                  'pass_rate', q.pass_rate, 'status', q.status,
                                                  'samples', (SELECT jsonb_agg(s) FROM (SELECT s FROM
                                                      jsonb_array_elements(CASE jsonb_typeof(q.samples) WHEN 'array'
                                                          THEN q.samples ELSE '[]' END) WITH ORDINALITY AS x(s, n)
                                                      ORDER BY x.n LIMIT 5) t))
                                              ORDER BY q.check_no)
                                       FROM ecpipe.quality_log q WHERE q.run_id = lr.run_id)) ORDER BY d.day)
                 FROM (SELECT g::date AS day FROM generate_series(from_day, to_day, interval '1 day') g) d
                 LEFT JOIN LATERAL (SELECT r.run_id, r.status, r.failed_step, r.error,
                                           r.summary->'min_pass_rate' AS min_pass_rate
                                    FROM ecpipe.runs r WHERE r.ds = d.day ORDER BY r.run_id DESC LIMIT 1) lr ON true),
        'funnel', (SELECT jsonb_agg(jsonb_build_object('platform', f.platform, 'step1', f.s1, 'step2', f.s2,
                                                       'step3', f.s3, 'step4', f.s4) ORDER BY f.platform)
                   FROM (SELECT m.platform, sum(m.step1_viewers) AS s1, sum(m.step2_clickers) AS s2,
                                sum(m.step3_cart_adders) AS s3, sum(m.step4_purchasers) AS s4
                         FROM ecpipe.mart_funnel_daily m WHERE m.funnel_date BETWEEN from_day AND to_day
                         GROUP BY m.platform) f),
        'orders', (SELECT jsonb_agg(jsonb_build_object('day', d.day, 'orders', coalesce(o.n, 0),
                                                       'revenue', coalesce(o.revenue, 0)) ORDER BY d.day)
                   FROM (SELECT g::date AS day FROM generate_series(from_day, to_day, interval '1 day') g) d
                   LEFT JOIN (SELECT m.order_date, count(*) AS n, sum(m.total_amount) AS revenue
                              FROM ecpipe.mart_orders m WHERE m.order_date BETWEEN from_day AND to_day
                              GROUP BY m.order_date) o ON o.order_date = d.day),
        'quality', (SELECT jsonb_agg(jsonb_build_object('day', t.batch_date, 'check_no', t.check_no,
                                                        'check_name', t.check_name, 'pass_rate', t.pass_rate)
                                     ORDER BY t.batch_date, t.check_no)
                    FROM ecpipe.quality_trend t
                    WHERE t.batch_date BETWEEN from_day AND to_day AND t.status <> 'no_data'),
        'products', (SELECT jsonb_agg(jsonb_build_object('product_id', p.product_id, 'units', p.units,
                                                         'revenue', p.revenue) ORDER BY p.revenue DESC, p.product_id)
                     FROM (SELECT m.product_id, sum(m.units_sold) AS units, sum(m.revenue) AS revenue
                           FROM ecpipe.mart_product_daily m WHERE m.activity_date BETWEEN from_day AND to_day
                           GROUP BY m.product_id ORDER BY revenue DESC, m.product_id LIMIT 10) p),
        'runs', (SELECT jsonb_agg(jsonb_build_object('run_id', r.run_id, 'ds', r.ds, 'status', r.status,
                                                     'started_at', to_char(r.started_at, 'YYYY-MM-DD HH24:MI:SS'),
                                                     'seconds', r.seconds, 'failed_step', r.failed_step)
                                  ORDER BY r.run_id DESC)
                 FROM (SELECT * FROM ecpipe.runs r WHERE r.ds BETWEEN from_day AND to_day
                       ORDER BY r.run_id DESC LIMIT 50) r),
        'quarantine', v_quarantine));
END $$;
COMMENT ON FUNCTION @extschema@.ecpipe_report_html(date, date) IS
    'a self-contained HTML dashboard of from_day..to_day in ecpipe.language: a grid of days by run and check, why days were blocked or failed, funnel, orders, check pass rates, top products, runs, quarantine';

-- == scale-out: ecpipe_distribute places the tables on Citus workers; ecpipe_cluster_status shows where they are ==
-- The Citus distribution value of a landed line: its user_id, else its session_id, else its line number.
CREATE FUNCTION ecpipe.route_key(line text, line_no bigint) RETURNS text
AS 'MODULE_PATHNAME', 'ecpipe_route_key'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION ecpipe.route_key(text, bigint) IS
    'where a landed line is placed on Citus: its user_id, else its session_id (non-empty strings of at most 64 bytes), else its line number';

-- Whether this database's ecpipe tables are distributed by Citus (false without Citus).
CREATE FUNCTION ecpipe.distributed() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_distributed boolean := false;
BEGIN
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1)'
            INTO v_distributed USING 'ecpipe.landing'::pg_catalog.regclass;
    END IF;
    RETURN v_distributed;
END $$;
COMMENT ON FUNCTION ecpipe.distributed() IS 'whether ecpipe_distribute has distributed this database''s ecpipe tables';

-- On a worker of a distributed ecpipe the tables are shells, and its run record and outbox belong to nobody: the
-- pipeline, its page and its record are the coordinator's.
CREATE FUNCTION ecpipe.refuse_on_worker(what text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF ecpipe.distributed() AND NOT ecpipe.on_coordinator() THEN
        RAISE EXCEPTION '%: this is a worker of a distributed ecpipe; run it on the coordinator', what
              USING ERRCODE = '0A000';
    END IF;
END $$;

-- Whether this node is the coordinator of its Citus cluster (true without Citus: a single node is its own).
CREATE FUNCTION ecpipe.on_coordinator() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_coordinator boolean := true;
BEGIN
    IF pg_catalog.to_regproc('pg_catalog.citus_is_coordinator') IS NOT NULL THEN
        EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO v_coordinator;
    END IF;
    RETURN v_coordinator;
END $$;

-- The shape ecpipe's tables take on every node before Citus distributes them (ecpipe_distribute runs it on each
-- worker, then on the coordinator): a route key on the lines, and every key that must be unique holding the
-- distribution column. Does nothing to what is already shaped, so a distribution that failed half-way can run again.
CREATE FUNCTION ecpipe.distribution_shape() RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_part regclass;
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'ecpipe.landing'::pg_catalog.regclass
               AND a.attname = 'route_key' AND NOT a.attisdropped) THEN
        RETURN;
    END IF;
    -- Landing: each line takes its route key, and a key that must be unique takes the distribution column. A client's
    -- \copy lands in ecpipe.landing_import through any node, apart from landing (Citus distributes no inheritance
    -- tree, and its COPY fires no trigger): numbered where it is copied, a batch per statement (landed_at: when its
    -- first line came); a run takes the day's latest to landing.
    ALTER TABLE ecpipe.landing_import NO INHERIT ecpipe.landing;
    DROP TRIGGER landing_import_start ON ecpipe.landing_import;
    ALTER TABLE ecpipe.landing_import ALTER COLUMN landed_at SET DEFAULT ecpipe.landing_import_started(),
        DROP CONSTRAINT landing_import_pkey, ADD PRIMARY KEY (batch_date, landed_at, line_no);
    DROP TRIGGER landing_number_line ON ecpipe.landing;  -- it numbers a line after max(line_no): one shard's only
    DROP TRIGGER landing_append_start ON ecpipe.landing;  -- run_locks is the coordinator's; no trigger fires there
    ALTER TABLE ecpipe.landing ADD COLUMN route_key text;
    UPDATE ecpipe.landing l SET route_key = ecpipe.route_key(l.line, l.line_no);
    ALTER TABLE ecpipe.landing ALTER COLUMN route_key SET NOT NULL,
        DROP CONSTRAINT landing_pkey, ADD PRIMARY KEY (batch_date, line_no, route_key);
    ALTER TABLE ecpipe.line_verdicts DROP CONSTRAINT line_verdicts_run_id_fkey, ADD COLUMN route_key text;
    UPDATE ecpipe.line_verdicts v SET route_key = coalesce(
        (SELECT l.route_key FROM ecpipe.landing l WHERE l.batch_date = v.batch_date AND l.line_no = v.line_no),
        v.line_no::text);
    ALTER TABLE ecpipe.line_verdicts ALTER COLUMN route_key SET NOT NULL,
        DROP CONSTRAINT line_verdicts_pkey, ADD PRIMARY KEY (run_id, line_no, route_key);
    ALTER TABLE ecpipe.quarantine ADD COLUMN route_key text;
    UPDATE ecpipe.quarantine q SET route_key = ecpipe.route_key(q.line, q.line_no);
    ALTER TABLE ecpipe.quarantine ALTER COLUMN route_key SET NOT NULL,
        DROP CONSTRAINT quarantine_pkey, ADD PRIMARY KEY (batch_date, line_no, route_key);
    -- raw and the orders mart: by user_id, so their keys take it
    FOR v_part IN SELECT i.inhrelid::regclass FROM pg_catalog.pg_inherits i
                  WHERE i.inhparent = 'ecpipe.raw_events'::pg_catalog.regclass LOOP
        IF EXISTS (SELECT FROM pg_catalog.pg_constraint c WHERE c.conrelid = v_part AND c.contype = 'p') THEN
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD PRIMARY KEY (batch_date, line_no, user_id)', v_part,
                           (SELECT c.conname FROM pg_catalog.pg_constraint c WHERE c.conrelid = v_part AND c.contype = 'p'));
        END IF;
    END LOOP;
    ALTER TABLE ecpipe.mart_orders DROP CONSTRAINT mart_orders_pkey, ADD PRIMARY KEY (order_date, order_id, user_id);
END $$;
COMMENT ON FUNCTION ecpipe.distribution_shape() IS
    'ecpipe_distribute''s first step on every node: route keys on landing, line verdicts and quarantine, and the distribution column in every unique key';

-- One anchor row per shard of ecpipe.shard_anchors (co-located with the lines): made for shards without one (a new
-- distribution, a split), and a second one in a shard (a merge) removed, so that each shard is validated once.
CREATE FUNCTION ecpipe.fill_shard_anchors() RETURNS int
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_all     bigint[];
    v_have    bigint[] := '{}';
    v_anchor  record;
    v_shard   bigint;
    v_added   int := 0;
    i         int := 0;
BEGIN
    SELECT array_agg(s.shardid) INTO v_all
    FROM pg_catalog.pg_dist_shard s WHERE s.logicalrelid = 'ecpipe.shard_anchors'::pg_catalog.regclass;
    FOR v_anchor IN SELECT a.route_key FROM ecpipe.shard_anchors a ORDER BY a.route_key LOOP
        v_shard := pg_catalog.get_shard_id_for_distribution_column('ecpipe.shard_anchors', v_anchor.route_key);
        IF v_shard = ANY (v_have) THEN
            DELETE FROM ecpipe.shard_anchors a WHERE a.route_key = v_anchor.route_key;
        ELSE
            v_have := v_have || v_shard;
        END IF;
    END LOOP;
    WHILE cardinality(v_have) < cardinality(v_all) AND i < 10000000 LOOP
        v_shard := pg_catalog.get_shard_id_for_distribution_column('ecpipe.shard_anchors', 'anchor ' || i);
        IF NOT v_shard = ANY (v_have) THEN
            INSERT INTO ecpipe.shard_anchors (route_key) VALUES ('anchor ' || i);
            v_have := v_have || v_shard;
            v_added := v_added + 1;
        END IF;
        i := i + 1;
    END LOOP;
    RETURN v_added;
END $$;
COMMENT ON FUNCTION ecpipe.fill_shard_anchors() IS
    'one anchor row per shard of ecpipe.shard_anchors, through which a distributed validation reaches each shard once';

-- The keys a line is compared by across lines ('e' event_id, 's' session_id, 'o' a purchase's order_id with its
-- event_id), read exactly as the validator reads them; run on the workers.
CREATE FUNCTION ecpipe.line_keys(line text, max_line_bytes bigint)
RETURNS TABLE (kind text, key text, event_id text)
AS 'MODULE_PATHNAME', 'ecpipe_line_keys'
LANGUAGE C STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION ecpipe.validate_shard(anchor text, ds date, run bigint, settings text, spanning text) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_validate_shard'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION ecpipe.validate_shard(text, date, bigint, text, text) IS
    'on the worker holding the anchor''s shard: the seven checks over that shard''s lines of batch ds (what spans shards as the coordinator settled it), its failing lines'' verdicts written next to them; returns its counts and samples';

CREATE FUNCTION @extschema@.ecpipe_distribute(shard_count int DEFAULT 32) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_version  text := (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'ecpipe');
    v_workers  text[];
    v_wrong    text;
BEGIN
    IF shard_count IS NULL OR shard_count NOT BETWEEN 1 AND 1024 THEN
        RAISE EXCEPTION 'ecpipe_distribute: shard_count must be between 1 and 1024, not %', shard_count
              USING ERRCODE = '22023';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname = 'citus') THEN
        RAISE EXCEPTION 'ecpipe_distribute: Citus is not installed in database %', current_database()
              USING ERRCODE = '0A000',
                    HINT = 'Install Citus''s packages on every node, put citus first in shared_preload_libraries, '
                           'CREATE EXTENSION citus, add the workers with citus_add_node (docs/SCALING.md).';
    END IF;
    IF NOT pg_catalog.citus_is_coordinator() THEN
        RAISE EXCEPTION 'ecpipe_distribute: this node is not the Citus coordinator' USING ERRCODE = '0A000',
              HINT = 'Call it on the coordinator (SELECT citus_set_coordinator_host(...) there first).';
    END IF;
    IF ecpipe.distributed() THEN
        RAISE EXCEPTION 'ecpipe_distribute: ecpipe is already distributed in database %', current_database()
              USING ERRCODE = '55000', HINT = 'SELECT * FROM ecpipe_cluster_status() shows its nodes and shards.';
    END IF;
    SELECT array_agg(format('%s:%s', n.nodename, n.nodeport) ORDER BY n.nodename, n.nodeport) INTO v_workers
    FROM pg_catalog.pg_dist_node n WHERE n.groupid <> 0 AND n.noderole = 'primary' AND n.isactive;
    IF v_workers IS NULL THEN
        RAISE EXCEPTION 'ecpipe_distribute: the cluster has no worker node' USING ERRCODE = '55000',
              HINT = 'Add each worker with SELECT citus_add_node(host, port) first.';
    END IF;
    -- every worker runs the checks and writes rows with its own ecpipe: the same version as here
    SELECT string_agg(format('%s:%s %s', w.nodename, w.nodeport,
                             CASE WHEN NOT w.success THEN 'did not answer (' || left(w.result, 200) || ')'
                                  WHEN w.result = '' THEN 'has no ecpipe'
                                  ELSE 'has ecpipe ' || left(w.result, 40) END), ', ' ORDER BY w.nodename, w.nodeport)
      INTO v_wrong
      FROM pg_catalog.run_command_on_workers(
               $q$SELECT coalesce((SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'ecpipe'), '')$q$) w
     WHERE NOT w.success OR w.result IS DISTINCT FROM v_version;
    IF v_wrong IS NOT NULL THEN
        RAISE EXCEPTION 'ecpipe_distribute: every worker needs ecpipe % in database %: %', v_version, current_database(),
              v_wrong USING ERRCODE = '55000',
              HINT = 'CREATE EXTENSION ecpipe on the coordinator once citus is created creates it on every worker '
                     '(and citus_add_node on each new one); an ecpipe created before citus: on each worker, '
                     'SET citus.enable_ddl_propagation = off; CREATE EXTENSION ecpipe (docs/SCALING.md).';
    END IF;
    -- no run may be half-way while its tables move
    PERFORM ecpipe.fail_dead_runs();
    LOCK TABLE ecpipe.run_locks, ecpipe.landing, ecpipe.landing_import, ecpipe.raw_events, ecpipe.quarantine,
               ecpipe.line_verdicts IN ACCESS EXCLUSIVE MODE;
    IF EXISTS (SELECT FROM ecpipe.runs r WHERE r.status = 'running') THEN
        RAISE EXCEPTION 'ecpipe_distribute: a run is in progress' USING ERRCODE = '55006',
              HINT = 'Wait for it (ecpipe.current_runs), then call ecpipe_distribute again.';
    END IF;

    -- every node's tables take the shape first: Citus makes the shards of an extension's tables from them
    PERFORM pg_catalog.run_command_on_workers('SELECT ecpipe.distribution_shape()');
    PERFORM ecpipe.distribution_shape();

    -- One co-location group: a user's lines, verdicts, quarantined lines, events and user and order marts share a
    -- shard; the small per-day marts are copied to every node; the run's bookkeeping stays here.
    PERFORM pg_catalog.create_distributed_table('ecpipe.landing', 'route_key', colocate_with => 'none',
                                                shard_count => shard_count);
    -- a client's lines, spread by their number until a run takes them to landing
    PERFORM pg_catalog.create_distributed_table('ecpipe.landing_import', 'line_no', colocate_with => 'none',
                                                shard_count => shard_count);
    PERFORM pg_catalog.create_distributed_table('ecpipe.line_verdicts', 'route_key', colocate_with => 'ecpipe.landing');
    PERFORM pg_catalog.create_distributed_table('ecpipe.quarantine', 'route_key', colocate_with => 'ecpipe.landing');
    PERFORM pg_catalog.create_distributed_table('ecpipe.raw_events', 'user_id', colocate_with => 'ecpipe.landing');
    PERFORM pg_catalog.create_distributed_table('ecpipe.mart_user_daily', 'user_id', colocate_with => 'ecpipe.landing');
    PERFORM pg_catalog.create_distributed_table('ecpipe.mart_orders', 'user_id', colocate_with => 'ecpipe.landing');
    PERFORM pg_catalog.create_reference_table('ecpipe.mart_funnel_daily');
    PERFORM pg_catalog.create_reference_table('ecpipe.mart_product_daily');
    -- for the checks, shard by shard: the lines' keys, repartitioned between the workers by key (what spans shards
    -- is found where the keys meet), and one anchor row per shard of the lines' group, through which Citus runs the
    -- validator once per shard, next to its lines
    CREATE TABLE ecpipe.batch_keys (batch_date date NOT NULL, kind text NOT NULL, key text NOT NULL,
                                    line_no bigint NOT NULL, route_key text NOT NULL, event_id text);
    PERFORM pg_catalog.create_distributed_table('ecpipe.batch_keys', 'key', colocate_with => 'none',
                                                shard_count => shard_count);
    CREATE TABLE ecpipe.shard_anchors (route_key text PRIMARY KEY, run_id bigint);
    PERFORM pg_catalog.create_distributed_table('ecpipe.shard_anchors', 'route_key', colocate_with => 'ecpipe.landing');
    PERFORM ecpipe.fill_shard_anchors();
    -- the rows now live in the shards: the coordinator's own copies go
    PERFORM pg_catalog.truncate_local_data_after_distributing_table(p.logicalrelid)
    FROM pg_catalog.pg_dist_partition p JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid
    WHERE c.relnamespace = 'ecpipe'::pg_catalog.regnamespace AND c.relkind = 'r';
    RETURN jsonb_build_object(
        'shard_count', shard_count, 'workers', to_jsonb(v_workers),
        'distributed', jsonb_build_object('landing', 'route_key', 'landing_import', 'line_no',
                                          'line_verdicts', 'route_key', 'quarantine', 'route_key',
                                          'raw_events', 'user_id', 'mart_user_daily', 'user_id', 'mart_orders', 'user_id'),
        'reference', jsonb_build_array('mart_funnel_daily', 'mart_product_daily'),
        'validation', jsonb_build_object('batch_keys', 'key', 'shard_anchors', 'route_key'),
        'local', jsonb_build_array('validations', 'quality_log', 'runs', 'run_steps', 'run_locks', 'mart_locks',
                                   'batch_days', 'notifications'));
END $$;
COMMENT ON FUNCTION @extschema@.ecpipe_distribute(int) IS
    'on a Citus coordinator: distributes ecpipe''s tables over the workers (shard_count shards, co-located by user); refuses without Citus, without workers, when a worker lacks this ecpipe version, or when already distributed';

-- Per node: its role, the shards of ecpipe's distributed tables it holds, and the rows of batch ds (default: the
-- latest run's) it holds in landing, raw and quarantine.
CREATE FUNCTION @extschema@.ecpipe_cluster_status(ds date DEFAULT NULL)
RETURNS TABLE (node text, port int, role text, active boolean, shard_groups bigint, shards bigint, batch_date date,
               landing_lines bigint, raw_rows bigint, quarantined bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT ecpipe.distributed() THEN
        RAISE EXCEPTION 'ecpipe_cluster_status: ecpipe is not distributed in database %', current_database()
              USING ERRCODE = '55000', HINT = 'SELECT ecpipe_distribute() on a Citus coordinator distributes it.';
    END IF;
    PERFORM ecpipe.refuse_on_worker('ecpipe_cluster_status');  -- a worker's run record is empty
    batch_date := coalesce(ds, (SELECT r.ds FROM ecpipe.runs r ORDER BY r.run_id DESC LIMIT 1));
    RETURN QUERY EXECUTE $q$
        WITH placed AS (
            SELECT s.logicalrelid AS tbl, s.shardid, p.groupid
            FROM pg_catalog.pg_dist_shard s JOIN pg_catalog.pg_dist_placement p USING (shardid)
            WHERE s.logicalrelid IN ('ecpipe.landing'::regclass, 'ecpipe.line_verdicts'::regclass,
                                     'ecpipe.quarantine'::regclass, 'ecpipe.raw_events'::regclass,
                                     'ecpipe.mart_user_daily'::regclass, 'ecpipe.mart_orders'::regclass)),
        batch_rows AS (  -- counted on each shard (committed rows, as any other session sees them)
            SELECT 'ecpipe.landing'::regclass AS tbl, c.shardid, c.result::bigint AS n
            FROM pg_catalog.run_command_on_shards('ecpipe.landing',
                     format('SELECT count(*) FROM %%s WHERE batch_date = %L', $1)) c WHERE c.success
            UNION ALL
            SELECT 'ecpipe.raw_events'::regclass, c.shardid, c.result::bigint
            FROM pg_catalog.run_command_on_shards('ecpipe.raw_events',
                     format('SELECT count(*) FROM %%s WHERE batch_date = %L', $1)) c WHERE c.success
            UNION ALL
            SELECT 'ecpipe.quarantine'::regclass, c.shardid, c.result::bigint
            FROM pg_catalog.run_command_on_shards('ecpipe.quarantine',
                     format('SELECT count(*) FROM %%s WHERE batch_date = %L', $1)) c WHERE c.success)
        SELECT n.nodename::text, n.nodeport, CASE WHEN n.groupid = 0 THEN 'coordinator' ELSE 'worker' END, n.isactive,
               (SELECT count(*) FROM placed x WHERE x.groupid = n.groupid AND x.tbl = 'ecpipe.landing'::regclass),
               (SELECT count(*) FROM placed x WHERE x.groupid = n.groupid),
               $1,
               coalesce((SELECT sum(b.n) FROM batch_rows b JOIN placed x USING (tbl, shardid)
                         WHERE x.groupid = n.groupid AND b.tbl = 'ecpipe.landing'::regclass), 0)::bigint,
               coalesce((SELECT sum(b.n) FROM batch_rows b JOIN placed x USING (tbl, shardid)
                         WHERE x.groupid = n.groupid AND b.tbl = 'ecpipe.raw_events'::regclass), 0)::bigint,
               coalesce((SELECT sum(b.n) FROM batch_rows b JOIN placed x USING (tbl, shardid)
                         WHERE x.groupid = n.groupid AND b.tbl = 'ecpipe.quarantine'::regclass), 0)::bigint
        FROM pg_catalog.pg_dist_node n WHERE n.noderole = 'primary'
        ORDER BY n.groupid, n.nodename, n.nodeport $q$ USING batch_date;
END $$;
COMMENT ON FUNCTION @extschema@.ecpipe_cluster_status(date) IS
    'on a distributed ecpipe: each node, its shards of ecpipe''s tables, and its rows of batch ds (default: the latest run''s) in landing, raw and quarantine';

-- The distributed data path: the validation reads the landed lines through Citus (the checks themselves run on the
-- coordinator in this version); the load and the marts are SQL that Citus runs on the workers, shard by shard in
-- one distributed transaction (two-phase commit): raw and quarantine rows written next to their lines, the user
-- and order marts next to the raw rows, the funnel and product marts as distributed aggregates.

-- A batch's lines as one number, computed on the workers (a sum of per-line hashes, so order does not matter): the
-- load refuses a batch whose number changed since its validation.
-- (PL/pgSQL: Citus plans no SQL function whose query takes a parameter.)
CREATE FUNCTION ecpipe.landing_fingerprint(ds date) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT (coalesce(sum(hashtextextended(coalesce(l.line, encode(l.line_bytes, 'base64')), l.line_no)::numeric),
                             0) % 9223372036854775807)::bigint
            FROM ecpipe.landing l WHERE l.batch_date = ds);
END $$;

-- A landed line as a row of ecpipe.raw_events (NULL for a blank line), converted as the single-node load converts it.
-- A landed line's event day from its timestamp alone (NULL without a valid one): the distributed load's first pass,
-- which makes the partitions its rows need, on the workers next to the lines. Reads no name: no SET clause, which
-- would cost more than its work.
CREATE FUNCTION ecpipe.line_event_day(line text, zone text) RETURNS date
AS 'MODULE_PATHNAME', 'ecpipe_line_event_day'
LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE FUNCTION ecpipe.raw_row(line text, line_no bigint, batch date, run bigint, failed_checks smallint, zone text)
RETURNS ecpipe.raw_events
AS 'MODULE_PATHNAME', 'ecpipe_raw_row'
LANGUAGE C STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;

-- The raw_events partitions of the given event days, made when missing: the distributed load (which runs as the
-- extension's owner; no role is granted this) passes the days of its validated batch's raw lines. Each day must be
-- one a load may hold (ecpipe.raw_partition refuses others), and at most ecpipe.max_new_partitions are new.
CREATE FUNCTION ecpipe.make_raw_partitions(days date[]) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_day   date;
    v_part  record;
BEGIN
    IF (SELECT count(*) FROM unnest(coalesce(days, '{}')) d
        WHERE pg_catalog.to_regclass('ecpipe.' || ecpipe.raw_partition_name(d)) IS NULL)
       > ecpipe.setting('ecpipe.max_new_partitions')::int THEN
        RAISE EXCEPTION 'ecpipe_load: events on more than % days without a raw_events partition (ecpipe.max_new_partitions): check the batch''s timestamps, or raise the setting for this load',
              ecpipe.setting('ecpipe.max_new_partitions') USING ERRCODE = '54000';
    END IF;
    FOREACH v_day IN ARRAY coalesce(days, '{}') LOOP
        SELECT p.part, p.created INTO v_part FROM ecpipe.raw_partition(v_day) p;
        IF v_part.created THEN
            PERFORM ecpipe.index_raw_partition(v_part.part);
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION ecpipe.make_raw_partitions(date[]) IS
    'on a distributed ecpipe: the raw_events partitions of these event days, made when missing (as the extension''s owner)';

CREATE FUNCTION ecpipe.load_distributed(ds date, run bigint, build_marts boolean) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    v_val      record;
    v_old      date[];
    v_days     date[];
    v_day      date;
    v_loaded   bigint;
    v_quar     bigint;
    v_counts   record;
BEGIN
    SELECT v.run_id, v.status, v.fingerprint, coalesce(v.settings->>'timezone', 'UTC') AS zone INTO v_val
    FROM ecpipe.validations v WHERE v.batch_date = ds ORDER BY v.run_id = run DESC, v.run_id DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'batch % has not been validated: run ecpipe_validate first', ds USING ERRCODE = '55000';
    END IF;
    IF v_val.status <> 'passed' THEN
        RETURN jsonb_build_object('run_id', run, 'batch_date', ds, 'status', v_val.status, 'loaded', 0,
                                  'quarantined', 0, 'users', 0, 'sessions', 0, 'orders', 0, 'revenue', 0,
                                  'days_rebuilt', '[]'::jsonb);
    END IF;
    PERFORM ecpipe.lock_day(ds, run);
    -- the lines must be those validated, now and once written (a change in between fails the load: nothing stays);
    -- lines a client copied since (landing_import, taken to landing by the next validation) replace them
    IF ecpipe.landing_fingerprint(ds) <> v_val.fingerprint
       OR (SELECT count(*) FROM (SELECT 1 FROM ecpipe.landing_import i WHERE i.batch_date = ds LIMIT 1) i) > 0 THEN
        RAISE EXCEPTION 'batch % changed after its validation (run %): its lines differ; validate it again',
              ds, v_val.run_id USING ERRCODE = '55000';
    END IF;

    -- the batch's earlier rows go, from the days it had rows in
    SELECT array_agg(b.event_day ORDER BY b.event_day) INTO v_old FROM ecpipe.batch_days b WHERE b.batch_date = ds;
    IF v_old IS NOT NULL THEN
        DELETE FROM ecpipe.raw_events r WHERE r.batch_date = ds AND r.event_day = ANY (v_old);
    END IF;
    DELETE FROM ecpipe.quarantine q WHERE q.batch_date = ds;

    -- the event days of the lines that go to raw (read from their timestamps on the workers), each with its partition
    SELECT array_agg(DISTINCT x.event_day ORDER BY x.event_day) INTO v_days
    FROM (SELECT ecpipe.line_event_day(l.line, v_val.zone) AS event_day
          FROM ecpipe.landing l
               LEFT JOIN ecpipe.line_verdicts v
                      ON v.route_key = l.route_key AND v.line_no = l.line_no AND v.run_id = v_val.run_id
          WHERE l.batch_date = ds AND (v.disposition IS NULL OR v.disposition = 'raw')) x
    WHERE x.event_day IS NOT NULL;
    PERFORM ecpipe.make_raw_partitions(v_days);

    INSERT INTO ecpipe.quarantine (batch_date, line_no, line, line_bytes, reasons, detail, run_id, route_key)
    SELECT l.batch_date, l.line_no, l.line, l.line_bytes, v.reasons, v.detail, run, l.route_key
    FROM ecpipe.landing l JOIN ecpipe.line_verdicts v ON v.route_key = l.route_key AND v.line_no = l.line_no
    WHERE l.batch_date = ds AND v.run_id = v_val.run_id AND v.disposition = 'quarantine';
    GET DIAGNOSTICS v_quar = ROW_COUNT;

    INSERT INTO ecpipe.raw_events
    SELECT x.*
    FROM ecpipe.landing l
         LEFT JOIN ecpipe.line_verdicts v ON v.route_key = l.route_key AND v.line_no = l.line_no AND v.run_id = v_val.run_id,
         LATERAL ecpipe.raw_row(l.line, l.line_no, ds, run, coalesce(v.failed_checks, 0::smallint), v_val.zone) x
    WHERE l.batch_date = ds AND (v.disposition IS NULL OR v.disposition = 'raw') AND x.line_no IS NOT NULL;
    GET DIAGNOSTICS v_loaded = ROW_COUNT;

    IF ecpipe.landing_fingerprint(ds) <> v_val.fingerprint THEN
        RAISE EXCEPTION 'batch % changed while it was loaded (run %): validate it again', ds, v_val.run_id
              USING ERRCODE = '55000';
    END IF;

    DELETE FROM ecpipe.batch_days b WHERE b.batch_date = ds;
    INSERT INTO ecpipe.batch_days (batch_date, event_day) SELECT ds, d FROM unnest(coalesce(v_days, '{}')) d;

    SELECT count(DISTINCT r.user_id) AS users, count(DISTINCT r.session_id) AS sessions,
           count(DISTINCT r.order_id) FILTER (WHERE r.event_type = 'purchase') AS orders,
           coalesce(sum(r.total_amount) FILTER (WHERE r.event_type = 'purchase'), 0) AS revenue
      INTO v_counts
    FROM ecpipe.raw_events r WHERE r.batch_date = ds AND r.event_day = ANY (coalesce(v_days, '{}'));

    -- a day's file stays the source: its copy on the workers goes, now that every line is in raw or quarantine
    IF (SELECT v.source FROM ecpipe.validations v WHERE v.run_id = v_val.run_id) = 'file' THEN
        DELETE FROM ecpipe.landing l WHERE l.batch_date = ds;
    END IF;

    -- the marts of every day the batch has rows in now or had rows in before
    v_days := ARRAY(SELECT DISTINCT d FROM unnest(coalesce(v_days, '{}') || coalesce(v_old, '{}')) d ORDER BY d);
    IF build_marts THEN
        FOREACH v_day IN ARRAY v_days LOOP
            PERFORM ecpipe.rebuild_day_marts(v_day, run);
        END LOOP;
    END IF;
    RETURN jsonb_build_object('run_id', run, 'batch_date', ds, 'status', 'loaded', 'loaded', v_loaded,
                              'quarantined', v_quar, 'users', v_counts.users, 'sessions', v_counts.sessions,
                              'orders', v_counts.orders, 'revenue', v_counts.revenue, 'days_rebuilt', to_jsonb(v_days));
END $$;
COMMENT ON FUNCTION ecpipe.load_distributed(date, bigint, boolean) IS
    'ecpipe_load on a distributed ecpipe: the batch''s raw and quarantine rows written on the workers, then its days'' marts';

-- As the extension's owner, as the rest of the distributed data path (Citus lets no role touch placements another
-- role wrote in the same transaction).
-- client_min_messages: a second day of the transaction finds its work tables made (a notice each), and a SET LOCAL
-- in the body would outlast the function and hide the run's own notices after the marts step.
CREATE FUNCTION ecpipe.rebuild_day_marts_distributed(day date, run bigint) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_custom_plan SET client_min_messages = warning AS $$
DECLARE
    v_users     bigint;
    v_platforms bigint;
    v_products  bigint;
    v_orders    bigint;
BEGIN
    PERFORM ecpipe.refuse_on_worker('ecpipe_build_marts');
    DELETE FROM ecpipe.mart_user_daily m WHERE m.activity_date = day;
    DELETE FROM ecpipe.mart_funnel_daily m WHERE m.funnel_date = day;
    DELETE FROM ecpipe.mart_product_daily m WHERE m.activity_date = day;
    DELETE FROM ecpipe.mart_orders m WHERE m.order_date = day;

    -- each user on its own shard
    INSERT INTO ecpipe.mart_user_daily (activity_date, user_id, session_count, page_view_count, click_count,
                                        add_to_cart_count, purchase_count, search_count, total_purchase_amount,
                                        first_event_at, last_event_at, session_duration_total, run_id)
    SELECT day, s.user_id, count(*), sum(s.views), sum(s.clicks), sum(s.carts), sum(s.purchases), sum(s.searches),
           sum(s.amount), min(s.first_at), max(s.last_at), sum(s.last_at - s.first_at), run
    FROM (SELECT r.user_id, r.session_id, count(*) FILTER (WHERE r.event_type = 'page_view') AS views,
                 count(*) FILTER (WHERE r.event_type = 'click') AS clicks,
                 count(*) FILTER (WHERE r.event_type = 'add_to_cart') AS carts,
                 count(*) FILTER (WHERE r.event_type = 'purchase') AS purchases,
                 count(*) FILTER (WHERE r.event_type = 'search') AS searches,
                 coalesce(sum(r.total_amount) FILTER (WHERE r.event_type = 'purchase'), 0) AS amount,
                 min(r.event_time) AS first_at, max(r.event_time) AS last_at
          FROM ecpipe.raw_events r WHERE r.event_day = day GROUP BY r.user_id, r.session_id) s
    GROUP BY s.user_id;
    GET DIAGNOSTICS v_users = ROW_COUNT;

    -- distinct users per platform and step: users are disjoint across shards, so the shards' counts add up
    INSERT INTO ecpipe.mart_funnel_daily (funnel_date, platform, step1_viewers, step2_clickers, step3_cart_adders,
                                          step4_purchasers, view_to_click_rate, click_to_cart_rate,
                                          cart_to_purchase_rate, overall_conversion_rate, run_id)
    SELECT day, f.platform, f.s1, f.s2, f.s3, f.s4, ecpipe.rate(f.s2, f.s1), ecpipe.rate(f.s3, f.s2),
           ecpipe.rate(f.s4, f.s3), ecpipe.rate(f.s4, f.s1), run
    FROM (SELECT r.platform,
                 count(DISTINCT r.user_id) FILTER (WHERE r.event_type = 'page_view') AS s1,
                 count(DISTINCT r.user_id) FILTER (WHERE r.event_type = 'click') AS s2,
                 count(DISTINCT r.user_id) FILTER (WHERE r.event_type = 'add_to_cart') AS s3,
                 count(DISTINCT r.user_id) FILTER (WHERE r.event_type = 'purchase') AS s4
          FROM ecpipe.raw_events r WHERE r.event_day = day GROUP BY r.platform) f;
    GET DIAGNOSTICS v_platforms = ROW_COUNT;

    -- the day's purchases (a few thousand) gathered once; an order is its first purchase line, whichever shard.
    -- The temp tables are this function's own, made afresh: one the caller made (with its triggers or rules) would
    -- otherwise run the caller's code as the extension's owner.
    DROP TABLE IF EXISTS pg_temp.ecpipe_day_purchases;
    CREATE TEMP TABLE ecpipe_day_purchases (
        user_id text, session_id text, platform text, event_time timestamptz, batch_date date, line_no bigint,
        order_id text, total_amount numeric(14,2), payment_method text, extra_data jsonb) ON COMMIT DROP;
    INSERT INTO pg_temp.ecpipe_day_purchases
    SELECT r.user_id, r.session_id, r.platform, r.event_time, r.batch_date, r.line_no, r.order_id, r.total_amount,
           r.payment_method, r.extra_data
    FROM ecpipe.raw_events r WHERE r.event_day = day AND r.event_type = 'purchase';

    DROP TABLE IF EXISTS pg_temp.ecpipe_day_items;
    CREATE TEMP TABLE ecpipe_day_items (
        user_id text, batch_date date, line_no bigint, product_id text, quantity numeric, unit_price numeric)
        ON COMMIT DROP;
    INSERT INTO pg_temp.ecpipe_day_items
    SELECT p.user_id, p.batch_date, p.line_no, li.product_id, li.quantity, li.unit_price
    FROM pg_temp.ecpipe_day_purchases p CROSS JOIN LATERAL ecpipe.line_items(p.extra_data) li;

    INSERT INTO ecpipe.mart_orders (order_date, order_id, order_timestamp, user_id, session_id, platform,
                                    payment_method, total_amount, discount_amount, shipping_fee, coupon_code,
                                    item_count, unit_count, items_amount, run_id)
    SELECT day, o.order_id, o.event_time, o.user_id, o.session_id, o.platform, o.payment_method, o.total_amount,
           ecpipe.amount_or_zero(o.extra_data->'discount_amount'), ecpipe.amount_or_zero(o.extra_data->'shipping_fee'),
           CASE WHEN jsonb_typeof(o.extra_data->'coupon_code') = 'string' THEN o.extra_data->>'coupon_code' END,
           coalesce(t.item_count, 0), coalesce(t.unit_count, 0), coalesce(t.items_amount, 0), run
    FROM (SELECT DISTINCT ON (p.order_id) p.*
          FROM pg_temp.ecpipe_day_purchases p
          ORDER BY p.order_id, p.event_time, p.batch_date, p.line_no) o
    LEFT JOIN (SELECT i.batch_date, i.line_no, count(*) AS item_count, sum(i.quantity) AS unit_count,
                      sum(i.quantity * i.unit_price) AS items_amount
               FROM pg_temp.ecpipe_day_items i GROUP BY i.batch_date, i.line_no) t
           ON t.batch_date = o.batch_date AND t.line_no = o.line_no;
    GET DIAGNOSTICS v_orders = ROW_COUNT;

    -- clicks and carts per product counted on the workers (viewers are distinct users: disjoint across shards),
    -- then joined here with what was bought
    DROP TABLE IF EXISTS pg_temp.ecpipe_day_activity;
    CREATE TEMP TABLE ecpipe_day_activity (
        product_id text, click_count bigint, cart_add_count bigint, unique_viewers bigint) ON COMMIT DROP;
    INSERT INTO pg_temp.ecpipe_day_activity
    SELECT r.product_id, count(*) FILTER (WHERE r.event_type = 'click'),
           count(*) FILTER (WHERE r.event_type = 'add_to_cart'),
           count(DISTINCT r.user_id) FILTER (WHERE r.event_type = 'click')
    FROM ecpipe.raw_events r
    WHERE r.event_day = day AND r.event_type IN ('click', 'add_to_cart') AND r.product_id IS NOT NULL
    GROUP BY r.product_id;
    INSERT INTO ecpipe.mart_product_daily (activity_date, product_id, click_count, cart_add_count, purchase_count,
                                           units_sold, revenue, unique_viewers, unique_buyers, conversion_rate, run_id)
    SELECT day, product_id, coalesce(a.click_count, 0), coalesce(a.cart_add_count, 0),
           coalesce(b.purchase_count, 0), coalesce(b.units_sold, 0), coalesce(b.revenue, 0),
           coalesce(a.unique_viewers, 0), coalesce(b.unique_buyers, 0),
           ecpipe.rate(coalesce(b.unique_buyers, 0), coalesce(a.unique_viewers, 0)), run
    FROM pg_temp.ecpipe_day_activity a
    FULL JOIN (SELECT i.product_id, count(*) AS purchase_count, sum(i.quantity) AS units_sold,
                      sum(i.quantity * i.unit_price) AS revenue, count(DISTINCT i.user_id) AS unique_buyers
               FROM pg_temp.ecpipe_day_items i GROUP BY i.product_id) b USING (product_id);
    GET DIAGNOSTICS v_products = ROW_COUNT;
    RETURN jsonb_build_object('day', day, 'run_id', run, 'users', v_users, 'platforms', v_platforms,
                              'products', v_products, 'orders', v_orders, 'events_from', 'shards');
END $$;
COMMENT ON FUNCTION ecpipe.rebuild_day_marts_distributed(date, bigint) IS
    'rebuilds the four marts of one event day on a distributed ecpipe (behind ecpipe.rebuild_day_marts there)';
REVOKE ALL ON FUNCTION ecpipe.route_key(text, bigint), ecpipe.distributed(), ecpipe.distribution_shape(),
    @extschema@.ecpipe_distribute(int), @extschema@.ecpipe_cluster_status(date), ecpipe.landing_fingerprint(date),
    ecpipe.raw_row(text, bigint, date, bigint, smallint, text), ecpipe.line_event_day(text, text),
    ecpipe.load_distributed(date, bigint, boolean),
    ecpipe.rebuild_day_marts_distributed(date, bigint), ecpipe.fill_shard_anchors(), ecpipe.line_keys(text, bigint),
    ecpipe.validate_shard(text, date, bigint, text, text), ecpipe.make_raw_partitions(date[]) FROM PUBLIC;
-- the rest of the distributed data path runs as the extension's owner (docs/SCALING.md): granted to no role
GRANT EXECUTE ON FUNCTION ecpipe.route_key(text, bigint), ecpipe.distributed(), @extschema@.ecpipe_cluster_status(date),
    ecpipe.rebuild_day_marts_distributed(date, bigint) TO ecpipe_operator;

-- == quarantine counts for readers: through a function of the extension's owner, so that readers get them on a
-- distributed ecpipe too (Citus checks the tables under a view against the reader on each worker) ==
CREATE FUNCTION ecpipe.quarantine_counts() RETURNS TABLE (batch_date date, reason text, lines bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT q.batch_date, r.reason, count(*) FROM ecpipe.quarantine q, unnest(q.reasons) AS r(reason)
    GROUP BY q.batch_date, r.reason
$$;
CREATE OR REPLACE VIEW ecpipe.quarantine_summary AS
SELECT c.batch_date, c.reason, c.lines FROM ecpipe.quarantine_counts() c;
REVOKE ALL ON FUNCTION ecpipe.quarantine_counts(), ecpipe.on_coordinator() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.quarantine_counts() TO ecpipe_reader;
GRANT EXECUTE ON FUNCTION ecpipe.quarantine_counts(), ecpipe.on_coordinator() TO ecpipe_operator;
REVOKE ALL ON FUNCTION ecpipe.refuse_on_worker(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.refuse_on_worker(text) TO ecpipe_operator;
GRANT EXECUTE ON FUNCTION ecpipe.refuse_on_worker(text), ecpipe.distributed(), ecpipe.on_coordinator()
    TO ecpipe_reader;
