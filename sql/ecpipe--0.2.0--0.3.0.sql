-- ecpipe 0.2.0 -> 0.3.0: hardening. Each section below says what it changes and why.
-- CREATE EXTENSION ecpipe installs 0.1.0 and then the upgrade scripts, so a fresh install and an upgrade are the same.
\echo Use "ALTER EXTENSION ecpipe UPDATE TO '0.3.0'" to load this file. \quit

-- == hostile data sources: ecpipe_ingest raises an error for a NULL ds or path (it was STRICT and returned NULL) ==
ALTER FUNCTION @extschema@.ecpipe_ingest(date, text) CALLED ON NULL INPUT;
COMMENT ON FUNCTION @extschema@.ecpipe_ingest(date, text) IS
    'Lands a server-side JSONL file (a regular file; lines longer than ecpipe.max_line_bytes keep their first bytes) as batch ds, replacing it; returns the number of lines';
