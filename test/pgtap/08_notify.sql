-- Delivery through ecpipe_deliver_pending() to the local receiver: 2xx, retries with backoff, 429 Retry-After,
-- 4xx dead, timeouts, the host allowlist, and the secrecy of the webhook URL.
BEGIN;
SELECT plan(17);
CREATE EXTENSION ecpipe;
CREATE FUNCTION pg_temp.received(path_like text) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM regexp_split_to_table(pg_read_file(current_setting('ecpipe_test.receiver_log')), E'\n') l
  WHERE l <> '' AND (l::jsonb)->>'path' LIKE path_like
$$;
SELECT set_config('ecpipe_test.receiver_log', :'fixtures' || '/receiver.log', false);
-- the receiver listens on 127.0.0.1:<port>: an allowlist entry without a port would allow 443 only
SELECT set_config('ecpipe.webhook_allowed_hosts', substring(:'receiver' from '//(.*)$'), false);
SET ecpipe.notify_retry_base = 0;

-- No URL: messages stay queued and visible.
SELECT ecpipe_notify('success', '{"text": "hello"}');
SELECT is(ecpipe_deliver_pending(), 0, 'without a webhook URL nothing is sent');
SELECT is((SELECT status FROM ecpipe.notifications), 'queued', 'and the message stays queued');
DELETE FROM ecpipe.notifications;

-- 500 then 200: retried, then delivered once.
SELECT set_config('ecpipe.slack_webhook_url', :'receiver' || '/retry/500,200', false);
SELECT ecpipe_notify('success', '{"text": "retry me"}');
SELECT is(ecpipe_deliver_pending(), 1, 'first attempt');
SELECT is((SELECT row(status, attempts, last_status)::text FROM ecpipe.notifications), '(queued,1,500)', '500 is retried');
SELECT is(ecpipe_deliver_pending(), 1, 'second attempt');
SELECT is((SELECT row(status, attempts, last_status, delivered_at IS NOT NULL)::text FROM ecpipe.notifications),
          '(delivered,2,200,t)', 'then delivered');
SELECT is(ecpipe_deliver_pending(), 0, 'a delivered message is not sent again');
SELECT is(pg_temp.received('/retry/%'), 2::bigint, 'the receiver saw exactly two attempts');
DELETE FROM ecpipe.notifications;

-- 400: dead at once.
SELECT set_config('ecpipe.slack_webhook_url', :'receiver' || '/bad/400', false);
SELECT ecpipe_notify('success', '{"text": "bad"}');
SELECT ecpipe_deliver_pending();
SELECT is((SELECT row(status, attempts, last_status)::text FROM ecpipe.notifications), '(dead,1,400)', '400 is dead at once');
DELETE FROM ecpipe.notifications;

-- 429 with Retry-After: 7 — the next attempt waits 7 seconds.
SET ecpipe.notify_retry_base = 30;
SELECT set_config('ecpipe.slack_webhook_url', :'receiver' || '/limited/429-7', false);
SELECT ecpipe_notify('success', '{"text": "slow down"}');
SELECT ecpipe_deliver_pending();
SELECT is((SELECT row(status, last_status, round(extract(epoch FROM next_attempt_at - now())))::text FROM ecpipe.notifications),
          '(queued,429,7)', '429 honours Retry-After');
DELETE FROM ecpipe.notifications;

-- A hanging receiver: the attempt times out and is retried with backoff; the last attempt makes it dead.
SET ecpipe.webhook_timeout = '500ms';
SET ecpipe.notify_max_attempts = 2;
SET ecpipe.notify_retry_base = 0;
SELECT set_config('ecpipe.slack_webhook_url', :'receiver' || '/slow/hang', false);
SELECT ecpipe_notify('success', '{"text": "anyone?"}');
SELECT ecpipe_deliver_pending();
SELECT is((SELECT row(status, attempts, last_error)::text FROM ecpipe.notifications), '(queued,1,"timed out")',
          'a timeout is retried');
SELECT ecpipe_deliver_pending();
SELECT is((SELECT row(status, attempts)::text FROM ecpipe.notifications), '(dead,2)', 'up to notify_max_attempts');
DELETE FROM ecpipe.notifications;
RESET ecpipe.webhook_timeout;
RESET ecpipe.notify_max_attempts;

-- A host outside the allowlist is never contacted.
SELECT set_config('ecpipe.slack_webhook_url', replace(:'receiver', '127.0.0.1', 'localhost') || '/never/200', false);
SELECT ecpipe_notify('success', '{"text": "no"}');
SELECT ecpipe_deliver_pending();
SELECT is(pg_temp.received('/never/%'), 0::bigint, 'a disallowed host is never contacted');
SELECT is((SELECT row(status, attempts, last_error)::text FROM ecpipe.notifications),
          format('(queued,0,"host localhost port %s is not in ecpipe.webhook_allowed_hosts")', substring(:'receiver' from ':(\d+)$')),
          'the message waits, saying why');
DELETE FROM ecpipe.notifications;

-- The URL is a secret: other roles can neither read nor set it.
CREATE ROLE ecpipe_test_reader;
SET ROLE ecpipe_test_reader;
SELECT throws_ok($$SHOW ecpipe.slack_webhook_url$$, '42501', NULL, 'a non-superuser cannot SHOW the URL');
SELECT is((SELECT count(*) FROM pg_settings WHERE name = 'ecpipe.slack_webhook_url'), 0::bigint, 'nor see it in pg_settings');
SELECT throws_ok($$SET ecpipe.slack_webhook_url = 'https://hooks.slack.com/x'$$, '42501', NULL, 'nor set it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
