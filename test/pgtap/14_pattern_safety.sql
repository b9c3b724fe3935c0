-- Hostile schemas and patterns handed to ecpipe_schema_info by a role with only ecpipe_operator: each ends in a clear
-- error (F0000) well within a 2 s statement_timeout, and the backend (and the postmaster) stay up.
BEGIN;
SELECT plan(24);
CREATE EXTENSION ecpipe;

CREATE TEMP TABLE started AS SELECT pg_postmaster_start_time() AS t, pg_backend_pid() AS pid;
GRANT SELECT ON started TO PUBLIC;
-- {"properties": {"x": {"pattern": <p>}}} with p JSON-escaped.
CREATE FUNCTION pg_temp.with_pattern(p text) RETURNS text LANGUAGE sql AS
  $$SELECT format('{"properties": {"x": {"pattern": %s}}}', to_json(p))$$;
-- Runs ecpipe_schema_info(doc); returns its SQLSTATE (or 'ok') and how long it took. A cancel is not caught.
CREATE FUNCTION pg_temp.attempt(doc text, OUT state text, OUT ms float8) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  state := 'ok';
  BEGIN
    PERFORM ecpipe_schema_info(doc);
  EXCEPTION WHEN sqlstate 'F0000' THEN
    state := 'F0000';
  END;
  ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
CREATE ROLE ecpipe_test_operator IN ROLE ecpipe_operator;
CREATE ROLE ecpipe_test_nobody;
SET LOCAL statement_timeout = '2s';

SET ROLE ecpipe_test_operator;

-- these overflowed the stack of the hand-written parser (SIGSEGV, every session reset).
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern(repeat('(', 30000) || repeat(')', 30000))),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /' || repeat('(', 200)
                          || '…/: longer than 16384 bytes (60000)',
                 '30,000 nested groups: refused by the pattern size limit');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern('a' || repeat('*', 300000))),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /a' || repeat('*', 199)
                          || '…/: longer than 16384 bytes (300001)',
                 '''a'' and 300,000 ''*'': refused by the pattern size limit');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern('a***')),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /a***/: bad repetition operator: **',
                 'stacked repetition operators: RE2''s reason');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern(repeat('(a', 5000) || repeat(')', 5000))),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /' || repeat('(a', 100)
                          || '…/: groups nested more than 100 deep',
                 '5,000 nested groups within the size limit: refused by the nesting limit');
-- this ran for minutes through statement_timeout, cancel and terminate.
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern('(((){99999}){99999}){99999}')),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /(((){99999}){99999}){99999}/: '
                          || 'invalid repetition size: {99999}',
                 '(((){99999}){99999}){99999}: RE2 refuses counts above 1000');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern('((a{40}){40})')),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /((a{40}){40})/: invalid repetition size: {40}',
                 'nested counts multiply and are refused above 1000');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern(repeat('x', 1048576))),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /' || repeat('x', 200)
                          || '…/: longer than 16384 bytes (1048576)',
                 'a 1 MB pattern');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern('\pL{200}')),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /\pL{200}/: compiles to more than the '
                          || '2 MiB program budget (RE2: pattern too large - compile failed)',
                 'a short pattern with a huge program: RE2''s memory budget');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern('(?:' || repeat('\PL|', 4000) || 'a)')),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /(?:' || repeat('\PL|', 49)
                          || '\…/: more than 32 \p{...} classes',
                 'thousands of Unicode classes (half a second each in RE2''s parser): refused up front');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern('^(?=U)\d+$')),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /^(?=U)\d+$/: invalid perl operator: (?=',
                 'lookahead: RE2''s reason');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', pg_temp.with_pattern('(a)\1')),
                 'F0000', 'ecpipe: event schema /properties/x/pattern: pattern /(a)\1/: invalid escape sequence: \1',
                 'a backreference: RE2''s reason');

-- The rest of what an operator can hand the schema compiler.
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', repeat('[', 100000) || repeat(']', 100000)),
                 'F0000', 'ecpipe: event schema /: nested more than 64 levels deep', '100,000 nested JSON arrays');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', repeat('{"properties": {"a": ', 20000) || '{}'
                        || repeat('}}', 20000)),
                 'F0000', 'ecpipe: event schema /: nested more than 64 levels deep', '20,000 nested sub-schemas');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', '{"definitions": "' || repeat('x', 5000000) || '"}'),
                 'F0000', 'ecpipe: event schema /: is 5000019 bytes; a schema may have at most 4194304',
                 'a 5 MB document');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)',
                        format('{"properties": {%s}}', (SELECT string_agg(format('"f%s": {"pattern": "^x%s$"}', i, i), ', ')
                                                        FROM generate_series(100, 164) i))),
                 'F0000', 'ecpipe: event schema /properties/f164/pattern: more than 64 distinct patterns in one schema',
                 '65 distinct patterns');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)',
                        format('{"properties": {"event_type": {"enum": ["a", %s]}, %s}, "allOf": [%s]}',
                               (SELECT string_agg(format('"t%s"', i), ', ') FROM generate_series(1, 2000) i),
                               (SELECT string_agg(format('"f%s": {}', i), ', ') FROM generate_series(1, 2000) i),
                               (SELECT string_agg(format('{"if": {"properties": {"event_type": {"const": "t%s"}}}, "then": {}}', i), ', ')
                                FROM generate_series(1, 2000) i))),
                 'F0000', 'ecpipe: event schema /allOf: the event types'' rules (each with the common rules) would take more than 32 MiB',
                 '2,000 types x 2,000 common fields');
SELECT throws_ok(format('SELECT ecpipe_schema_info(%L)', format('{"properties": {"x": {%s: 1}}}', to_json(repeat('k', 100000)))),
                 'F0000', 'ecpipe: event schema /properties/x/' || repeat('k', 186) || '…: unsupported keyword '''
                          || repeat('k', 100) || '…''',
                 'a 100,000-character keyword is cut in the message');

-- A good pattern in the dialect still compiles, with ECMA's meaning.
SELECT is((ecpipe_schema_info(format(
             '{"properties": {"event_type": {"enum": ["a"]}, "id": {"pattern": %s}}, '
             '"allOf": [{"if": {"properties": {"event_type": {"const": "a"}}}, "then": {}}]}',
             to_json('^(?<kind>[A-Z]{1,3})\d{4,}\s?$'::text)))->'event_types'->'a'->'fields'),
          '["event_type", "id"]'::jsonb, 'a pattern in the dialect (named group, \d, \s) compiles');

-- The worst inputs found end well within the 2 s statement_timeout (a timeout would abort this file).
SELECT is((SELECT state FROM pg_temp.attempt(format('{"properties": {%s}}', (SELECT string_agg(
            format('"f%s": {"pattern": "%s(?:.*a.*b){1000}"}', i, i), ', ') FROM generate_series(10, 73) i)))),
          'F0000', '64 patterns of large programs: refused by the schema''s instruction budget');
SELECT cmp_ok((SELECT ms FROM pg_temp.attempt(format('{"properties": {%s}}', (SELECT string_agg(
            format('"f%s": {"pattern": "%s%s"}', i, i, repeat('\\S|', 2700)), ', ') FROM generate_series(10, 73) i)))),
              '<', 1000::float8, 'patterns of slow-to-parse classes: refused by the total pattern size within a second');
SELECT cmp_ok((SELECT ms FROM pg_temp.attempt(format('{"definitions": [%s]}', repeat('[1,2,3,4,5,6,7,8,9,0],', 180000) || '1'))),
              '<', 1000::float8, 'a 4 MB document is parsed and refused within a second');

RESET ROLE;
SET ROLE ecpipe_test_nobody;
SELECT throws_ok($$SELECT ecpipe_schema_info('{}')$$, '42501', 'permission denied for function ecpipe_schema_info',
                 'a role without grants cannot call the schema compiler');
RESET ROLE;

SELECT is((SELECT t FROM started), pg_postmaster_start_time(), 'the postmaster never restarted');
SELECT is((SELECT pid FROM started), pg_backend_pid(), 'and this backend is the one that started the test');

SELECT * FROM finish();
ROLLBACK;
