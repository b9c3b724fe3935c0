-- Hostile input through the whole pipeline: each hostile line is loaded exactly or quarantined with its reason,
-- landing keeps every line, and whole hostile files end in a clear error or a clear status.
BEGIN;
SELECT plan(26);
CREATE EXTENSION ecpipe;

-- 17 hostile lines (test/fixtures/make_fixtures.sh) and a generated day after them, so the batch passes the gate.
SELECT is(ecpipe_ingest('2024-05-10', :'fixtures' || '/hostile_day.jsonl'), 17::bigint, 'the 17 hostile lines land');
INSERT INTO ecpipe.landing (batch_date, line_no, line)
SELECT '2024-05-10', 17 + n, l FROM ecpipe_generate('2024-05-10', 500, 7) WITH ORDINALITY AS g(l, n);
CREATE TEMP TABLE summary AS SELECT ecpipe_run('2024-05-10') AS s;
SELECT is((SELECT s->>'status' FROM summary), 'succeeded', 'the batch passes the gate and loads');

SELECT is((SELECT count(*) FROM ecpipe.landing WHERE batch_date = '2024-05-10'),
          (SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2024-05-10')
          + (SELECT count(*) FROM ecpipe.quarantine WHERE batch_date = '2024-05-10'),
          'nothing is lost: every landed line is in raw or in quarantine');
-- Its first ecpipe.max_line_bytes (64 MB) bytes are kept, then a NUL byte and a note of its length (it is bytes now).
SELECT is((SELECT length(line_bytes) FROM ecpipe.landing WHERE batch_date = '2024-05-10' AND line_no = 6),
          67108864 + 1 + length('ecpipe: line of 67108873 bytes is longer than ecpipe.max_line_bytes; its first 67108864 bytes are kept'),
          'the 64 MB + 9 bytes line keeps its first 64 MB in landing');
SELECT is((SELECT length(line_bytes) FROM ecpipe.quarantine WHERE batch_date = '2024-05-10' AND line_no = 6),
          67108864 + 1 + length('ecpipe: line of 67108873 bytes is longer than ecpipe.max_line_bytes; its first 67108864 bytes are kept'),
          'and in quarantine');

SELECT results_eq(
  $$SELECT line_no, reasons FROM ecpipe.quarantine WHERE batch_date = '2024-05-10' AND line_no <= 17 ORDER BY line_no$$,
  $$VALUES (2::bigint, '{unparseable}'::text[]), (3, '{value_validity}'), (4, '{unparseable}'), (5, '{value_validity}'),
           (6, '{unparseable}'), (7, '{value_validity}'), (9, '{unparseable}'), (10, '{unparseable}'),
           (11, '{value_validity}'), (14, '{unparseable}'), (16, '{unparseable}'), (17, '{unparseable}')$$,
  'the hostile lines that break the rules are quarantined, each with its reason code');

CREATE TEMP TABLE why AS
SELECT line_no, detail FROM ecpipe.quarantine WHERE batch_date = '2024-05-10' AND line_no <= 17;
SELECT is((SELECT detail FROM why WHERE line_no = 2), 'required_fields: unparseable: invalid UTF-8', 'invalid UTF-8');
SELECT matches((SELECT detail FROM why WHERE line_no = 3), 'value_validity: .*U\+0000', '\u0000 in a value');
SELECT is((SELECT detail FROM why WHERE line_no = 4), 'required_fields: unparseable: nested deeper than 1024 levels',
          '10,000-deep nesting');
SELECT is((SELECT detail FROM why WHERE line_no = 5), 'value_validity: search_query: 1048576 characters > maxLength 200',
          'a 1 MB search_query breaks maxLength');
SELECT is((SELECT detail FROM why WHERE line_no = 6),
          'required_fields: unparseable: line of 67108873 bytes is longer than ecpipe.max_line_bytes; its first 67108864 bytes are kept',
          'an unterminated line over 64 MB');
SELECT matches((SELECT detail FROM why WHERE line_no = 7), '^value_validity: unit_price: .*> maximum 10000000',
               '1e400 is judged as a number beyond the maximum');
SELECT matches((SELECT detail FROM why WHERE line_no = 9), '^required_fields: unparseable: not valid JSON', 'NaN');
SELECT is((SELECT detail FROM why WHERE line_no = 10), 'required_fields: unparseable: repeated key "page_type"',
          'a repeated key');
SELECT is((SELECT detail FROM why WHERE line_no = 11), 'value_validity: quantity: expected integer, got string "2"',
          'a number written as a string');
SELECT is((SELECT detail FROM why WHERE line_no = 14),
          'required_fields: unparseable: starts with a byte order mark (U+FEFF), which JSON Lines does not allow',
          'a byte order mark');
SELECT is((SELECT detail FROM why WHERE line_no = 17),
          'required_fields: unparseable: invalid string (bad escape or lone surrogate)', 'a lone surrogate escape');

SELECT is((SELECT position FROM ecpipe.raw_events WHERE batch_date = '2024-05-10' AND line_no = 8), 0::bigint,
          '-0 is a whole number >= 0 and loads as 0');
SELECT results_eq(
  $$SELECT search_query FROM ecpipe.raw_events WHERE batch_date = '2024-05-10' AND line_no IN (12, 13) ORDER BY line_no$$,
  $$VALUES ('''; DROP TABLE ecpipe.raw_events; --'), ('<script>alert(1)</script>')$$,
  'SQL and HTML in strings are data, stored exactly');
SELECT is((SELECT page_type FROM ecpipe.raw_events WHERE batch_date = '2024-05-10' AND line_no = 15), 'home',
          'a CRLF line end loads (landing keeps the CR)');

-- Whole files.
SELECT is(ecpipe_ingest('2024-05-11', :'fixtures' || '/not_json.jsonl'), 3::bigint, 'a CSV file lands line by line');
SELECT is((SELECT ecpipe_run('2024-05-11')->>'status'), 'blocked', 'and its run is blocked by check 1, loading nothing');
SELECT is(ecpipe_ingest('2024-05-12', :'fixtures' || '/empty.jsonl'), 0::bigint, 'an empty file lands no lines');
SELECT is((SELECT ecpipe_run('2024-05-12')->>'status'), 'no_data', 'and its run is no_data, not a pass');
SET ecpipe.landing_dir = :'fixtures';
SELECT is((SELECT ecpipe_run('2024-05-14')->>'status'), 'no_data',
          'a missing events_YYYYMMDD.jsonl in ecpipe.landing_dir: no_data, not an error');
SELECT throws_ok($$SELECT ecpipe_ingest('2024-05-13', '../../etc/passwd')$$, '42501', NULL,
                 'a relative path that climbs out of ecpipe.landing_dir is refused');
RESET ecpipe.landing_dir;

SELECT * FROM finish();
ROLLBACK;
