-- What data and callers can make ecpipe say, and to whom: a hostile platform or error text never reaches Slack as
-- live mrkdwn; any payload is sanitized when queued and when sent; the webhook URL is never shown (pg_monitor
-- included) and cannot be stored where every role reads it; the allowlist judges the port.
BEGIN;
SELECT plan(30);
CREATE EXTENSION ecpipe;
CREATE FUNCTION pg_temp.received(path_like text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT (l::jsonb)->>'body' FROM regexp_split_to_table(pg_read_file(current_setting('ecpipe_test.receiver_log')), E'\n') l
  WHERE l <> '' AND (l::jsonb)->>'path' LIKE path_like
$$;
CREATE FUNCTION pg_temp.show(setting text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v text;
BEGIN EXECUTE 'SHOW ' || setting INTO v; RETURN v; END $$;
SELECT set_config('ecpipe_test.receiver_log', :'fixtures' || '/receiver.log', false);

-- A session on web whose second event claims platform "<!channel> <https://evil.example|sign in>".
INSERT INTO ecpipe.landing (batch_date, line_no, line)
SELECT '2024-05-01', n, format('{"event_id": "00000000-0000-4000-8000-%s", "event_type": "page_view", "user_id": "U000001", '
       '"session_id": "00000000-0000-4000-9000-000000000001", "timestamp": "2024-05-01T10:0%s:00", "platform": %s, '
       '"device_type": "desktop", "page_url": "https://shop.example.com/home", "page_type": "home"}',
       lpad(n::text, 12, '0'), n, to_jsonb(p))
FROM (VALUES (1, 'web'), (2, '<!channel> <https://evil.example|sign in>')) AS v(n, p);
SELECT is(ecpipe_run('2024-05-01')->>'status', 'blocked', 'the hostile day is blocked');
SELECT ok((SELECT bool_and(strpos(payload::text, '&lt;!channel&gt; &lt;https://evil.example|sign in&gt;') > 0)
             FROM ecpipe.notifications WHERE kind = 'quality_report'),
          'the report quotes the platform escaped');
SELECT ok((SELECT payload->'blocks'->2->'text'->>'text' ~ '`[^`\n]*&lt;!channel&gt; &lt;https://evil\.example\|sign in&gt;[^`\n]*`'
             FROM ecpipe.notifications WHERE kind = 'quality_report'),
          'inside a code span');
SELECT is((SELECT count(*) FROM ecpipe.notifications WHERE strpos(payload::text, '<') > 0), 0::bigint,
          'no message of the run holds a live < at all');

-- An error text quoting data: the failed alert shows it in a code block, escaped, its backticks unable to close it.
CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'bad value "<!here>" ```'; END $$;
CREATE TRIGGER refuse BEFORE INSERT ON ecpipe.run_steps FOR EACH ROW
  WHEN (NEW.name = 'validate' AND NEW.status = 'succeeded') EXECUTE FUNCTION pg_temp.refuse();
SELECT is(ecpipe_run('2024-05-01')->>'status', 'failed', 'a run whose validate step fails with an error quoting data');
DROP TRIGGER refuse ON ecpipe.run_steps;
SELECT is((SELECT payload->'blocks'->2->'text'->>'text' FROM ecpipe.notifications WHERE kind = 'failed'),
          E'```bad value "&lt;!here&gt;" \u02CB\u02CB\u02CB```', 'the alert quotes the error escaped in a code block');
DELETE FROM ecpipe.notifications;

-- An operator's message is data too: stored and sent sanitized (no mention, no link, no channel or name override).
SET ROLE ecpipe_operator;
SELECT ecpipe_notify('custom',
         '{"text": "<!channel> pay here: <https://evil.example|invoice>", "channel": "#general", "username": "CEO",
           "link_names": 1, "blocks": [{"type": "actions", "elements": [{"type": "button", "url": "https://evil.example"}]}]}');
SELECT is((SELECT payload FROM ecpipe.notifications WHERE kind = 'custom'),
          '{"text": "&lt;!channel&gt; pay here: &lt;https://evil.example|invoice&gt;", "unfurl_links": false, "unfurl_media": false}'::jsonb,
          'ecpipe_notify stores only the sanitized payload');
SELECT throws_ok($$SELECT ecpipe_notify('custom', '[1]')$$, '22023',
                 'ecpipe: a Slack payload must be a JSON object with "text" or "blocks"', 'a payload that is no message is refused');
SELECT is(ecpipe.slack_message('no_data', '{"ds": "<!here>"}')->>'text', '[NO DATA] 적재할 데이터 없음 (&lt;!here&gt;)',
          'slack_message escapes whatever summary an operator passes');
RESET ROLE;
DELETE FROM ecpipe.notifications;

-- Delivery sanitizes whatever sits in the outbox (a row written directly), and the allowlist names the port.
SELECT set_config('ecpipe.webhook_allowed_hosts', substring(:'receiver' from '//(.*)$'), false);
SET ecpipe.notify_retry_base = 0;
SELECT set_config('ecpipe.slack_webhook_url', :'receiver' || '/safety/200', false);
INSERT INTO ecpipe.notifications (kind, payload) VALUES ('direct', '{"text": "<!here> & <@U1>", "link_names": 1}'),
                                                       ('direct', '[1]');
SELECT is(ecpipe_deliver_pending(), 2, 'two rows tried');
SELECT is((SELECT string_agg(b, ' | ') FROM pg_temp.received('/safety/%') b),
          '{"text":"&lt;!here&gt; &amp; &lt;@U1&gt;","unfurl_links":false,"unfurl_media":false}',
          'the direct row is sent sanitized');
SELECT is((SELECT row(status, attempts, last_error)::text FROM ecpipe.notifications WHERE payload = '[1]'),
          '(dead,0,"a Slack payload must be a JSON object with ""text"" or ""blocks""")', 'the other is dead, never sent');
DELETE FROM ecpipe.notifications;
SET ecpipe.webhook_allowed_hosts = '127.0.0.1';
SELECT ecpipe_notify('success', '{"text": "wrong port"}');
SELECT ecpipe_deliver_pending();
SELECT is((SELECT last_error FROM ecpipe.notifications),
          format('host 127.0.0.1 port %s is not in ecpipe.webhook_allowed_hosts', substring(:'receiver' from ':(\d+)$')),
          'a host listed without a port allows 443 only');
SELECT throws_ok($$SET ecpipe.webhook_allowed_hosts = 'hooks.slack.com:http'$$, '22023', NULL, 'a bad entry is refused');
DELETE FROM ecpipe.notifications;
RESET ecpipe.webhook_allowed_hosts;

-- The URL is never shown: not to a pg_monitor member, not to an operator, not even to a superuser.
SELECT set_config('ecpipe.slack_webhook_url', 'https://hooks.slack.com/services/T0/B0/s3cr3t-token', false);
SELECT is(current_setting('ecpipe.slack_webhook_url'), '********', 'a superuser sees ********');
CREATE ROLE ecpipe_test_monitor IN ROLE pg_monitor;
SET ROLE ecpipe_test_monitor;
SELECT is(current_setting('ecpipe.slack_webhook_url'), '********', 'pg_monitor: current_setting shows ********');
SELECT is(pg_temp.show('ecpipe.slack_webhook_url'), '********', 'pg_monitor: SHOW shows ********');
SELECT is((SELECT count(*) FROM pg_settings WHERE name = 'ecpipe.slack_webhook_url'), 0::bigint,
          'pg_monitor: not in pg_settings');
SELECT throws_ok($$SELECT * FROM pg_file_settings$$, '42501', NULL, 'pg_monitor: pg_file_settings is not readable');
SELECT throws_ok($$SET ecpipe.slack_webhook_url = 'https://evil.example/x'$$, '42501', NULL, 'pg_monitor: cannot set it');
RESET ROLE;
SET ROLE ecpipe_operator;
SELECT throws_ok($$SELECT current_setting('ecpipe.slack_webhook_url')$$, '42501', NULL, 'operator: current_setting refused');
SELECT throws_ok($$SELECT ecpipe.setting('ecpipe.Slack_Webhook_URL')$$, '22023', NULL,
                 'operator: ecpipe.setting refuses the URL in any spelling');
SELECT throws_ok($$SET ecpipe.webhook_allowed_hosts = 'evil.example'$$, '42501', NULL, 'operator: cannot widen the allowlist');
SELECT throws_ok($$SELECT ecpipe_deliver_pending()$$, '42501', NULL, 'operator: cannot deliver (with their own settings)');
RESET ROLE;
SELECT set_config('ecpipe.slack_webhook_url', 'file:/etc/ecpipe/slack_webhook', false);
SELECT is(current_setting('ecpipe.slack_webhook_url'), 'file:/etc/ecpipe/slack_webhook', 'a file reference is shown as it is');

-- A URL cannot be stored where every role reads it (pg_db_role_setting, pg_proc.proconfig).
SELECT throws_ok(format('ALTER DATABASE %I SET ecpipe.slack_webhook_url = %L', current_database(),
                        'https://hooks.slack.com/services/T0/B0/s3cr3t-token'), '22023',
                 'ecpipe.slack_webhook_url takes a URL only from SET in a session; in a configuration file, ALTER SYSTEM, ALTER DATABASE, ALTER ROLE or a function''s SET it must be file:<absolute path>',
                 'ALTER DATABASE SET refuses a URL');
SELECT throws_ok($$ALTER ROLE ecpipe_test_monitor SET ecpipe.slack_webhook_url = 'https://hooks.slack.com/x'$$, '22023', NULL,
                 'ALTER ROLE SET refuses a URL');
SELECT throws_ok($$CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql SET ecpipe.slack_webhook_url = 'https://hooks.slack.com/x' AS 'SELECT 1'$$,
                 '22023', NULL, 'a function''s SET refuses a URL');
SELECT lives_ok(format('ALTER DATABASE %I SET ecpipe.slack_webhook_url = %L', current_database(), 'file:/etc/ecpipe/slack_webhook'),
                'a file reference may be stored');
SELECT throws_ok($$SET ecpipe.slack_webhook_url = 'file:relative/path'$$, '22023', NULL, 'a file reference is absolute');

SELECT * FROM finish();
ROLLBACK;
