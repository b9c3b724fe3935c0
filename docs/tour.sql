-- A tour of ecpipe in psql. Run it as a superuser, in the database named by cron.database_name, on a server
-- configured as docs/OPERATIONS.md "Setup" says (postgresql.conf part):   psql -d shop -f docs/tour.sql
CREATE EXTENSION IF NOT EXISTS pg_cron;                   -- the scheduler (its database only)
CREATE EXTENSION IF NOT EXISTS ecpipe;                    -- schema ecpipe, tables, functions, two roles
-- land a day: generated events written where a source would deliver them, <landing_dir>/events_YYYYMMDD.jsonl
SELECT current_setting('ecpipe.landing_dir') || '/events_20260117.jsonl' AS file \gset
COPY (SELECT l FROM ecpipe_generate('2026-01-17', 500, 1) l)
  TO :'file' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
SELECT ecpipe_run('2026-01-17');  -- reads the file in place: validate → gate → load → marts → notify; a summary
SELECT * FROM ecpipe.quality_trend;         -- pass rate of each check per day
SELECT * FROM ecpipe.mart_funnel_daily WHERE funnel_date = '2026-01-17';
SELECT * FROM ecpipe.quarantine;            -- lines not loaded, with reasons (none on a clean day)
SELECT * FROM ecpipe.runs; SELECT * FROM ecpipe.run_steps;               -- history
-- a day with 2% bad events: blocked, nothing loaded; the lines that would be quarantined, by reason
SELECT current_setting('ecpipe.landing_dir') || '/events_20260118.jsonl' AS file \gset
COPY (SELECT l FROM ecpipe_generate('2026-01-18', 500, 1, 0.02) l)
  TO :'file' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
SELECT ecpipe_run('2026-01-18')->>'status' AS status;                    -- blocked
SELECT reasons, count(*) FROM ecpipe.line_verdicts WHERE batch_date = '2026-01-18' GROUP BY 1 ORDER BY 2 DESC;
-- this replaces the database's job 'ecpipe-daily', whoever scheduled it (Setup's, as etl): it now runs as you
SELECT ecpipe_schedule();                   -- pg_cron job 'ecpipe-daily' at 17:00 GMT running ecpipe_run()
SELECT * FROM ecpipe.current_runs;          -- from another session: the step running now, lines done, rate
-- the dashboard, one HTML page, written by psql to report.html in its working directory
\pset format unaligned
\pset tuples_only on
SELECT ecpipe_report_html('2026-01-17', '2026-01-18') \g report.html
\pset format aligned
\pset tuples_only off
