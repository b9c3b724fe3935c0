-- The extension installs: schema, landing tables, functions with pinned search_path, pg_dump registration.
BEGIN;
SELECT plan(9);
CREATE EXTENSION ecpipe;

SELECT has_schema('ecpipe');
SELECT has_table('ecpipe', 'landing', 'landing table exists');
SELECT has_table('ecpipe', 'landing_import', 'client-side landing table exists');
SELECT columns_are('ecpipe', 'landing', ARRAY['batch_date', 'line_no', 'line', 'line_bytes', 'landed_at']);
SELECT col_is_pk('ecpipe'::name, 'landing'::name, ARRAY['batch_date', 'line_no']::name[], 'landing key is (batch_date, line_no)');
SELECT has_function('public', 'ecpipe_generate', ARRAY['date', 'integer', 'bigint', 'double precision']);
SELECT has_function('public', 'ecpipe_ingest', ARRAY['date', 'text']);
SELECT is(
  (SELECT count(*)::int FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'ecpipe'
   WHERE p.prokind = 'f' AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
     AND p.oid NOT IN ('ecpipe.landing_import_next_line()'::regprocedure,  -- per-line, read no name
                       'ecpipe.landing_import_date()'::regprocedure,
                       'ecpipe.landing_import_started()'::regprocedure,
                       'ecpipe.line_event_day(text, text)'::regprocedure,
                       'ecpipe.route_key(text, bigint)'::regprocedure)),
  0, 'every ecpipe function pins search_path but the \copy defaults of batch, number and stamp and a line''s route key and day');
SELECT ok(
  (SELECT 'ecpipe.landing'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'ecpipe'),
  'landing is dumped by pg_dump');

SELECT * FROM finish();
ROLLBACK;
