-- ecpipe 0.1.0: schema ecpipe, its tables, and the ecpipe_* functions.
\echo Use "CREATE EXTENSION ecpipe" to load this file. \quit

CREATE SCHEMA ecpipe;
COMMENT ON SCHEMA ecpipe IS 'ecpipe: landing, quality, raw events, quarantine, marts and run history';

-------------------------------------------------------------------------------------------------------------------
-- Landing: one batch per ds, every line kept with its 1-based position.
-------------------------------------------------------------------------------------------------------------------
CREATE TABLE ecpipe.landing (
    batch_date  date        NOT NULL,
    line_no     bigint      NOT NULL CHECK (line_no >= 1),
    line        text,                       -- the line as received, when it is valid UTF-8 without NUL bytes
    line_bytes  bytea,                      -- otherwise its exact bytes
    landed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (batch_date, line_no),
    CHECK ((line IS NULL) <> (line_bytes IS NULL))
);
COMMENT ON TABLE ecpipe.landing IS 'JSON Lines landed per batch (ds); line_no is the 1-based arrival position';
SELECT pg_catalog.pg_extension_config_dump('ecpipe.landing', '');

-- Client-side landing: SET ecpipe.landing_date, then \copy a file into this view (see README). The statement
-- trigger replaces the batch; the row trigger numbers lines in arrival order.
CREATE VIEW ecpipe.landing_import AS SELECT line FROM ecpipe.landing WHERE false;
COMMENT ON VIEW ecpipe.landing_import IS 'COPY target for client-side landing of the batch named by ecpipe.landing_date';

CREATE FUNCTION ecpipe.landing_import_batch() RETURNS date
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d date := nullif(current_setting('ecpipe.landing_date'), '')::date;
BEGIN
    IF d IS NULL THEN
        RAISE EXCEPTION 'ecpipe.landing_date is not set'
            USING HINT = 'Run SET ecpipe.landing_date = ''YYYY-MM-DD'' before copying into ecpipe.landing_import.';
    END IF;
    RETURN d;
END $$;

CREATE FUNCTION ecpipe.landing_import_start() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM ecpipe.landing WHERE batch_date = ecpipe.landing_import_batch();
    RETURN NULL;
END $$;

CREATE FUNCTION ecpipe.landing_import_line() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d date := ecpipe.landing_import_batch();
BEGIN
    INSERT INTO ecpipe.landing (batch_date, line_no, line)
    SELECT d, coalesce(max(l.line_no), 0) + 1, coalesce(NEW.line, '')
    FROM ecpipe.landing l WHERE l.batch_date = d;
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
