-- First start of the container: install ecpipe and pg_cron, and schedule the daily run (17:00 UTC).
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS ecpipe;
SELECT ecpipe_schedule('0 17 * * *');
