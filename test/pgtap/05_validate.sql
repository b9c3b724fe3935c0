-- ecpipe_validate: hand-computed counts on a small day, the quality log and verdicts, settings, generated days.
BEGIN;
SELECT plan(29);
CREATE EXTENSION ecpipe;

-- small_day.jsonl (see test/fixtures/make_fixtures.sh), 13 lines:
--  1-4 session a: page_view, click, add_to_cart, purchase (web/desktop)   all good
--  5-6 session b: page_view, purchase without add_to_cart (ios/mobile)    check 4 fails for session b
--  7   a copy of line 1                                                   check 2
--  8-9 session c: page_view, add_to_cart with quantity 120                check 3
--  10  '{broken'                                                          check 1 (unparseable)
--  11  blank                                                              ignored
--  12  session d: page_view in 2015                                       check 5 (and d leaves check 4)
--  13  session e: android on a tablet                                     check 7
-- populations: check 1 = 12 non-blank lines; checks 2, 3, 5, 7 = 11 parsed events; check 4 = sessions a, b, c,
-- e = 4; check 6 = purchases 4 and 6 = 2.
SELECT ecpipe_ingest('2024-03-01', :'fixtures' || '/small_day.jsonl');
SELECT results_eq(
  $$SELECT check_no, check_name, population, failed, pass_rate, status FROM ecpipe_validate('2024-03-01')$$,
  $$VALUES (1, 'required_fields', 12::bigint, 1::bigint, 91.67, 'FAIL'),
           (2, 'duplicate_event_id', 11, 1, 90.91, 'FAIL'),
           (3, 'value_validity', 11, 1, 90.91, 'FAIL'),
           (4, 'funnel_sequence', 4, 1, 75.00, 'FAIL'),
           (5, 'timestamp_validity', 11, 1, 90.91, 'FAIL'),
           (6, 'order_amount', 2, 0, 100.00, 'PASS'),
           (7, 'platform_device', 11, 1, 90.91, 'FAIL')$$,
  'the seven checks on the small day, exactly');

SELECT is((SELECT status FROM ecpipe.validations WHERE batch_date = '2024-03-01'), 'failed', 'the batch fails the gate');
SELECT is((SELECT row(lines, blank_lines, events, quarantined)::text FROM ecpipe.validations WHERE batch_date = '2024-03-01'),
          '(13,1,11,4)', 'lines, blank, events and quarantined are recorded');
SELECT results_eq(
  $$SELECT line_no, disposition, reasons FROM ecpipe.line_verdicts WHERE batch_date = '2024-03-01' ORDER BY line_no$$,
  $$VALUES (6::bigint, 'raw', ARRAY['funnel_sequence']),
           (7, 'quarantine', ARRAY['duplicate_event_id']),
           (9, 'quarantine', ARRAY['value_validity']),
           (10, 'quarantine', ARRAY['unparseable']),
           (12, 'quarantine', ARRAY['timestamp_validity']),
           (13, 'raw', ARRAY['platform_device'])$$,
  'verdicts: 4 lines to quarantine, 2 raw with flags, the rest clean');
SELECT is((SELECT detail FROM ecpipe.line_verdicts WHERE batch_date = '2024-03-01' AND line_no = 9),
          'value_validity: quantity: 120 > maximum 99', 'a readable detail');
SELECT is((SELECT samples FROM ecpipe.quality_log WHERE batch_date = '2024-03-01' AND check_no = 4),
          '[{"line_no": 6, "event_id": "00000000-0000-4000-8000-000000000006", "reason": "purchase at line 6 has no add_to_cart before it in session 00000000-0000-4000-9000-00000000000b"}]'::jsonb,
          'samples carry line_no, event_id and reason');
SELECT is((SELECT samples->0->>'reason' FROM ecpipe.quality_log WHERE batch_date = '2024-03-01' AND check_no = 1),
          'unparseable: not valid JSON (The JSON document has an improper structure: missing or superfluous commas, braces, missing keys, etc.)',
          'an unparseable line says why');
SELECT is((SELECT count(*) FROM ecpipe.quality_log WHERE batch_date = '2024-03-01'), 7::bigint, 'one quality row per check');

-- Settings change the gate, not the counts.
SET ecpipe.min_pass_rate = 90;
SELECT results_eq($$SELECT check_no, status FROM ecpipe_validate('2024-03-01') WHERE status = 'FAIL'$$,
                  $$VALUES (4, 'FAIL')$$, 'with min_pass_rate 90 only the funnel check fails');
RESET ecpipe.min_pass_rate;
SELECT is((SELECT count(*) FROM ecpipe.validations WHERE batch_date = '2024-03-01'), 2::bigint, 'each validation is kept');
SELECT is((SELECT count(DISTINCT run_id) FROM ecpipe.line_verdicts WHERE batch_date = '2024-03-01'), 1::bigint,
          'only the latest validation keeps line verdicts');
SELECT is((SELECT count(*) FROM ecpipe.quality_trend WHERE batch_date = '2024-03-01'), 7::bigint,
          'quality_trend shows the latest row per check');
SET ecpipe.min_year = 2010;
SELECT is((SELECT failed FROM ecpipe_validate('2024-03-01') WHERE check_no = 5), 0::bigint, 'min_year moves check 5');
RESET ecpipe.min_year;

SELECT throws_ok($$SET ecpipe.max_future = 'soon'$$, '22023', NULL, 'a bad max_future is refused');
SELECT throws_ok($$SET ecpipe.timezone = 'Mars/Olympus_Mons'$$, '22023', NULL, 'an unknown time zone is refused');
SELECT throws_ok($$SET ecpipe.min_pass_rate = 101$$, '22023', NULL, 'a pass rate above 100 is refused');
SELECT lives_ok($$SET ecpipe.max_future = '36 hours'$$, 'a duration in words is accepted');
RESET ecpipe.max_future;

-- A time without an offset is read in ecpipe.timezone, through the server's zone database: 10:00 in Seoul is 01:00Z,
-- before the add_to_cart at 02:00Z, so the purchase has no add_to_cart before it; read in UTC it comes last.
INSERT INTO ecpipe.landing (batch_date, line_no, line)
SELECT '2024-03-03', n, format('{"event_type": "%s", "session_id": "00000000-0000-4000-8000-0000000000f1", "timestamp": "%s"}', t, ts)
FROM (VALUES (1, 'page_view', '2024-03-03T00:30:00Z'), (2, 'add_to_cart', '2024-03-03T02:00:00Z'),
             (3, 'purchase', '2024-03-03T10:00:00')) v(n, t, ts);
SET ecpipe.timezone = 'Asia/Seoul';
SELECT is((SELECT failed FROM ecpipe_validate('2024-03-03') WHERE check_no = 4), 1::bigint,
          'a naive time is read in ecpipe.timezone');
RESET ecpipe.timezone;
SELECT is((SELECT failed FROM ecpipe_validate('2024-03-03') WHERE check_no = 4), 0::bigint, 'and in UTC by default');

-- An empty batch is no_data, with every population 0 and pass rate 100, and its checks say no_data (not PASS).
SELECT ecpipe_ingest('2024-03-02', :'fixtures' || '/empty.jsonl');
SELECT results_eq($$SELECT DISTINCT population, failed, pass_rate, status FROM ecpipe_validate('2024-03-02')$$,
                  $$VALUES (0::bigint, 0::bigint, 100.00, 'no_data')$$, 'an empty batch has empty populations');
SELECT is((SELECT status FROM ecpipe.validations WHERE batch_date = '2024-03-02'), 'no_data', 'an empty batch is no_data');

-- Generated days, written to a file and landed (more than one 10,000-line chunk).
SELECT lives_ok(format($$COPY (SELECT l FROM ecpipe_generate('2026-01-17', 6000, 3) l) TO %L
                        WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')$$, :'fixtures' || '/gen_clean.jsonl'),
                'a clean generated day is written out');
SELECT is(ecpipe_ingest('2026-01-17', :'fixtures' || '/gen_clean.jsonl'),
          (SELECT count(*) FROM ecpipe_generate('2026-01-17', 6000, 3)), 'and landed whole');
SELECT is((SELECT string_agg(line, E'\n' ORDER BY line_no) FROM ecpipe.landing WHERE batch_date = '2026-01-17'),
          (SELECT string_agg(l, E'\n' ORDER BY n) FROM ecpipe_generate('2026-01-17', 6000, 3) WITH ORDINALITY AS g(l, n)),
          'line numbers follow the file across chunks');
SELECT results_eq($$SELECT sum(failed), bool_and(status = 'PASS') FROM ecpipe_validate('2026-01-17')$$,
                  $$VALUES (0::numeric, true)$$, 'a clean generated day passes all seven with no failure');

-- An anomalous day: each check fails exactly as many members as were injected for it.
SELECT lives_ok(format($$COPY (SELECT l FROM ecpipe_generate('2026-01-18', 1000, 5, 0.05) l) TO %L
                        WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')$$, :'fixtures' || '/gen_bad.jsonl'),
                'an anomalous day is written out');
SELECT ecpipe_ingest('2026-01-18', :'fixtures' || '/gen_bad.jsonl');
CREATE TEMP TABLE injected AS
  SELECT substring(line from '^\{"anomaly": "([a-z_]+)"') AS kind, line FROM ecpipe.landing WHERE batch_date = '2026-01-18';
SELECT results_eq(
  $$SELECT check_no, failed FROM ecpipe_validate('2026-01-18') ORDER BY check_no$$,
  $$SELECT * FROM (VALUES
      (1, (SELECT count(*) FROM injected WHERE kind IN ('unparseable', 'missing_required'))),
      (2, (SELECT count(*) FROM injected WHERE kind = 'duplicate_event_id')),
      (3, (SELECT count(*) FROM injected WHERE kind = 'invalid_value')),
      (4, (SELECT count(*) FROM injected WHERE kind = 'funnel_violation')),
      (5, (SELECT count(*) FROM injected WHERE kind = 'bad_timestamp')),
      (6, (SELECT count(*) FROM injected WHERE kind = 'amount_mismatch' AND line LIKE '%"event_type": "purchase"%')),
      (7, (SELECT count(*) FROM injected WHERE kind = 'platform_device'))) v(n, c) ORDER BY n$$,
  'anomaly day: failures per check equal the injected anomalies');

-- Hostile lines (invalid UTF-8, a raw NUL, a raw tab in a string, not JSON, 1 MB) become reasons, not crashes.
SELECT ecpipe_ingest('2024-01-01', :'fixtures' || '/hostile.jsonl');
SELECT results_eq($$SELECT population, failed FROM ecpipe_validate('2024-01-01') WHERE check_no = 1$$,
                  $$VALUES (8::bigint, 8::bigint)$$, 'all 8 non-blank hostile lines fail check 1');
SELECT is((SELECT row(events, quarantined)::text FROM ecpipe.validations WHERE batch_date = '2024-01-01'),
          '(4,8)', '4 of them parse as objects; all 8 would be quarantined with reasons');

SELECT * FROM finish();
ROLLBACK;
