-- ecpipe 0.1.0: schema ecpipe, its tables, and the ecpipe_* functions.
\echo Use "CREATE EXTENSION ecpipe" to load this file. \quit

CREATE SCHEMA ecpipe;
COMMENT ON SCHEMA ecpipe IS 'ecpipe: landing, quality, raw events, quarantine, marts and run history';

-- Reads an ecpipe.* setting. Calling into the library first means its settings exist even in a session that has
-- not used a C function yet (pg_cron's fresh session running ecpipe_run without shared_preload_libraries).
CREATE FUNCTION ecpipe.setting(name text) RETURNS text
AS 'MODULE_PATHNAME', 'ecpipe_setting'
LANGUAGE C STRICT STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;

-------------------------------------------------------------------------------------------------------------------
-- Landing: one batch per ds, every line kept with its 1-based position.
-------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION ecpipe.landing_import_batch() RETURNS date
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d date := nullif(ecpipe.setting('ecpipe.landing_date'), '')::date;
BEGIN
    IF d IS NULL THEN
        RAISE EXCEPTION 'ecpipe.landing_date is not set'
            USING HINT = 'Run SET ecpipe.landing_date = ''YYYY-MM-DD'' before copying into ecpipe.landing_import.';
    END IF;
    RETURN d;
END $$;

CREATE TABLE ecpipe.landing (
    batch_date  date        NOT NULL DEFAULT ecpipe.landing_import_batch(),  -- the batch named by ecpipe.landing_date
    line_no     bigint      NOT NULL CHECK (line_no >= 1),                    -- numbered on insert when not given
    line        text,                       -- the line as received, when it is valid UTF-8 without NUL bytes
    line_bytes  bytea,                      -- otherwise its exact bytes
    landed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_date, line_no),
    CHECK ((line IS NULL) <> (line_bytes IS NULL))
);
COMMENT ON TABLE ecpipe.landing IS 'JSON Lines landed per batch (ds); line_no is the 1-based arrival position';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.landing', '');

-- Rows inserted without a line_no (a client's \copy of a file) are numbered after the batch's last line, in
-- arrival order; a blank CSV line arrives as NULL and is kept as ''. Bulk paths give line_no and skip this.
CREATE FUNCTION ecpipe.landing_number_line() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    SELECT coalesce(max(l.line_no), 0) + 1 INTO NEW.line_no FROM ecpipe.landing l WHERE l.batch_date = NEW.batch_date;
    IF NEW.line IS NULL AND NEW.line_bytes IS NULL THEN
        NEW.line := '';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER landing_number_line BEFORE INSERT ON ecpipe.landing
    FOR EACH ROW WHEN (NEW.line_no IS NULL) EXECUTE FUNCTION ecpipe.landing_number_line();

-- Client-side landing: SET ecpipe.landing_date, then \copy a file into this view (see README). The statement
-- trigger replaces the batch; the row trigger numbers lines in arrival order.
CREATE VIEW ecpipe.landing_import AS SELECT line FROM ecpipe.landing WHERE false;
COMMENT ON VIEW ecpipe.landing_import IS 'COPY target for client-side landing of the batch named by ecpipe.landing_date';

CREATE FUNCTION ecpipe.landing_import_start() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM ecpipe.landing WHERE batch_date = ecpipe.landing_import_batch();
    RETURN NULL;
END $$;

CREATE FUNCTION ecpipe.landing_import_line() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO ecpipe.landing (line) VALUES (NEW.line);  -- batch from ecpipe.landing_date, numbered by landing's trigger
    RETURN NEW;
END $$;

CREATE TRIGGER landing_import_start BEFORE INSERT ON ecpipe.landing_import
    FOR EACH STATEMENT EXECUTE FUNCTION ecpipe.landing_import_start();
CREATE TRIGGER landing_import_line INSTEAD OF INSERT ON ecpipe.landing_import
    FOR EACH ROW EXECUTE FUNCTION ecpipe.landing_import_line();

-------------------------------------------------------------------------------------------------------------------
-- Functions
-------------------------------------------------------------------------------------------------------------------
CREATE FUNCTION ecpipe_generate(ds date, users int DEFAULT 500, seed bigint DEFAULT 0, anomaly_rate float8 DEFAULT 0)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'ecpipe_generate'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE ROWS 2000 SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe_generate(date, int, bigint, float8) IS
    'Synthetic JSONL events for one day in the original generator''s model; deterministic per arguments';

CREATE FUNCTION ecpipe_ingest(ds date, path text) RETURNS bigint
AS 'MODULE_PATHNAME', 'ecpipe_ingest'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe_ingest(date, text) IS
    'Lands a server-side JSONL file as batch ds (replacing it); returns the number of lines';
REVOKE ALL ON FUNCTION ecpipe_ingest(date, text) FROM PUBLIC;

CREATE FUNCTION ecpipe_schema_info(schema_text text DEFAULT NULL) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_schema_info'
LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe_schema_info(text) IS
    'Compiles an event schema (the installed one when NULL) and summarises it; raises the compile error if any';

-------------------------------------------------------------------------------------------------------------------
-- Validation: the seven checks, their history, and the verdicts of lines that failed something.
-------------------------------------------------------------------------------------------------------------------
CREATE SEQUENCE ecpipe.run_id_seq;
COMMENT ON SEQUENCE ecpipe.run_id_seq IS 'run ids shared by validations and pipeline runs';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.run_id_seq', '');

CREATE TABLE ecpipe.validations (
    run_id        bigint      PRIMARY KEY,
    batch_date    date        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('passed', 'failed', 'no_data')),
    lines         bigint      NOT NULL,     -- landed lines, blank ones included
    blank_lines   bigint      NOT NULL,
    events        bigint      NOT NULL,     -- lines that parsed as JSON objects
    quarantined   bigint      NOT NULL,     -- lines that go to quarantine if the batch is loaded
    fingerprint   bigint      NOT NULL,     -- hash of the landed lines: a changed batch needs a new validation
    settings      jsonb       NOT NULL,     -- the ecpipe.* settings the checks ran with
    validated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX validations_batch ON ecpipe.validations (batch_date, run_id DESC);
COMMENT ON TABLE ecpipe.validations IS 'one row per ecpipe_validate: the batch verdict and what it was computed from';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.validations', '');

CREATE TABLE ecpipe.quality_log (
    run_id      bigint      NOT NULL REFERENCES ecpipe.validations ON DELETE CASCADE,
    batch_date  date        NOT NULL,
    check_no    int         NOT NULL CHECK (check_no BETWEEN 1 AND 7),
    check_name  text        NOT NULL,
    population  bigint      NOT NULL,
    failed      bigint      NOT NULL,
    pass_rate   numeric(5,2) NOT NULL,  -- rounded for display; status compares the exact rate
    status      text        NOT NULL CHECK (status IN ('PASS', 'FAIL')),
    samples     jsonb       NOT NULL,   -- up to 20 of [{line_no, event_id, reason}]
    checked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, check_no)
);
CREATE INDEX quality_log_batch ON ecpipe.quality_log (batch_date, check_no);
COMMENT ON TABLE ecpipe.quality_log IS 'one row per check per validation, kept to track quality over time';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.quality_log', '');

CREATE TABLE ecpipe.line_verdicts (
    run_id         bigint   NOT NULL REFERENCES ecpipe.validations ON DELETE CASCADE,
    batch_date     date     NOT NULL,
    line_no        bigint   NOT NULL,
    disposition    text     NOT NULL CHECK (disposition IN ('quarantine', 'raw')),
    failed_checks  smallint NOT NULL,   -- bit n-1 set when check n failed
    reasons        text[]   NOT NULL,   -- 'unparseable' or check names
    detail         text     NOT NULL,
    PRIMARY KEY (run_id, line_no)
);
CREATE INDEX line_verdicts_batch ON ecpipe.line_verdicts (batch_date);
COMMENT ON TABLE ecpipe.line_verdicts IS
    'lines of the latest validation of each batch that failed a check: quarantined, or loaded raw with flags';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.line_verdicts', '');

CREATE VIEW ecpipe.quality_trend AS
SELECT DISTINCT ON (q.batch_date, q.check_no)
       q.batch_date, q.check_no, q.check_name, q.population, q.failed, q.pass_rate, q.status, q.run_id, q.checked_at
FROM ecpipe.quality_log q
ORDER BY q.batch_date, q.check_no, q.run_id DESC;
COMMENT ON VIEW ecpipe.quality_trend IS 'pass rate of each check per batch day (latest validation), over time';

CREATE FUNCTION ecpipe.validate_batch(ds date, run_id bigint) RETURNS text
AS 'MODULE_PATHNAME', 'ecpipe_validate_batch'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.validate_batch(date, bigint) IS
    'runs the seven checks on landed batch ds as run run_id; writes validations, quality_log, line_verdicts';

CREATE FUNCTION ecpipe_validate(ds date)
RETURNS TABLE (check_no int, check_name text, population bigint, failed bigint, pass_rate numeric, status text)
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_run bigint := nextval('ecpipe.run_id_seq');
BEGIN
    PERFORM ecpipe.validate_batch(ds, v_run);
    RETURN QUERY
        SELECT q.check_no, q.check_name, q.population, q.failed, q.pass_rate, q.status
        FROM ecpipe.quality_log q WHERE q.run_id = v_run ORDER BY q.check_no;
END $$;
COMMENT ON FUNCTION ecpipe_validate(date) IS
    'the seven quality checks on the landed batch ds; one row per check; writes the quality log';

-------------------------------------------------------------------------------------------------------------------
-- Raw events (typed, one partition per event day) and quarantine.
-------------------------------------------------------------------------------------------------------------------
CREATE TABLE ecpipe.raw_events (
    event_day          date        NOT NULL,   -- date of event_time in ecpipe.timezone
    batch_date         date        NOT NULL,
    line_no            bigint      NOT NULL,
    run_id             bigint      NOT NULL,
    event_id           text        NOT NULL,
    event_type         text        NOT NULL,
    user_id            text        NOT NULL,
    session_id         text        NOT NULL,
    event_time         timestamptz NOT NULL,
    platform           text        NOT NULL,
    device_type        text        NOT NULL,
    os                 text,
    browser            text,
    page_url           text,
    page_type          text,
    referrer           text,
    element_id         text,
    element_type       text,
    product_id         text,
    category_id        text,
    position           bigint,
    quantity           bigint,
    unit_price         numeric(14,2),
    source_page        text,
    is_recommendation  boolean,
    order_id           text,
    total_amount       numeric(14,2),
    payment_method     text,
    extra_data         jsonb,                  -- always an object; decoded when it arrived as a string
    search_query       text,
    result_count       bigint,
    category_filter    text,
    sort_type          text,
    page_number        bigint,
    extras             jsonb,                  -- fields with no column of their own, kept as they came
    failed_checks      smallint    NOT NULL DEFAULT 0   -- bit n-1: failed check n (only 4, 6, 7 reach raw)
) PARTITION BY RANGE (event_day);
COMMENT ON TABLE ecpipe.raw_events IS
    'loaded events, typed; partitioned by event day (partitions are created on demand, named raw_events_YYYYMMDD, each with its own key and indexes)';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.raw_events', '');

CREATE TABLE ecpipe.quarantine (
    batch_date      date        NOT NULL,
    line_no         bigint      NOT NULL,
    line            text,                  -- the line as received (or line_bytes when it is not UTF-8 text)
    line_bytes      bytea,
    reasons         text[]      NOT NULL,  -- 'unparseable' and/or check names
    detail          text        NOT NULL,  -- e.g. 'value_validity: quantity: 120 > maximum 99'
    run_id          bigint      NOT NULL,
    quarantined_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_date, line_no)
);
COMMENT ON TABLE ecpipe.quarantine IS 'lines not loaded: unparseable, or failing checks 1, 2, 3 or 5; never dropped';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.quarantine', '');

-- The partition of raw_events for one event day, created if it does not exist yet (`created` says so). A new
-- partition gets its key and indexes from ecpipe.index_raw_partition once the load has filled it: building them
-- from sorted data is much cheaper than maintaining them row by row. The only place partition names are made.
CREATE FUNCTION ecpipe.raw_partition(day date, OUT part regclass, OUT created boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    name text := 'raw_events_' || to_char(day, 'YYYYMMDD');
BEGIN
    part := to_regclass('ecpipe.' || name);
    created := part IS NULL;
    IF created THEN
        EXECUTE format('CREATE TABLE ecpipe.%I PARTITION OF ecpipe.raw_events FOR VALUES FROM (%L) TO (%L)',
                       name, day, day + 1);
        part := to_regclass('ecpipe.' || name);
    END IF;
END $$;

-- The key and indexes of one day's partition. They belong to each partition rather than to the parent: the parent
-- is part of the extension and is not dumped, so partitioned indexes on it would be re-created on every partition
-- pg_restore attaches, and clash with the partition's own dumped indexes.
CREATE FUNCTION ecpipe.index_raw_partition(part regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (batch_date, line_no)', part);  -- within one event day
    -- a batch sits in one or two days; look-ups by user, session and type want equality only, and hash indexes
    -- over random text ids cost a third less to maintain than B-trees (measured, 158k-event load)
    EXECUTE format('CREATE INDEX ON %s USING brin (batch_date)', part);
    EXECUTE format('CREATE INDEX ON %s USING hash (user_id)', part);
    EXECUTE format('CREATE INDEX ON %s USING hash (session_id)', part);
    EXECUTE format('CREATE INDEX ON %s (event_type)', part);
END $$;

-------------------------------------------------------------------------------------------------------------------
-- The four marts, rebuilt per event day.
-------------------------------------------------------------------------------------------------------------------
CREATE TABLE ecpipe.mart_user_daily (
    activity_date           date          NOT NULL,
    user_id                 text          NOT NULL,
    session_count           bigint        NOT NULL,
    page_view_count         bigint        NOT NULL,
    click_count             bigint        NOT NULL,
    add_to_cart_count       bigint        NOT NULL,
    purchase_count          bigint        NOT NULL,
    search_count            bigint        NOT NULL,
    total_purchase_amount   numeric(14,2) NOT NULL,
    first_event_at          timestamptz   NOT NULL,
    last_event_at           timestamptz   NOT NULL,
    session_duration_total  interval      NOT NULL,
    run_id                  bigint        NOT NULL,
    PRIMARY KEY (activity_date, user_id)
);
SELECT pg_catalog.pg_extension_config_dump('ecpipe.mart_user_daily', '');

CREATE TABLE ecpipe.mart_funnel_daily (
    funnel_date              date         NOT NULL,
    platform                 text         NOT NULL,
    step1_viewers            bigint       NOT NULL,
    step2_clickers           bigint       NOT NULL,
    step3_cart_adders        bigint       NOT NULL,
    step4_purchasers         bigint       NOT NULL,
    view_to_click_rate       numeric(6,2),
    click_to_cart_rate       numeric(6,2),
    cart_to_purchase_rate    numeric(6,2),
    overall_conversion_rate  numeric(6,2),
    run_id                   bigint       NOT NULL,
    PRIMARY KEY (funnel_date, platform)
);
SELECT pg_catalog.pg_extension_config_dump('ecpipe.mart_funnel_daily', '');

CREATE TABLE ecpipe.mart_product_daily (
    activity_date    date          NOT NULL,
    product_id       text          NOT NULL,
    click_count      bigint        NOT NULL,
    cart_add_count   bigint        NOT NULL,
    purchase_count   bigint        NOT NULL,
    units_sold       numeric       NOT NULL,
    revenue          numeric(14,2) NOT NULL,
    unique_viewers   bigint        NOT NULL,
    unique_buyers    bigint        NOT NULL,
    conversion_rate  numeric(6,2),
    run_id           bigint        NOT NULL,
    PRIMARY KEY (activity_date, product_id)
);
SELECT pg_catalog.pg_extension_config_dump('ecpipe.mart_product_daily', '');

CREATE TABLE ecpipe.mart_orders (
    order_date       date          NOT NULL,
    order_id         text          NOT NULL,
    order_timestamp  timestamptz   NOT NULL,
    user_id          text          NOT NULL,
    session_id       text          NOT NULL,
    platform         text          NOT NULL,
    payment_method   text,
    total_amount     numeric(14,2),
    discount_amount  numeric(14,2) NOT NULL,
    shipping_fee     numeric(14,2) NOT NULL,
    coupon_code      text,
    item_count       bigint        NOT NULL,
    unit_count       numeric       NOT NULL,
    items_amount     numeric(14,2) NOT NULL,
    run_id           bigint        NOT NULL,
    PRIMARY KEY (order_date, order_id)
);
SELECT pg_catalog.pg_extension_config_dump('ecpipe.mart_orders', '');

-- Line items of a purchase's extra_data: entries with a non-empty string product_id and numeric quantity and
-- unit_price; every mart ignores the other entries.
CREATE FUNCTION ecpipe.line_items(extra_data jsonb)
RETURNS TABLE (product_id text, quantity numeric, unit_price numeric)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT i->>'product_id', (i->>'quantity')::numeric, (i->>'unit_price')::numeric
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(extra_data->'products') = 'array'
                                   THEN extra_data->'products' ELSE '[]'::jsonb END) AS i
    WHERE jsonb_typeof(i) = 'object'
      AND jsonb_typeof(i->'product_id') = 'string' AND i->>'product_id' <> ''
      AND jsonb_typeof(i->'quantity') = 'number' AND jsonb_typeof(i->'unit_price') = 'number'
$$;

-- A rate as the marts show it: round(100 × n / d, 2), NULL when d is 0.
CREATE FUNCTION ecpipe.rate(n numeric, d numeric) RETURNS numeric(6,2)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN d = 0 THEN NULL ELSE round(100 * n / d, 2) END
$$;

-- An amount from extra_data: a JSON number, else 0 (absent, null or not a number).
CREATE FUNCTION ecpipe.amount_or_zero(v jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN v::text::numeric ELSE 0 END
$$;

CREATE FUNCTION ecpipe.build_marts(day date, run_id bigint) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_run  bigint := coalesce(run_id, nextval('ecpipe.run_id_seq'));
    v_out  jsonb;
BEGIN
    IF day IS NULL THEN
        RAISE EXCEPTION 'ecpipe_build_marts: day must not be NULL' USING ERRCODE = '22004';
    END IF;
    DELETE FROM ecpipe.mart_user_daily WHERE activity_date = day;
    DELETE FROM ecpipe.mart_funnel_daily WHERE funnel_date = day;
    DELETE FROM ecpipe.mart_product_daily WHERE activity_date = day;
    DELETE FROM ecpipe.mart_orders WHERE order_date = day;

    -- One scan of the day's raw events (materialized once) feeds all four marts.
    WITH ev AS MATERIALIZED (
        SELECT r.event_type, r.user_id, r.session_id, r.platform, r.event_time, r.batch_date, r.line_no,
               r.product_id, r.order_id, r.total_amount, r.payment_method, r.extra_data
        FROM ecpipe.raw_events r WHERE r.event_day = day
    ),
    items AS MATERIALIZED (
        SELECT e.user_id, e.order_id, e.event_time, e.batch_date, e.line_no, li.product_id, li.quantity, li.unit_price
        FROM ev e CROSS JOIN LATERAL ecpipe.line_items(e.extra_data) li
        WHERE e.event_type = 'purchase'
    ),
    durations AS (
        SELECT s.user_id, sum(s.duration) AS total
        FROM (SELECT e.user_id, max(e.event_time) - min(e.event_time) AS duration
              FROM ev e GROUP BY e.user_id, e.session_id) s
        GROUP BY s.user_id
    ),
    users AS (
        INSERT INTO ecpipe.mart_user_daily
        SELECT day, u.user_id, u.sessions, u.page_views, u.clicks, u.carts, u.purchases, u.searches, u.amount,
               u.first_at, u.last_at, d.total, v_run
        FROM (SELECT e.user_id, count(DISTINCT e.session_id) AS sessions,
                     count(*) FILTER (WHERE e.event_type = 'page_view') AS page_views,
                     count(*) FILTER (WHERE e.event_type = 'click') AS clicks,
                     count(*) FILTER (WHERE e.event_type = 'add_to_cart') AS carts,
                     count(*) FILTER (WHERE e.event_type = 'purchase') AS purchases,
                     count(*) FILTER (WHERE e.event_type = 'search') AS searches,
                     coalesce(sum(e.total_amount) FILTER (WHERE e.event_type = 'purchase'), 0) AS amount,
                     min(e.event_time) AS first_at, max(e.event_time) AS last_at
              FROM ev e GROUP BY e.user_id) u
        JOIN durations d ON d.user_id = u.user_id
        RETURNING 1
    ),
    funnel AS (
        INSERT INTO ecpipe.mart_funnel_daily
        SELECT day, f.platform, f.s1, f.s2, f.s3, f.s4,
               ecpipe.rate(f.s2, f.s1), ecpipe.rate(f.s3, f.s2), ecpipe.rate(f.s4, f.s3), ecpipe.rate(f.s4, f.s1), v_run
        FROM (SELECT e.platform,
                     count(DISTINCT e.user_id) FILTER (WHERE e.event_type = 'page_view') AS s1,
                     count(DISTINCT e.user_id) FILTER (WHERE e.event_type = 'click') AS s2,
                     count(DISTINCT e.user_id) FILTER (WHERE e.event_type = 'add_to_cart') AS s3,
                     count(DISTINCT e.user_id) FILTER (WHERE e.event_type = 'purchase') AS s4
              FROM ev e GROUP BY e.platform) f
        RETURNING 1
    ),
    product_events AS (
        SELECT e.product_id, e.user_id, e.event_type AS source, NULL::numeric AS quantity, NULL::numeric AS unit_price
        FROM ev e
        WHERE (e.event_type = 'click' AND e.product_id IS NOT NULL) OR e.event_type = 'add_to_cart'
        UNION ALL
        SELECT i.product_id, i.user_id, 'line_item', i.quantity, i.unit_price FROM items i
    ),
    products AS (
        INSERT INTO ecpipe.mart_product_daily
        SELECT day, p.product_id,
               count(*) FILTER (WHERE p.source = 'click'),
               count(*) FILTER (WHERE p.source = 'add_to_cart'),
               count(*) FILTER (WHERE p.source = 'line_item'),
               coalesce(sum(p.quantity), 0),
               coalesce(sum(p.quantity * p.unit_price), 0),
               count(DISTINCT p.user_id) FILTER (WHERE p.source = 'click'),
               count(DISTINCT p.user_id) FILTER (WHERE p.source = 'line_item'),
               ecpipe.rate(count(DISTINCT p.user_id) FILTER (WHERE p.source = 'line_item'),
                           count(DISTINCT p.user_id) FILTER (WHERE p.source = 'click')),
               v_run
        FROM product_events p GROUP BY p.product_id
        RETURNING 1
    ),
    orders AS (
        INSERT INTO ecpipe.mart_orders
        SELECT day, o.order_id, o.event_time, o.user_id, o.session_id, o.platform, o.payment_method, o.total_amount,
               ecpipe.amount_or_zero(o.extra_data->'discount_amount'), ecpipe.amount_or_zero(o.extra_data->'shipping_fee'),
               CASE WHEN jsonb_typeof(o.extra_data->'coupon_code') = 'string' THEN o.extra_data->>'coupon_code' END,
               coalesce(t.item_count, 0), coalesce(t.unit_count, 0), coalesce(t.items_amount, 0), v_run
        FROM (SELECT DISTINCT ON (e.order_id) e.*
              FROM ev e WHERE e.event_type = 'purchase'
              ORDER BY e.order_id, e.event_time, e.batch_date, e.line_no) o
        LEFT JOIN LATERAL (
              SELECT count(*) AS item_count, sum(i.quantity) AS unit_count, sum(i.quantity * i.unit_price) AS items_amount
              FROM ecpipe.line_items(o.extra_data) i) t ON true
        RETURNING 1
    )
    SELECT jsonb_build_object('day', day, 'run_id', v_run,
                              'users', (SELECT count(*) FROM users), 'platforms', (SELECT count(*) FROM funnel),
                              'products', (SELECT count(*) FROM products), 'orders', (SELECT count(*) FROM orders))
    INTO v_out;
    RETURN v_out;
END $$;

CREATE FUNCTION ecpipe_build_marts(day date) RETURNS jsonb
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ecpipe.build_marts(day, NULL)
$$;
COMMENT ON FUNCTION ecpipe_build_marts(date) IS
    'rebuilds the four marts of one event day from ecpipe.raw_events (delete then insert, one transaction)';

CREATE FUNCTION ecpipe.load_batch(ds date, run_id bigint, build_marts boolean) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_load_batch'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.load_batch(date, bigint, boolean) IS
    'loads batch ds under run_id; days_rebuilt lists the event days whose marts need rebuilding (rebuilt when build_marts)';

CREATE FUNCTION ecpipe_load(ds date, run_id bigint DEFAULT NULL) RETURNS jsonb
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ecpipe.load_batch(ds, coalesce(run_id, nextval('ecpipe.run_id_seq')), true)
$$;
COMMENT ON FUNCTION ecpipe_load(date, bigint) IS
    'applies the latest validation of batch ds: when it passed, replaces its raw and quarantine rows and rebuilds the marts of every event day touched; returns the counts';

-------------------------------------------------------------------------------------------------------------------
-- Runs, their steps, and the notification outbox.
-------------------------------------------------------------------------------------------------------------------
CREATE TABLE ecpipe.runs (
    run_id        bigint      PRIMARY KEY,
    ds            date        NOT NULL,
    status        text        NOT NULL CHECK (status IN ('running', 'succeeded', 'blocked', 'no_data', 'failed')),
    started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at   timestamptz,
    seconds       numeric(12,3),
    loaded        bigint,
    quarantined   bigint,
    days_rebuilt  date[],
    checks        jsonb,
    failed_step   text,
    error         text,
    summary       jsonb
);
CREATE INDEX runs_ds ON ecpipe.runs (ds, run_id DESC);
COMMENT ON TABLE ecpipe.runs IS 'one row per ecpipe_run, kept whatever the outcome';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.runs', '');

CREATE TABLE ecpipe.run_steps (
    run_id       bigint      NOT NULL REFERENCES ecpipe.runs ON DELETE CASCADE,
    step_no      int         NOT NULL,
    name         text        NOT NULL CHECK (name IN ('collect', 'validate', 'load', 'marts', 'notify')),
    status       text        NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped')),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    rows         bigint,
    detail       text,
    PRIMARY KEY (run_id, step_no)
);
COMMENT ON TABLE ecpipe.run_steps IS 'one row per step of a run: collect, validate, load, marts, notify';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.run_steps', '');

CREATE TABLE ecpipe.notifications (
    id               bigserial   PRIMARY KEY,
    run_id           bigint,
    kind             text        NOT NULL,
    payload          jsonb       NOT NULL,
    status           text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'dead')),
    attempts         int         NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      int,                    -- HTTP status of the last attempt
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
CREATE INDEX notifications_due ON ecpipe.notifications (next_attempt_at) WHERE status = 'queued';
COMMENT ON TABLE ecpipe.notifications IS
    'Slack outbox: queued in the run''s transaction, delivered after commit by the worker or ecpipe_deliver_pending()';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.notifications', '');
SELECT pg_catalog.pg_extension_config_dump('ecpipe.notifications_id_seq', '');

CREATE FUNCTION ecpipe.slack_message(kind text, summary jsonb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'ecpipe_slack_message'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe.slack_message(text, jsonb) IS
    'Block Kit payload of kind quality_report, success, blocked, failed or no_data for a run summary';

CREATE FUNCTION ecpipe_notify(kind text, payload jsonb, run_id bigint DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO ecpipe.notifications (run_id, kind, payload) VALUES (run_id, kind, payload) RETURNING id
$$;
COMMENT ON FUNCTION ecpipe_notify(text, jsonb, bigint) IS
    'queues a Slack message in ecpipe.notifications; it is sent only if this transaction commits';

CREATE FUNCTION ecpipe_deliver_pending(max_messages int DEFAULT 100) RETURNS int
AS 'MODULE_PATHNAME', 'ecpipe_deliver_pending'
LANGUAGE C STRICT VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION ecpipe_deliver_pending(int) IS
    'delivers due notifications now, in this session (for setups without the background worker); returns how many were tried';
REVOKE ALL ON FUNCTION ecpipe_deliver_pending(int) FROM PUBLIC;

-- Records one step of a run (outside the step's own subtransaction, so it survives the step's failure).
CREATE FUNCTION ecpipe.record_step(run bigint, step_name text, step_status text, started timestamptz,
                                   step_rows bigint, step_detail text) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO ecpipe.run_steps (run_id, step_no, name, status, started_at, finished_at, rows, detail)
    SELECT run, coalesce(max(s.step_no), 0) + 1, step_name, step_status, started, clock_timestamp(), step_rows, step_detail
    FROM ecpipe.run_steps s WHERE s.run_id = run
$$;

CREATE FUNCTION ecpipe_run(ds date DEFAULT NULL) RETURNS jsonb
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

    -- collect: land <landing_dir>/events_YYYYMMDD.jsonl when the batch is not landed yet
    v_t := clock_timestamp();
    SELECT count(*) INTO v_lines FROM ecpipe.landing l WHERE l.batch_date = v_ds;
    IF v_lines > 0 THEN
        PERFORM ecpipe.record_step(v_run, 'collect', 'skipped', v_t, v_lines, 'already landed');
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
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS v_err = MESSAGE_TEXT;
            v_step := 'collect';
            PERFORM ecpipe.record_step(v_run, 'collect', 'failed', v_t, NULL, v_err);
        END;
    END IF;

    -- validate
    IF v_step IS NULL THEN
        v_t := clock_timestamp();
        BEGIN
            v_valid := ecpipe.validate_batch(v_ds, v_run);
            SELECT jsonb_agg(jsonb_build_object('check_no', q.check_no, 'check_name', q.check_name,
                                                'population', q.population, 'failed', q.failed,
                                                'pass_rate', q.pass_rate, 'status', q.status,
                                                'sample', q.samples->0->>'reason') ORDER BY q.check_no)
              INTO v_checks FROM ecpipe.quality_log q WHERE q.run_id = v_run;
            SELECT v.lines INTO v_lines FROM ecpipe.validations v WHERE v.run_id = v_run;
            PERFORM ecpipe.record_step(v_run, 'validate', 'succeeded', v_t, v_lines, v_valid);
        EXCEPTION WHEN OTHERS THEN
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
                v_load := ecpipe.load_batch(v_ds, v_run, false);
                PERFORM ecpipe.record_step(v_run, 'load', 'succeeded', v_t,
                                           (v_load->>'loaded')::bigint + (v_load->>'quarantined')::bigint,
                                           format('%s loaded, %s quarantined', v_load->>'loaded', v_load->>'quarantined'));
                v_step := 'marts';
                v_t := clock_timestamp();
                FOR v_day IN SELECT jsonb_array_elements_text(v_load->'days_rebuilt')::date LOOP
                    PERFORM ecpipe.build_marts(v_day, v_run);
                    v_days := v_days || v_day;
                END LOOP;
                PERFORM ecpipe.record_step(v_run, 'marts', 'succeeded', v_t, cardinality(v_days),
                                           array_to_string(v_days, ', '));
                v_step := NULL;
                v_status := 'succeeded';
                EXIT;
            EXCEPTION WHEN OTHERS THEN
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

    SELECT count(DISTINCT r.user_id) AS users, count(DISTINCT r.session_id) AS sessions,
           count(DISTINCT r.order_id) FILTER (WHERE r.event_type = 'purchase') AS orders,
           coalesce(sum(r.total_amount) FILTER (WHERE r.event_type = 'purchase'), 0) AS revenue
      INTO v_stats FROM ecpipe.raw_events r WHERE r.batch_date = v_ds AND v_status = 'succeeded';
    v_summary := jsonb_build_object(
        'run_id', v_run, 'ds', v_ds, 'status', v_status, 'checks', coalesce(v_checks, '[]'::jsonb),
        'loaded', coalesce((v_load->>'loaded')::bigint, 0), 'quarantined', coalesce((v_load->>'quarantined')::bigint, 0),
        'days_rebuilt', to_jsonb(v_days), 'users', v_stats.users, 'sessions', v_stats.sessions,
        'orders', v_stats.orders, 'revenue', v_stats.revenue,
        'seconds', round(extract(epoch FROM clock_timestamp() - v_start)::numeric, 3),
        'step', v_step, 'error', v_err);

    -- notify: the quality report, then the outcome; queued in this transaction, sent only after it commits
    v_t := clock_timestamp();
    BEGIN
        IF v_checks IS NOT NULL AND v_status <> 'no_data' THEN
            PERFORM @extschema@.ecpipe_notify('quality_report', ecpipe.slack_message('quality_report', v_summary), v_run);
        END IF;
        PERFORM @extschema@.ecpipe_notify(
            CASE v_status WHEN 'succeeded' THEN 'success' ELSE v_status END,
            ecpipe.slack_message(CASE v_status WHEN 'succeeded' THEN 'success' ELSE v_status END, v_summary), v_run);
        PERFORM ecpipe.record_step(v_run, 'notify', 'succeeded', v_t,
                                   CASE WHEN v_checks IS NOT NULL AND v_status <> 'no_data' THEN 2 ELSE 1 END, NULL);
    EXCEPTION WHEN OTHERS THEN
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
COMMENT ON FUNCTION ecpipe_run(date) IS
    'the whole day (default: yesterday in ecpipe.timezone): collect, validate, gate, load, marts, notify; returns the run summary';

CREATE FUNCTION ecpipe_backfill(from_day date, to_day date) RETURNS SETOF jsonb
LANGUAGE plpgsql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d date;
BEGIN
    IF to_day < from_day THEN
        RAISE EXCEPTION 'ecpipe_backfill: % is before %', to_day, from_day USING ERRCODE = '22023';
    END IF;
    FOR d IN SELECT generate_series(from_day, to_day, interval '1 day')::date LOOP
        RETURN NEXT @extschema@.ecpipe_run(d);  -- a blocked or failed day is reported and the next one runs
    END LOOP;
END $$;
COMMENT ON FUNCTION ecpipe_backfill(date, date) IS 'runs each day from from_day to to_day in order; one summary per day';

CREATE FUNCTION ecpipe_schedule(cron text DEFAULT '0 17 * * *') RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_job bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'ecpipe_schedule needs the pg_cron extension'
              USING ERRCODE = '55000', HINT = 'Add pg_cron to shared_preload_libraries, then CREATE EXTENSION pg_cron.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO v_job USING 'ecpipe-daily', cron, 'SELECT ecpipe_run()';
    RETURN v_job;
END $$;
COMMENT ON FUNCTION ecpipe_schedule(text) IS 'creates or replaces the pg_cron job ecpipe-daily running SELECT ecpipe_run()';

CREATE FUNCTION ecpipe_unschedule() RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_done boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'ecpipe_unschedule needs the pg_cron extension' USING ERRCODE = '55000';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cron.job WHERE jobname = 'ecpipe-daily') THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT cron.unschedule($1)' INTO v_done USING 'ecpipe-daily';
    RETURN v_done;
END $$;
COMMENT ON FUNCTION ecpipe_unschedule() IS 'removes the pg_cron job ecpipe-daily; false when there was none';
