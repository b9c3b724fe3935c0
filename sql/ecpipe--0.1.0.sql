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
