-- ecpipe 0.2.0 -> 0.3.0: hardening. Each section below says what it changes and why.
-- CREATE EXTENSION ecpipe installs 0.1.0 and then the upgrade scripts, so a fresh install and an upgrade are the same.
\echo Use "ALTER EXTENSION ecpipe UPDATE TO '0.3.0'" to load this file. \quit

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

CREATE OR REPLACE FUNCTION ecpipe.build_marts(day date, run_id bigint) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_run       bigint := coalesce(run_id, nextval('ecpipe.run_id_seq'));
    v_events    jsonb;
    v_orders    bigint;
    v_products  bigint;
BEGIN
    PERFORM ecpipe.check_day(day, 'ecpipe_build_marts');
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

-- Queries on raw_events in plpgsql take the day as a parameter. After five calls in a session (a backfill) the plan
-- cache also plans them generically, for any day: that plan covers, and locks, every partition. Custom plans only.
ALTER FUNCTION ecpipe.build_marts(date, bigint) SET plan_cache_mode = force_custom_plan;
ALTER FUNCTION ecpipe.build_marts(date, bigint) SET jit = off;
ALTER FUNCTION @extschema@.ecpipe_run(date) SET plan_cache_mode = force_custom_plan;

CREATE OR REPLACE FUNCTION @extschema@.ecpipe_backfill(from_day date, to_day date) RETURNS SETOF jsonb
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d       date;
    n       int := 0;
    total   int;
    summary jsonb;
BEGIN
    PERFORM ecpipe.check_day(from_day, 'ecpipe_backfill'), ecpipe.check_day(to_day, 'ecpipe_backfill');
    IF to_day < from_day THEN
        RAISE EXCEPTION 'ecpipe_backfill: % is before %', to_day, from_day USING ERRCODE = '22023';
    END IF;
    total := to_day - from_day + 1;
    FOR d IN SELECT generate_series(from_day, to_day, interval '1 day')::date LOOP
        n := n + 1;
        summary := @extschema@.ecpipe_run(d);  -- a blocked or failed day is reported and the next one runs
        RAISE NOTICE 'ecpipe_backfill: day % of % (%) %: % loaded, % quarantined in % s', n, total, d,
              summary->>'status', summary->>'loaded', summary->>'quarantined', summary->>'seconds';
        RETURN NEXT summary;
    END LOOP;
END $$;
ALTER FUNCTION @extschema@.ecpipe_backfill(date, date) SET jit = off;

-- A long backfill, committed day by day: a failure on day 1,000 keeps days 1..999 (ecpipe_backfill is one
-- transaction: all days or none). CALL it outside a transaction block, from psql or a pg_cron job. A procedure
-- with a SET clause may not commit, so this one has none: every name in it is schema-qualified.
CREATE PROCEDURE @extschema@.ecpipe_backfill_days(from_day date, to_day date)
LANGUAGE plpgsql AS $$
DECLARE
    d       date;
    n       int := 0;
    total   int;
    summary jsonb;
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
        RAISE NOTICE 'ecpipe_backfill_days: day % of % (%) %: % loaded, % quarantined in % s', n, total, d,
              summary OPERATOR(pg_catalog.->>) 'status', summary OPERATOR(pg_catalog.->>) 'loaded',
              summary OPERATOR(pg_catalog.->>) 'quarantined', summary OPERATOR(pg_catalog.->>) 'seconds';
        COMMIT;
        d := d OPERATOR(pg_catalog.+) 1;
    END LOOP;
END $$;
COMMENT ON PROCEDURE @extschema@.ecpipe_backfill_days(date, date) IS
    'runs each day from from_day to to_day in order, committing after each day; the summaries are in ecpipe.runs';
REVOKE ALL ON PROCEDURE @extschema@.ecpipe_backfill_days(date, date) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE @extschema@.ecpipe_backfill_days(date, date) TO ecpipe_operator;
