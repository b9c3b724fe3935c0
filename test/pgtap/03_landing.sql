-- Landing keeps every byte of every line: server-side ecpipe_ingest and client-side COPY into landing_import.
BEGIN;
SELECT plan(18);
CREATE EXTENSION ecpipe;

SELECT is(ecpipe_ingest('2024-01-01', :'fixtures' || '/hostile.jsonl'), 9::bigint, 'ingest counts 9 lines');
SELECT is((SELECT string_agg(coalesce(convert_to(line, 'UTF8'), line_bytes), '\x0a'::bytea ORDER BY line_no)
             FROM ecpipe.landing WHERE batch_date = '2024-01-01'),
          pg_read_binary_file(:'fixtures' || '/hostile.jsonl'), 'the landed lines rebuild the file byte for byte');
SELECT is((SELECT array_agg(line_no ORDER BY line_no) FROM ecpipe.landing WHERE batch_date = '2024-01-01'),
          ARRAY[1, 2, 3, 4, 5, 6, 7, 8, 9]::bigint[], 'line numbers run from 1 in file order');
SELECT is((SELECT array_agg(line_no ORDER BY line_no) FROM ecpipe.landing WHERE batch_date = '2024-01-01' AND line IS NULL),
          ARRAY[5, 6]::bigint[], 'invalid UTF-8 and NUL bytes are kept as bytes');
SELECT is((SELECT length(line) FROM ecpipe.landing WHERE batch_date = '2024-01-01' AND line_no = 4), 1048576 + 11,
          'the 1 MB line is whole');
SELECT is((SELECT line FROM ecpipe.landing WHERE batch_date = '2024-01-01' AND line_no = 7), E'{"crlf": true}\r',
          'a CR before the newline is kept');
SELECT is((SELECT line FROM ecpipe.landing WHERE batch_date = '2024-01-01' AND line_no = 3), E'{"tab":"a\tb"}',
          'tabs are kept');
SELECT is((SELECT line FROM ecpipe.landing WHERE batch_date = '2024-01-01' AND line_no = 1),
          '{"q": "back\\slash \"quoted\" \\\\n not a newline", "emoji": "😀", "ko": "이어폰"}',
          'backslashes, quotes and non-ASCII text are kept');

SELECT is(ecpipe_ingest('2024-01-01', :'fixtures' || '/empty.jsonl'), 0::bigint, 're-ingest replaces the batch');
SELECT is((SELECT count(*) FROM ecpipe.landing WHERE batch_date = '2024-01-01'), 0::bigint, 'nothing of the old batch is left');

SELECT throws_ok(format('SELECT ecpipe_ingest(%L, %L)', '2024-01-01', :'fixtures' || '/missing.jsonl'), '58030', NULL,
                 'a missing file is a clear error');
SET ecpipe.landing_dir = :'fixtures';
SELECT is(ecpipe_ingest('2024-01-03', 'hostile.jsonl'), 9::bigint, 'relative paths are read inside ecpipe.landing_dir');
SELECT throws_ok($$SELECT ecpipe_ingest('2024-01-03', '/etc/passwd')$$, '42501', NULL,
                 'paths outside ecpipe.landing_dir are refused');
RESET ecpipe.landing_dir;

CREATE ROLE ecpipe_test_nobody;
GRANT EXECUTE ON FUNCTION ecpipe_ingest(date, text) TO ecpipe_test_nobody;
SET ROLE ecpipe_test_nobody;
SELECT throws_ok(format('SELECT ecpipe_ingest(%L, %L)', '2024-01-01', :'fixtures' || '/hostile.jsonl'), '42501',
                 'ecpipe_ingest reads server files: it needs superuser or the pg_read_server_files role',
                 'reading server files needs pg_read_server_files');
RESET ROLE;

-- Client-side route: the same COPY that psql's \copy runs, into landing_import (more in 21_client_landing.sql).
SET ecpipe.landing_date = '2024-01-02';
SELECT lives_ok(format($$COPY ecpipe.landing_import (line) FROM %L
                         WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02', FORCE_NOT_NULL (line))$$,
                       :'fixtures' || '/copy_route.jsonl'), 'COPY into landing_import');
SELECT is((SELECT string_agg(line, E'\n' ORDER BY line_no) || E'\n' FROM ecpipe.landing WHERE batch_date = '2024-01-02'),
          pg_read_file(:'fixtures' || '/copy_route.jsonl'), 'COPY keeps backslashes, quotes, tabs and non-ASCII text');

-- Straight into ecpipe.landing: the batch comes from ecpipe.landing_date, lines are numbered after the last one.
SET ecpipe.landing_date = '2024-01-05';
SELECT lives_ok(format($$COPY ecpipe.landing (line) FROM %L WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')$$,
                       :'fixtures' || '/copy_route.jsonl'), 'COPY into ecpipe.landing (line) itself');
SELECT is((SELECT string_agg(line_no || ':' || line, E'\n' ORDER BY line_no) || E'\n' FROM ecpipe.landing WHERE batch_date = '2024-01-05'),
          (SELECT string_agg(n || ':' || l, E'\n' ORDER BY n) || E'\n'
             FROM regexp_split_to_table(rtrim(pg_read_file(:'fixtures' || '/copy_route.jsonl'), E'\n'), E'\n') WITH ORDINALITY AS t(l, n)),
          'every line kept and numbered from 1');

SELECT * FROM finish();
ROLLBACK;
