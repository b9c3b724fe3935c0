-- ecpipe 0.1.0 -> 0.2.0: progress (NOTICE per step and day, ecpipe.current_runs), roles ecpipe_reader and
-- ecpipe_operator with nothing granted to PUBLIC beyond the documented, a timed-out or cancelled step recorded as
-- a failed run (plpgsql's OTHERS does not catch query_canceled), the HTML dashboard, faster marts.
-- CREATE EXTENSION ecpipe installs 0.1.0 and then this script, so a fresh install and an upgrade are the same.
\echo Use "ALTER EXTENSION ecpipe UPDATE TO '0.2.0'" to load this file. \quit

-------------------------------------------------------------------------------------------------------------------
-- Progress: the current step shows as the backend's activity; each finished step and backfilled day is a NOTICE.

CREATE FUNCTION ecpipe.report_progress(text) RETURNS void
AS 'MODULE_PATHNAME', 'ecpipe_report_progress'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.report_progress(text) IS
    'shows "ecpipe: <text>" as this backend''s pg_stat_activity.query until its next statement (see ecpipe.current_runs)';

CREATE VIEW ecpipe.current_runs AS
SELECT a.pid, a.usename AS role, a.datname AS database,
       (regexp_match(a.query, '^ecpipe: [a-z]+ ([0-9]{4}-[0-9]{2}-[0-9]{2})'))[1]::date AS ds,
       (regexp_match(a.query, '^ecpipe: ([a-z]+)'))[1] AS step,
       substr(a.query, 9) AS progress,
       a.xact_start AS started_at, now() - a.xact_start AS running_for,
       a.wait_event_type, a.wait_event
FROM pg_catalog.pg_stat_activity a
WHERE a.state = 'active' AND a.query LIKE 'ecpipe: %';
COMMENT ON VIEW ecpipe.current_runs IS
    'ecpipe steps running now, one row per backend: step, batch, lines done and rate (like pg_stat_progress_*)';

CREATE OR REPLACE FUNCTION ecpipe.record_step(run bigint, step_name text, step_status text, started timestamptz,
                                              step_rows bigint, step_detail text) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_seconds numeric := round(extract(epoch FROM clock_timestamp() - started)::numeric, 3);
BEGIN
    INSERT INTO ecpipe.run_steps (run_id, step_no, name, status, started_at, finished_at, rows, detail)
    SELECT run, coalesce(max(s.step_no), 0) + 1, step_name, step_status, started, clock_timestamp(), step_rows,
           step_detail
    FROM ecpipe.run_steps s WHERE s.run_id = run;
    RAISE NOTICE 'ecpipe_run % (run %): % % in % s%', (SELECT r.ds FROM ecpipe.runs r WHERE r.run_id = run), run,
          step_name, step_status, v_seconds,
          CASE WHEN step_rows IS NULL THEN ''
               WHEN step_name IN ('collect', 'validate', 'load') THEN format(', %s lines (%s lines/s)', step_rows,
                    CASE WHEN v_seconds > 0 THEN round(step_rows / v_seconds) ELSE step_rows END)
               ELSE format(', %s %s', step_rows, CASE step_name WHEN 'marts' THEN 'days' ELSE 'messages' END) END
          || CASE WHEN step_detail IS NULL OR step_detail = '' THEN '' ELSE ': ' || left(step_detail, 200) END;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_run(ds date DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_ds        date := coalesce(ds, (now() AT TIME ZONE ecpipe.setting('ecpipe.timezone'))::date - 1);
    v_run       bigint := nextval('ecpipe.run_id_seq');
    v_start     timestamptz := clock_timestamp();
    v_t         timestamptz;
    v_status    text;
    v_valid     text;
    v_step      text;
    v_err       text;
    v_load      jsonb;
    v_day       date;
    v_days      date[] := '{}';
    v_checks    jsonb;
    v_summary   jsonb;
    v_lines     bigint;
    v_path      text;
    v_attempt   int := 0;
    v_state     text;
    v_stats     record;
BEGIN
    -- Two runs of one day never interleave: the second waits up to ecpipe.run_lock_timeout.
    PERFORM set_config('lock_timeout', ecpipe.setting('ecpipe.run_lock_timeout'), true);
    BEGIN
        PERFORM pg_advisory_xact_lock(1701864048, v_ds - date '2000-01-01');
    EXCEPTION WHEN lock_not_available THEN
        RAISE EXCEPTION 'ecpipe_run: a run of % is already in progress (waited %)', v_ds,
              ecpipe.setting('ecpipe.run_lock_timeout') USING ERRCODE = '55P03';
    END;
    PERFORM set_config('lock_timeout', '0', true);
    INSERT INTO ecpipe.runs (run_id, ds, status, started_at) VALUES (v_run, v_ds, 'running', v_start);
    PERFORM ecpipe.report_progress(format('collect %s', v_ds));

    -- collect: land <landing_dir>/events_YYYYMMDD.jsonl when the batch is not landed yet
    v_t := clock_timestamp();
    IF EXISTS (SELECT FROM ecpipe.landing l WHERE l.batch_date = v_ds) THEN  -- counting a big batch costs seconds
        PERFORM ecpipe.record_step(v_run, 'collect', 'skipped', v_t, NULL, 'already landed');
    ELSIF ecpipe.setting('ecpipe.landing_dir') = '' THEN
        PERFORM ecpipe.record_step(v_run, 'collect', 'skipped', v_t, 0, 'ecpipe.landing_dir is not set');
    ELSE
        v_path := ecpipe.setting('ecpipe.landing_dir') || '/events_' || to_char(v_ds, 'YYYYMMDD') || '.jsonl';
        BEGIN
            IF pg_stat_file(v_path, true) IS NULL THEN
                PERFORM ecpipe.record_step(v_run, 'collect', 'skipped', v_t, 0, 'no file ' || v_path);
            ELSE
                v_lines := @extschema@.ecpipe_ingest(v_ds, v_path);
                PERFORM ecpipe.record_step(v_run, 'collect', 'succeeded', v_t, v_lines, v_path);
            END IF;
        EXCEPTION WHEN OTHERS OR query_canceled THEN  -- a statement_timeout or cancel fails the step, recorded
            GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT;
            v_step := 'collect';
            PERFORM ecpipe.record_step(v_run, 'collect', 'failed', v_t, NULL, v_err);
        END;
    END IF;

    -- validate
    IF v_step IS NULL THEN
        v_t := clock_timestamp();
        PERFORM ecpipe.report_progress(format('validate %s', v_ds));
        BEGIN
            v_valid := ecpipe.validate_batch(v_ds, v_run);
            SELECT jsonb_agg(jsonb_build_object('check_no', q.check_no, 'check_name', q.check_name,
                                                'population', q.population, 'failed', q.failed,
                                                'pass_rate', q.pass_rate, 'status', q.status,
                                                'sample', q.samples->0->>'reason') ORDER BY q.check_no)
              INTO v_checks FROM ecpipe.quality_log q WHERE q.run_id = v_run;
            SELECT v.lines INTO v_lines FROM ecpipe.validations v WHERE v.run_id = v_run;
            PERFORM ecpipe.record_step(v_run, 'validate', 'succeeded', v_t, v_lines, v_valid);
        EXCEPTION WHEN OTHERS OR query_canceled THEN  -- a statement_timeout or cancel fails the step, recorded
            GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT;
            v_step := 'validate';
            PERFORM ecpipe.record_step(v_run, 'validate', 'failed', v_t, NULL, v_err);
        END;
    END IF;

    -- gate, then load + marts as one unit: both succeed or neither leaves a trace
    IF v_step IS NOT NULL THEN
        v_status := 'failed';
    ELSIF v_valid = 'no_data' THEN
        v_status := 'no_data';
    ELSIF v_valid = 'failed' THEN
        v_status := 'blocked';
    ELSE
        LOOP
            v_attempt := v_attempt + 1;
            v_days := '{}';
            BEGIN
                v_step := 'load';
                v_t := clock_timestamp();
                PERFORM ecpipe.report_progress(format('load %s', v_ds));
                v_load := ecpipe.load_batch(v_ds, v_run, false);
                PERFORM ecpipe.record_step(v_run, 'load', 'succeeded', v_t,
                                           (v_load->>'loaded')::bigint + (v_load->>'quarantined')::bigint,
                                           format('%s loaded, %s quarantined', v_load->>'loaded', v_load->>'quarantined'));
                v_step := 'marts';
                v_t := clock_timestamp();
                FOR v_day IN SELECT jsonb_array_elements_text(v_load->'days_rebuilt')::date LOOP
                    PERFORM ecpipe.report_progress(format('marts %s: day %s (%s of %s)', v_ds, v_day,
                                                          cardinality(v_days) + 1,
                                                          jsonb_array_length(v_load->'days_rebuilt')));
                    PERFORM ecpipe.build_marts(v_day, v_run);
                    v_days := v_days || v_day;
                END LOOP;
                PERFORM ecpipe.record_step(v_run, 'marts', 'succeeded', v_t, cardinality(v_days),
                                           array_to_string(v_days, ', '));
                v_step := NULL;
                v_status := 'succeeded';
                EXIT;
            EXCEPTION WHEN OTHERS OR query_canceled THEN  -- a statement_timeout or cancel fails the step, recorded
                GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
                IF v_state IN ('40001', '40P01') AND v_attempt <= ecpipe.setting('ecpipe.max_retries')::int THEN
                    CONTINUE;  -- a transient conflict: the subtransaction is gone, try again
                END IF;
                PERFORM ecpipe.record_step(v_run, v_step, 'failed', v_t, NULL, v_err);
                v_status := 'failed';
                v_load := NULL;
                v_days := '{}';
                EXIT;
            END;
        END LOOP;
    END IF;

    -- users and sessions were counted by the load as it wrote them (distinct counts over the whole batch here
    -- would sort it: seconds at 1M events); orders and revenue come from the purchases alone
    SELECT coalesce((v_load->>'users')::bigint, 0) AS users, coalesce((v_load->>'sessions')::bigint, 0) AS sessions,
           count(DISTINCT r.order_id) AS orders, coalesce(sum(r.total_amount), 0) AS revenue
      INTO v_stats FROM ecpipe.raw_events r
     WHERE r.event_day = ANY (v_days) AND r.batch_date = v_ds AND r.event_type = 'purchase'
       AND v_status = 'succeeded';  -- only the partitions of the days the batch touched
    v_summary := jsonb_build_object(
        'run_id', v_run, 'ds', v_ds, 'status', v_status, 'checks', coalesce(v_checks, '[]'::jsonb),
        'loaded', coalesce((v_load->>'loaded')::bigint, 0), 'quarantined', coalesce((v_load->>'quarantined')::bigint, 0),
        'days_rebuilt', to_jsonb(v_days), 'users', v_stats.users, 'sessions', v_stats.sessions,
        'orders', v_stats.orders, 'revenue', v_stats.revenue,
        'seconds', round(extract(epoch FROM clock_timestamp() - v_start)::numeric, 3),
        'step', v_step, 'error', v_err);

    -- notify: the quality report, then the outcome; queued in this transaction, sent only after it commits
    v_t := clock_timestamp();
    PERFORM ecpipe.report_progress(format('notify %s', v_ds));
    BEGIN
        IF v_checks IS NOT NULL AND v_status <> 'no_data' THEN
            PERFORM @extschema@.ecpipe_notify('quality_report', ecpipe.slack_message('quality_report', v_summary), v_run);
        END IF;
        PERFORM @extschema@.ecpipe_notify(
            CASE v_status WHEN 'succeeded' THEN 'success' ELSE v_status END,
            ecpipe.slack_message(CASE v_status WHEN 'succeeded' THEN 'success' ELSE v_status END, v_summary), v_run);
        PERFORM ecpipe.record_step(v_run, 'notify', 'succeeded', v_t,
                                   CASE WHEN v_checks IS NOT NULL AND v_status <> 'no_data' THEN 2 ELSE 1 END, NULL);
    EXCEPTION WHEN OTHERS OR query_canceled THEN  -- a statement_timeout or cancel fails the step, recorded
        GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT;
        PERFORM ecpipe.record_step(v_run, 'notify', 'failed', v_t, NULL, v_err);
    END;

    v_summary := jsonb_set(v_summary, '{seconds}',
                           to_jsonb(round(extract(epoch FROM clock_timestamp() - v_start)::numeric, 3)));
    UPDATE ecpipe.runs SET status = v_status, finished_at = clock_timestamp(), seconds = (v_summary->>'seconds')::numeric,
           loaded = (v_summary->>'loaded')::bigint, quarantined = (v_summary->>'quarantined')::bigint,
           days_rebuilt = v_days, checks = v_checks, failed_step = v_summary->>'step', error = v_summary->>'error',
           summary = v_summary
     WHERE run_id = v_run;
    RETURN v_summary;
END $$;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_backfill(from_day date, to_day date) RETURNS SETOF jsonb
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d       date;
    n       int := 0;
    total   int := to_day - from_day + 1;
    summary jsonb;
BEGIN
    IF to_day < from_day THEN
        RAISE EXCEPTION 'ecpipe_backfill: % is before %', to_day, from_day USING ERRCODE = '22023';
    END IF;
    FOR d IN SELECT generate_series(from_day, to_day, interval '1 day')::date LOOP
        n := n + 1;
        summary := @extschema@.ecpipe_run(d);  -- a blocked or failed day is reported and the next one runs
        RAISE NOTICE 'ecpipe_backfill: day % of % (%) %: % loaded, % quarantined in % s', n, total, d,
              summary->>'status', summary->>'loaded', summary->>'quarantined', summary->>'seconds';
        RETURN NEXT summary;
    END LOOP;
END $$;

-------------------------------------------------------------------------------------------------------------------
-- Privileges. PUBLIC gets nothing (no schema usage, no function). ecpipe_reader reads the marts and the quality and
-- run record; ecpipe_operator runs the pipeline (and is a reader). Roles are cluster-wide: they are created when
-- missing and outlive DROP EXTENSION. Delivering the outbox by hand (ecpipe_deliver_pending) stays superuser-only.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ecpipe_reader') THEN
        CREATE ROLE ecpipe_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'ecpipe_operator') THEN
        CREATE ROLE ecpipe_operator NOLOGIN IN ROLE ecpipe_reader;
    END IF;
END $$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ecpipe FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ecpipe_generate(date, int, bigint, float8), @extschema@.ecpipe_ingest(date, text),
    @extschema@.ecpipe_schema_info(text), @extschema@.ecpipe_validate(date), @extschema@.ecpipe_build_marts(date),
    @extschema@.ecpipe_load(date, bigint), @extschema@.ecpipe_notify(text, jsonb, bigint),
    @extschema@.ecpipe_deliver_pending(int), @extschema@.ecpipe_run(date), @extschema@.ecpipe_backfill(date, date),
    @extschema@.ecpipe_schedule(text), @extschema@.ecpipe_unschedule() FROM PUBLIC;

GRANT USAGE ON SCHEMA ecpipe TO ecpipe_reader, ecpipe_operator;
GRANT SELECT ON ecpipe.mart_user_daily, ecpipe.mart_funnel_daily, ecpipe.mart_product_daily, ecpipe.mart_orders,
    ecpipe.quality_log, ecpipe.quality_trend, ecpipe.runs, ecpipe.run_steps, ecpipe.current_runs TO ecpipe_reader;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ecpipe TO ecpipe_operator;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ecpipe TO ecpipe_operator;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ecpipe TO ecpipe_operator;
GRANT EXECUTE ON FUNCTION @extschema@.ecpipe_generate(date, int, bigint, float8), @extschema@.ecpipe_ingest(date, text),
    @extschema@.ecpipe_schema_info(text), @extschema@.ecpipe_validate(date), @extschema@.ecpipe_build_marts(date),
    @extschema@.ecpipe_load(date, bigint), @extschema@.ecpipe_notify(text, jsonb, bigint), @extschema@.ecpipe_run(date),
    @extschema@.ecpipe_backfill(date, date), @extschema@.ecpipe_schedule(text), @extschema@.ecpipe_unschedule()
    TO ecpipe_operator;

-- Partitions of raw_events are made on demand by whoever runs a load; creating a partition needs the parent's
-- owner, so these two run as the extension's owner. They take a date, or only a partition of ecpipe.raw_events.
ALTER FUNCTION ecpipe.raw_partition(date) SECURITY DEFINER;
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
    EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (batch_date, line_no)', part);  -- within one event day
    EXECUTE format('CREATE INDEX ON %s USING brin (batch_date)', part);              -- a batch sits in one or two days
    -- Anything else only on request: each index costs the load a full build (at 1M events: key and BRIN 1.4 s,
    -- hash indexes on user_id and session_id and a B-tree on event_type 6 s more). The setting's check hook has
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

-------------------------------------------------------------------------------------------------------------------
-- The HTML dashboard.

-- Quarantine reasons per batch without the lines themselves: what ecpipe_reader may see of the quarantine.
CREATE VIEW ecpipe.quarantine_summary AS
SELECT q.batch_date, r.reason, count(*) AS lines
FROM ecpipe.quarantine q, unnest(q.reasons) AS r(reason)
GROUP BY q.batch_date, r.reason;
COMMENT ON VIEW ecpipe.quarantine_summary IS 'quarantined lines per batch and reason code (no line contents)';

CREATE FUNCTION ecpipe.render_report(jsonb) RETURNS text
AS 'MODULE_PATHNAME', 'ecpipe_render_report'
LANGUAGE C STRICT IMMUTABLE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.render_report(jsonb) IS 'renders report data (see ecpipe_report_html) as one HTML page';

CREATE FUNCTION @extschema@.ecpipe_report_html(from_day date, to_day date) RETURNS text
LANGUAGE plpgsql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    may_see_lines boolean := has_table_privilege('ecpipe.quarantine', 'SELECT');
BEGIN
    IF to_day < from_day OR to_day - from_day > 366 THEN
        RAISE EXCEPTION 'ecpipe_report_html: the range % to % must run forward and span at most 367 days',
              from_day, to_day USING ERRCODE = '22023';
    END IF;
    RETURN ecpipe.render_report(jsonb_build_object(
        'from', from_day, 'to', to_day, 'min_pass_rate', ecpipe.setting('ecpipe.min_pass_rate')::numeric,
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
                    FROM ecpipe.quality_trend t WHERE t.batch_date BETWEEN from_day AND to_day),
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
        'quarantine', (SELECT jsonb_agg(jsonb_build_object('reason', s.reason, 'lines', s.lines,
                                                           'example', CASE WHEN may_see_lines THEN
                                         (SELECT left(q.detail, 300) FROM ecpipe.quarantine q
                                          WHERE q.batch_date BETWEEN from_day AND to_day AND s.reason = ANY (q.reasons)
                                          ORDER BY q.batch_date, q.line_no LIMIT 1) END)
                                       ORDER BY s.lines DESC, s.reason)
                       FROM (SELECT x.reason, sum(x.lines) AS lines FROM ecpipe.quarantine_summary x
                             WHERE x.batch_date BETWEEN from_day AND to_day GROUP BY x.reason) s)));
END $$;
COMMENT ON FUNCTION @extschema@.ecpipe_report_html(date, date) IS
    'a self-contained HTML dashboard of from_day..to_day: funnel, orders, check pass rates, top products, runs, quarantine';
REVOKE ALL ON FUNCTION @extschema@.ecpipe_report_html(date, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION ecpipe.render_report(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ecpipe_report_html(date, date), ecpipe.render_report(jsonb)
    TO ecpipe_reader, ecpipe_operator;
GRANT SELECT ON ecpipe.quarantine_summary TO ecpipe_reader, ecpipe_operator;
GRANT EXECUTE ON FUNCTION ecpipe.setting(text) TO ecpipe_reader;  -- reads ecpipe.min_pass_rate; refuses the webhook URL

-------------------------------------------------------------------------------------------------------------------
-- Marts: the user and funnel marts and the products' clicks and carts come from one scan of the day in C++
-- (ecpipe.build_event_marts: compact per-user and per-session state instead of several hash aggregations held
-- at once); purchases, few and wide, stay in SQL for their exact decimals from extra_data.
CREATE FUNCTION ecpipe.build_event_marts(day date, run_id bigint) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_build_event_marts'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.build_event_marts(date, bigint) IS
    'writes mart_user_daily, mart_funnel_daily and the click/cart columns of mart_product_daily for day (after build_marts deleted it)';
REVOKE ALL ON FUNCTION ecpipe.build_event_marts(date, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ecpipe.build_event_marts(date, bigint) TO ecpipe_operator;

CREATE OR REPLACE FUNCTION ecpipe.build_marts(day date, run_id bigint) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_run       bigint := coalesce(run_id, nextval('ecpipe.run_id_seq'));
    v_events    jsonb;
    v_orders    bigint;
    v_products  bigint;
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION 'ecpipe_build_marts: day must not be NULL' USING ERRCODE = '22004';
    END IF;
    DELETE FROM ecpipe.mart_user_daily WHERE activity_date = day;
    DELETE FROM ecpipe.mart_funnel_daily WHERE funnel_date = day;
    DELETE FROM ecpipe.mart_product_daily WHERE activity_date = day;
    DELETE FROM ecpipe.mart_orders WHERE order_date = day;

    v_events := ecpipe.build_event_marts(day, v_run);

    WITH purchases AS MATERIALIZED (
        SELECT r.user_id, r.session_id, r.platform, r.event_time, r.batch_date, r.line_no, r.order_id,
               r.total_amount, r.payment_method, r.extra_data
        FROM ecpipe.raw_events r WHERE r.event_day = day AND r.event_type = 'purchase'
    ),
    items AS MATERIALIZED (
        SELECT p.user_id, p.batch_date, p.line_no, li.product_id, li.quantity, li.unit_price
        FROM purchases p CROSS JOIN LATERAL ecpipe.line_items(p.extra_data) li
    ),
    -- line items join the product rows of clicks and carts, or make their own
    bought AS (
        INSERT INTO ecpipe.mart_product_daily AS m
        SELECT day, b.product_id, 0, 0, b.n, b.units, b.revenue, 0, b.buyers, NULL, v_run
        FROM (SELECT i.product_id, count(*) AS n, sum(i.quantity) AS units, sum(i.quantity * i.unit_price) AS revenue,
                     count(DISTINCT i.user_id) AS buyers
              FROM items i GROUP BY i.product_id) b
        ON CONFLICT (activity_date, product_id) DO UPDATE
        SET purchase_count = excluded.purchase_count, units_sold = excluded.units_sold, revenue = excluded.revenue,
            unique_buyers = excluded.unique_buyers, conversion_rate = ecpipe.rate(excluded.unique_buyers, m.unique_viewers)
        RETURNING 1
    ),
    order_items AS (
        SELECT i.batch_date, i.line_no, count(*) AS item_count, sum(i.quantity) AS unit_count,
               sum(i.quantity * i.unit_price) AS items_amount
        FROM items i GROUP BY i.batch_date, i.line_no
    ),
    orders AS (
        INSERT INTO ecpipe.mart_orders
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
    SELECT count(*) INTO v_orders FROM orders;  -- bought runs too: a data-modifying WITH always runs to completion
    SELECT count(*) INTO v_products FROM ecpipe.mart_product_daily m WHERE m.activity_date = day;
    RETURN jsonb_build_object('day', day, 'run_id', v_run, 'users', (v_events->>'users')::bigint,
                              'platforms', (v_events->>'platforms')::bigint, 'products', v_products,
                              'orders', v_orders);
END $$;

-------------------------------------------------------------------------------------------------------------------
-- No JIT inside the pipeline. Its queries run once per day, so compiling them is pure cost: once the raw
-- partitions of a few weeks made a query's estimate pass jit_above_cost, each run loaded libLLVM (52 MB resident)
-- and spent its compile time.
ALTER FUNCTION @extschema@.ecpipe_run(date) SET jit = off;
ALTER FUNCTION @extschema@.ecpipe_backfill(date, date) SET jit = off;
ALTER FUNCTION @extschema@.ecpipe_ingest(date, text) SET jit = off;
ALTER FUNCTION @extschema@.ecpipe_validate(date) SET jit = off;
ALTER FUNCTION @extschema@.ecpipe_load(date, bigint) SET jit = off;
ALTER FUNCTION @extschema@.ecpipe_build_marts(date) SET jit = off;
ALTER FUNCTION @extschema@.ecpipe_report_html(date, date) SET jit = off;
ALTER FUNCTION ecpipe.validate_batch(date, bigint) SET jit = off;
ALTER FUNCTION ecpipe.load_batch(date, bigint, boolean) SET jit = off;
ALTER FUNCTION ecpipe.build_marts(date, bigint) SET jit = off;
ALTER FUNCTION ecpipe.build_event_marts(date, bigint) SET jit = off;
