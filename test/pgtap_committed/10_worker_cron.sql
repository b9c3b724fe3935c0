-- Needs committed state, so no enclosing transaction: the background worker delivers only what committed, and the
-- pg_cron job made by ecpipe_schedule really runs ecpipe_run. Cleans up after itself.
SELECT plan(5);
CREATE EXTENSION ecpipe;
CREATE FUNCTION pg_temp.wait_for(condition text, seconds int) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  ok boolean;
BEGIN
  FOR i IN 1 .. seconds * 5 LOOP
    EXECUTE condition INTO ok;
    IF ok THEN RETURN true; END IF;
    PERFORM pg_sleep(0.2);
  END LOOP;
  RETURN false;
END $$;
CREATE FUNCTION pg_temp.received(path_like text) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM regexp_split_to_table(pg_read_file(current_setting('ecpipe_test.receiver_log')), E'\n') l
  WHERE l <> '' AND (l::jsonb)->>'path' LIKE path_like
$$;
SELECT set_config('ecpipe_test.receiver_log', :'fixtures' || '/receiver.log', false);

SELECT format('ALTER SYSTEM SET ecpipe.webhook_allowed_hosts = %L', substring(:'receiver' from '//(.*)$')) \gexec
-- the worker reads the URL from a file (a URL itself is refused in the configuration: it would reach the log)
SELECT format('COPY (SELECT %L) TO %L', :'receiver' || '/worker/200', :'fixtures' || '/worker_webhook_url') \gexec
SELECT format('ALTER SYSTEM SET ecpipe.slack_webhook_url = %L', 'file:' || :'fixtures' || '/worker_webhook_url') \gexec
SELECT pg_reload_conf();

BEGIN;
SELECT ecpipe_notify('success', '{"text": "rolled back"}');
ROLLBACK;
SELECT ecpipe_notify('success', '{"text": "committed"}');
SELECT ok(pg_temp.wait_for($$SELECT coalesce(bool_and(status = 'delivered'), false) FROM ecpipe.notifications$$, 30),
          'the worker delivers a committed message by itself');
SELECT is(pg_temp.received('/worker/%'), 1::bigint, 'exactly once, and nothing of the rolled-back one');
SELECT is((SELECT body::jsonb->>'text' FROM (
             SELECT (l::jsonb)->>'body' AS body FROM regexp_split_to_table(pg_read_file(current_setting('ecpipe_test.receiver_log')), E'\n') l
              WHERE l <> '' AND (l::jsonb)->>'path' LIKE '/worker/%') s), 'committed', 'the payload as queued');

SELECT ok(ecpipe_schedule('* * * * *') > 0, 'scheduled every minute');
SELECT ok(pg_temp.wait_for($$SELECT count(*) > 0 FROM ecpipe.runs$$, 70), 'pg_cron ran ecpipe_run within 70 seconds');

SELECT ecpipe_unschedule();
ALTER SYSTEM RESET ecpipe.slack_webhook_url;
ALTER SYSTEM RESET ecpipe.webhook_allowed_hosts;
SELECT pg_reload_conf();
DROP EXTENSION ecpipe;
SELECT * FROM finish();
