-- Hostile data sources: check 7's reference platform, values cut in reasons and
-- samples, U+0000 in a decoded extra_data, too many JSON values, the line length bound, what ecpipe_ingest opens.
-- FIFOs, /dev/zero, cancels and memory are in test/hostile_sources.sh (they need a timeout and fresh sessions).
BEGIN;
SELECT plan(37);
CREATE EXTENSION ecpipe;
SET ecpipe.min_pass_rate = 0;  -- the hostile lines alone make a batch: let it load to see where each line goes

-- ev(id, second, platform, extra): a valid page_view of session 1 at 2024-05-10T10:00:<second>Z (no platform when
-- platform is NULL), with `extra` (a JSON fragment) appended as written.
CREATE FUNCTION pg_temp.ev(id int, sec int, platform text, extra text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
  SELECT rtrim(jsonb_strip_nulls(jsonb_build_object(
    'event_id', format('00000000-0000-4000-8000-%s', lpad(id::text, 12, '0')), 'event_type', 'page_view',
    'user_id', 'U000001', 'session_id', '00000000-0000-4000-8000-000000900001',
    'timestamp', format('2024-05-10T10:00:%sZ', lpad(sec::text, 2, '0')), 'platform', platform,
    'device_type', CASE WHEN platform IN ('ios', 'android') THEN 'mobile' ELSE 'desktop' END,
    'page_url', 'https://shop.example.com/home', 'page_type', 'home'))::text, '}')
    || coalesce(', ' || extra, '') || '}'
$$;
CREATE FUNCTION pg_temp.many_keys(n int) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(format('"k%s": %s', i, i), ', ') FROM generate_series(1, n) i
$$;
CREATE PROCEDURE pg_temp.land(ds date, lines text[]) LANGUAGE sql AS $$
  DELETE FROM ecpipe.landing WHERE batch_date = ds;
  INSERT INTO ecpipe.landing (batch_date, line_no, line) SELECT ds, n, l FROM unnest(lines) WITH ORDINALITY AS u(l, n);
$$;
CREATE FUNCTION pg_temp.check7(ds date) RETURNS text LANGUAGE sql AS $$
  SELECT population || '/' || failed FROM ecpipe.quality_log WHERE batch_date = ds AND check_no = 7
  ORDER BY run_id DESC LIMIT 1
$$;

-- ---- check 7's reference platform -------------------------------------------------------------------
-- No platform at 10:00:00, web at :05, ios at :10: ios differs from web.
CALL pg_temp.land('2024-05-11', ARRAY[pg_temp.ev(1, 0, NULL), pg_temp.ev(2, 5, 'web'), pg_temp.ev(3, 10, 'ios')]);
SELECT is((SELECT failed FROM ecpipe_validate('2024-05-11') WHERE check_no = 7), 1::bigint, 'first event without a platform');
SELECT is(pg_temp.check7('2024-05-11'), '2/1', 'check 7: population 2, the ios event fails');
SELECT is((SELECT detail FROM ecpipe.line_verdicts WHERE batch_date = '2024-05-11' AND line_no = 3),
          'platform_device: platform ios differs from web, the platform of session 00000000-0000-4000-8000-000000900001 at line 2',
          'the reason names the reference event''s line');
-- An empty platform at :00 (check 1 fails it, check 7 does not count it), android at :05, web at :10.
CALL pg_temp.land('2024-05-12', ARRAY[pg_temp.ev(1, 0, ''), pg_temp.ev(2, 5, 'android'), pg_temp.ev(3, 10, 'web')]);
SELECT is((SELECT failed FROM ecpipe_validate('2024-05-12') WHERE check_no = 7), 1::bigint, 'first event with an empty platform');
SELECT is(pg_temp.check7('2024-05-12'), '2/1', 'the empty platform is outside check 7''s population');
-- An invalid timestamp on the first line (ios), web at :05, ios at :10: web is the reference.
CALL pg_temp.land('2024-05-13', ARRAY[replace(pg_temp.ev(1, 0, 'ios'), '2024-05-10T10:00:00Z', '2024-05-10T25:00:00Z'),
                                        pg_temp.ev(2, 5, 'web'), pg_temp.ev(3, 10, 'ios')]);
SELECT is((SELECT failed FROM ecpipe_validate('2024-05-13') WHERE check_no = 7), 1::bigint, 'first event with an invalid timestamp');
SELECT is((SELECT failed_checks FROM ecpipe.line_verdicts WHERE batch_date = '2024-05-13' AND line_no = 3), 64::smallint,
          'the ios event after web fails check 7 alone');

-- ---- a 1 MB platform opening a session, then 1,500 events of it ----------------------------------
INSERT INTO ecpipe.landing (batch_date, line_no, line)
SELECT '2024-05-14', i + 1, CASE WHEN i = 0 THEN pg_temp.ev(1, 0, repeat('p', 1048576)) ELSE pg_temp.ev(1 + i, 1 + i % 58, 'web') END
FROM generate_series(0, 1500) i;
SELECT is((SELECT count(*) FROM ecpipe_validate('2024-05-14')), 7::bigint, 'validated');
SELECT is(pg_temp.check7('2024-05-14'), '1501/1500', 'all 1,500 events differ from the 1 MB reference platform');
SELECT cmp_ok((SELECT sum(length(detail)) FROM ecpipe.line_verdicts WHERE batch_date = '2024-05-14'), '<', 1500::bigint * 400,
              'line_verdicts.detail stays small: each reason quotes 200 characters of the platform');
SELECT cmp_ok((SELECT sum(length(samples::text)) FROM ecpipe.quality_log WHERE batch_date = '2024-05-14'), '<', 20000::bigint,
              'quality_log samples stay small: at most 20 per check, each cut');
SELECT is((SELECT jsonb_array_length(samples) || ' ' || (samples->0->>'line_no') || ' ' || length(samples->0->>'reason')
           FROM ecpipe.quality_log WHERE batch_date = '2024-05-14' AND check_no = 7), '20 2 299',
          'the first 20 failures in line order; a reason of 299 characters');

-- ---- what PostgreSQL cannot store is quarantined, never a failed load ----------------------------------
CALL pg_temp.land('2024-05-15', ARRAY[
  '{"event_id": "00000000-0000-4000-8000-000000000001", "event_type": "purchase", "user_id": "U000001", "session_id": "00000000-0000-4000-8000-000000900001", "timestamp": "2024-05-15T10:00:00Z", "platform": "web", "device_type": "desktop", "order_id": "ORD2024051500001", "total_amount": 89000, "payment_method": "credit_card", "extra_data": "{\"products\": [{\"product_id\": \"P1001\", \"quantity\": 1, \"unit_price\": 89000}], \"coupon_code\": \"a\\u0000b\"}"}',
  '{"event_id": "00000000-0000-4000-8000-000000000002", "event_type": "purchase", "user_id": "U000001", "session_id": "00000000-0000-4000-8000-000000900001", "timestamp": "2024-05-15T10:00:01Z", "platform": "web", "device_type": "desktop", "order_id": "ORD2024051500002", "total_amount": 89000, "payment_method": "credit_card", "extra_data": "{\"products\": [{\"product_id\": \"P1001\", \"quantity\": 1, \"unit_price\": 89000}], \"k\\u0000\": 1}"}',
  '{"event_id": "00000000-0000-4000-8000-000000000003", "event_type": "purchase", "user_id": "U000001", "session_id": "00000000-0000-4000-8000-000000900001", "timestamp": "2024-05-15T10:00:02Z", "platform": "web", "device_type": "desktop", "order_id": "ORD2024051500003", "total_amount": 89000, "payment_method": "credit_card", "extra_data": "{\"products\": [{\"product_id\": \"P1001\", \"quantity\": 1, \"unit_price\": 89000}], \"coupon_code\": \"a\\\\u0000b\"}"}',
  pg_temp.ev(4, 3, 'web', '"many": [' || repeat('0,', 100000) || '0]'),
  pg_temp.ev(5, 4, 'web', '"many": [' || repeat('0,', 99000) || '0]')]);
SELECT is((SELECT failed FROM ecpipe_validate('2024-05-15') WHERE check_no = 3), 3::bigint,
          'U+0000 in a decoded extra_data (value or key) and 100,001 JSON values fail check 3');
SELECT is(ecpipe_load('2024-05-15')->>'status', 'loaded', 'the load does not fail on them');
SELECT results_eq($$SELECT line_no, split_part(detail, '; ', 1) FROM ecpipe.quarantine WHERE batch_date = '2024-05-15' ORDER BY 1$$,
  $$VALUES (1::bigint, 'value_validity: extra_data: a string in it contains U+0000'),
           (2, 'value_validity: extra_data: a string in it contains U+0000'),
           (4, 'value_validity: the event holds more than 100000 JSON values')$$,
  'they are quarantined with their reasons');
SELECT is((SELECT extra_data->>'coupon_code' FROM ecpipe.raw_events WHERE batch_date = '2024-05-15' AND line_no = 3),
          'a\u0000b', 'an escaped backslash before u0000 is plain text, loaded as written');
SELECT is((SELECT jsonb_array_length(extras->'many') FROM ecpipe.raw_events WHERE batch_date = '2024-05-15' AND line_no = 5),
          99001, '99,001 values load');

-- Items of 1e15 cancelled by a discount: check 6 is satisfied, but mart_orders' numeric(14,2) could not hold them.
CALL pg_temp.land('2024-05-17', ARRAY[
  '{"event_id": "00000000-0000-4000-8000-000000000001", "event_type": "purchase", "user_id": "U000001", "session_id": "00000000-0000-4000-8000-000000900001", "timestamp": "2024-05-17T10:00:00Z", "platform": "web", "device_type": "desktop", "order_id": "ORD2024051700001", "total_amount": 89000, "payment_method": "credit_card", "extra_data": {"products": [{"product_id": "P1001", "quantity": 1000000, "unit_price": 1000000000}], "discount_amount": 999999999911000}}']);
SELECT is((SELECT failed FROM ecpipe_validate('2024-05-17') WHERE check_no = 3), 1::bigint, 'extra_data amounts beyond numeric(14,2) fail check 3');
SELECT is(ecpipe_load('2024-05-17')->>'quarantined', '1', 'the line is quarantined and the marts of its day do not fail');

-- Deep nesting inside a purchase's extra_data string and in an unknown field, a 100,000-character key, 50,000 keys:
-- each loads (jsonb takes them), and landing = raw + quarantine.
CALL pg_temp.land('2024-05-18', ARRAY[
  '{"event_id": "00000000-0000-4000-8000-000000000001", "event_type": "purchase", "user_id": "U000001", "session_id": "00000000-0000-4000-8000-000000900001", "timestamp": "2024-05-18T10:00:00Z", "platform": "web", "device_type": "desktop", "order_id": "ORD2024051800001", "total_amount": 89000, "payment_method": "credit_card", "extra_data": "{\"products\": [{\"product_id\": \"P1001\", \"quantity\": 1, \"unit_price\": 89000}], \"deep\": '
    || repeat('{\"a\": ', 1000) || '1' || repeat('}', 1000) || '}"}',
  pg_temp.ev(2, 1, 'web', '"deep": ' || repeat('[', 1000) || repeat(']', 1000)),
  pg_temp.ev(3, 2, 'web', '"' || repeat('k', 100000) || '": 1'),
  pg_temp.ev(4, 3, 'web', pg_temp.many_keys(50000))]);
SELECT is((SELECT sum(failed) FROM ecpipe_validate('2024-05-18') WHERE check_no IN (1, 2, 3, 5)), 0::numeric,
          'deep nesting in extra_data and in a field, a long key and many keys pass the quarantine checks');
SELECT is(ecpipe_load('2024-05-18')->>'loaded', '4', 'and all four load');
SELECT is((SELECT length(extra_data::text) > 4000 FROM ecpipe.raw_events WHERE batch_date = '2024-05-18' AND line_no = 1), true,
          'the decoded extra_data keeps its 1,000 levels');

-- Numbers are stored as written, never through a double: in a field without a column (extras), in extra_data and in
-- a bigint column. One that jsonb's numeric cannot hold is quarantined with its reason rather than failing the load.
CALL pg_temp.land('2024-05-19', ARRAY[
  pg_temp.ev(1, 0, 'web', '"big": 123456789012345678901234567890, "huge": 1e400, "fine": 1.00000000000000000000001'),
  pg_temp.ev(2, 1, 'web', '"beyond": 1e131072'),
  '{"event_id": "00000000-0000-4000-8000-000000000003", "event_type": "purchase", "user_id": "U000001", "session_id": "00000000-0000-4000-8000-000000900001", "timestamp": "2024-05-19T10:00:02Z", "platform": "web", "device_type": "desktop", "order_id": "ORD2024051900001", "total_amount": 89000, "payment_method": "credit_card", "extra_data": "{\"products\": [{\"product_id\": \"P1001\", \"quantity\": 1, \"unit_price\": 89000}], \"ref\": 123456789012345678901234567890}"}',
  '{"event_id": "00000000-0000-4000-8000-000000000004", "event_type": "click", "user_id": "U000001", "session_id": "00000000-0000-4000-8000-000000900001", "timestamp": "2024-05-19T10:00:03Z", "platform": "web", "device_type": "desktop", "page_url": "https://shop.example.com/home", "element_id": "b1", "element_type": "button", "position": 9007199254740993}']);
SELECT ecpipe_validate('2024-05-19');
SELECT is(ecpipe_load('2024-05-19') - ARRAY['run_id', 'users', 'sessions', 'orders', 'revenue', 'days_rebuilt', 'batch_date'],
          '{"status": "loaded", "loaded": 3, "quarantined": 1}', 'three lines load, the one numeric cannot hold is quarantined');
SELECT is((SELECT array[extras->'big' = '123456789012345678901234567890', extras->'huge' = '1e400',
                        extras->>'fine' = '1.00000000000000000000001']
             FROM ecpipe.raw_events WHERE batch_date = '2024-05-19' AND line_no = 1), '{t,t,t}',
          'extras keep 30 digits, 1e400 and 23 decimals exactly');
SELECT is((SELECT format('%s | %s', (SELECT extra_data->'ref' FROM ecpipe.raw_events WHERE batch_date = '2024-05-19' AND line_no = 3),
                         (SELECT position FROM ecpipe.raw_events WHERE batch_date = '2024-05-19' AND line_no = 4))),
          '123456789012345678901234567890 | 9007199254740993', 'so do extra_data and the bigint position (2^53 + 1)');
SELECT is((SELECT format('%s: %s', reasons, detail) FROM ecpipe.quarantine WHERE batch_date = '2024-05-19'),
          '{value_validity}: value_validity: number 1e131072 is beyond what PostgreSQL''s numeric holds (131072 digits before the decimal point, 16383 after)',
          'the quarantined line says which number and why');

-- An operator may neither lower nor raise ecpipe.max_line_bytes, nor read server files without pg_read_server_files.
CREATE ROLE ecpipe_hostile_op IN ROLE ecpipe_operator;
SET ROLE ecpipe_hostile_op;
SELECT throws_ok($$SET ecpipe.max_line_bytes = 100$$, '42501', 'permission denied to set parameter "ecpipe.max_line_bytes"',
                 'only a superuser sets ecpipe.max_line_bytes');
SELECT throws_ok($$SELECT ecpipe_ingest(NULL, NULL)$$, '42501',
                 'ecpipe_ingest reads server files: it needs superuser or the pg_read_server_files role',
                 'an operator without pg_read_server_files is refused before anything is opened');
RESET ROLE;

-- ---- what ecpipe_ingest opens, and the line length bound ------------------------------------------
SELECT throws_ok($$SELECT ecpipe_ingest(NULL, '/tmp/x.jsonl')$$, '22004', 'ecpipe_ingest: ds must not be NULL', 'NULL ds is an error');
SELECT throws_ok($$SELECT ecpipe_ingest('2024-05-16', NULL)$$, '22004', 'ecpipe_ingest: path must not be NULL', 'NULL path is an error');
SELECT throws_ok(format('SELECT ecpipe_ingest(%L, %L)', '2024-05-16', :'fixtures'), '58030',
                 format('ecpipe: "%s" is a directory: ecpipe reads regular files only', :'fixtures'), 'a directory is refused');

-- A 1,008-byte line between two events of about 300 bytes, with ecpipe.max_line_bytes = 500.
\set long_file :fixtures '/long_line.jsonl'
COPY (SELECT l FROM unnest(ARRAY[pg_temp.ev(1, 0, 'web'), '{"pad": "' || repeat('x', 997) || '"}', pg_temp.ev(2, 1, 'web')]) l)
  TO :'long_file' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
SET ecpipe.max_line_bytes = 500;
SELECT is(ecpipe_ingest('2024-05-16', :'fixtures' || '/long_line.jsonl'), 3::bigint, 'the long line is landed, not an error');
SELECT is((SELECT line IS NULL AND substr(line_bytes, 1, 501) = convert_to('{"pad": "' || repeat('x', 491), 'UTF8') || '\x00'::bytea
           FROM ecpipe.landing WHERE batch_date = '2024-05-16' AND line_no = 2), true,
          'landing keeps its first 500 bytes, then a NUL byte and a note');
SELECT is((SELECT count(*) FROM ecpipe.landing WHERE batch_date = '2024-05-16' AND line IS NOT NULL AND length(line) < 500), 2::bigint,
          'the lines around it are whole');
SELECT is((SELECT count(*) FROM ecpipe_validate('2024-05-16')), 7::bigint, 'validated');
SELECT is((SELECT detail FROM ecpipe.line_verdicts WHERE batch_date = '2024-05-16' AND line_no = 2),
          'required_fields: unparseable: line of 1008 bytes is longer than ecpipe.max_line_bytes; its first 500 bytes are kept',
          'it is unparseable, and the reason says how long it was');
SELECT is(ecpipe_load('2024-05-16')->>'quarantined', '1', 'and it is quarantined');

SELECT * FROM finish();
ROLLBACK;
