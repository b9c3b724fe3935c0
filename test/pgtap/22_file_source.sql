-- A batch read where it lies: the day's file in ecpipe.landing_dir, read in place with its identity recorded; the
-- file and the landed lines give the same checks, raw, quarantine and marts; a landed batch takes precedence; a file
-- that changes after its validation, or after the load read it, loads nothing; a missing landing directory is an
-- error; an operator's run reads the file with no further privilege.
BEGIN;
SELECT plan(33);
CREATE EXTENSION ecpipe;
SELECT set_config('test.dir', :'fixtures', false);
SET ecpipe.landing_dir = :'fixtures';

-- <fixtures>/events_YYYYMMDD.jsonl for a generated day
CREATE FUNCTION pg_temp.write_day(ds date, users int, seed bigint, anomalies float8) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_path text := current_setting('test.dir') || '/events_' || to_char(ds, 'YYYYMMDD') || '.jsonl';
BEGIN
    EXECUTE format($q$COPY (SELECT l FROM ecpipe_generate(%L, %s, %s, %s) l) TO %L
                      WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')$q$, ds, users, seed, anomalies, v_path);
    RETURN v_path;
END $$;
-- Everything a batch produced, without run ids and times: its latest checks and line verdicts, its raw and
-- quarantine rows, and the marts of the days it touched.
CREATE FUNCTION pg_temp.digest(ds date) RETURNS text LANGUAGE sql AS $$
    SELECT md5(coalesce(string_agg(d, '|' ORDER BY d), '')) FROM (
        SELECT 'c' || concat_ws(',', q.check_no, q.population, q.failed, q.pass_rate, q.status, q.samples) AS d
          FROM ecpipe.quality_log q
         WHERE q.run_id = (SELECT max(v.run_id) FROM ecpipe.validations v WHERE v.batch_date = ds)
        UNION ALL SELECT 'v' || (to_jsonb(l) - 'run_id')::text FROM ecpipe.line_verdicts l WHERE l.batch_date = ds
        UNION ALL SELECT 'r' || (to_jsonb(r) - 'run_id')::text FROM ecpipe.raw_events r WHERE r.batch_date = ds
        UNION ALL SELECT 'q' || (to_jsonb(x) - 'run_id' - 'quarantined_at')::text FROM ecpipe.quarantine x
                   WHERE x.batch_date = ds
        UNION ALL SELECT 'u' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_user_daily m
        UNION ALL SELECT 'f' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_funnel_daily m
        UNION ALL SELECT 'p' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_product_daily m
        UNION ALL SELECT 'o' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_orders m) s
$$;

-- A day with some dirt that passes at 90%: read from its file, then landed and run again.
SET ecpipe.min_pass_rate = 90;
SELECT pg_temp.write_day('2025-06-01', 300, 11, 0.002) AS path_a \gset
CREATE TEMP TABLE run_a AS SELECT ecpipe_run('2025-06-01') AS s;
SELECT is((SELECT s->>'status' || ':' || (s->>'source') FROM run_a), 'succeeded:file', 'a day with a file runs from it');
SELECT is((SELECT count(*) FROM ecpipe.landing WHERE batch_date = '2025-06-01'), 0::bigint,
          'read in place: nothing is copied into ecpipe.landing');
SELECT is((SELECT (s->>'loaded')::bigint + (s->>'quarantined')::bigint FROM run_a),
          (SELECT count(*) FROM ecpipe_generate('2025-06-01', 300, 11, 0.002)), 'every line is in raw or quarantine');
SELECT is((SELECT (s->'source_file') - ARRAY['mtime', 'device', 'inode'] FROM run_a),
          jsonb_build_object('path', :'path_a', 'size', (pg_stat_file(:'path_a')).size,
                             'hash', (SELECT lpad(to_hex(v.fingerprint), 16, '0') FROM ecpipe.validations v
                                       WHERE v.batch_date = '2025-06-01')),
          'the summary names the file: path, size, and the hash of its lines');
SELECT ok((SELECT s->'source_file'->>'device' ~ '^[0-9]+$' AND s->'source_file'->>'inode' ~ '^[0-9]+$' FROM run_a),
          'and which file it was: device and inode');
SELECT is((SELECT left(s->'source_file'->>'mtime', 19) FROM run_a),
          to_char((pg_stat_file(:'path_a')).modification AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'),
          'and its modification time, in UTC');
SELECT is((SELECT row(r.source, r.source_file)::text FROM ecpipe.runs r WHERE r.ds = '2025-06-01'),
          (SELECT row('file', s->'source_file')::text FROM run_a), 'ecpipe.runs records the source and the identity');
SELECT is((SELECT row(v.source, v.source_file)::text FROM ecpipe.validations v WHERE v.batch_date = '2025-06-01'),
          (SELECT row('file', s->'source_file')::text FROM run_a), 'so does the validation');
SELECT is((SELECT detail FROM ecpipe.run_steps s JOIN ecpipe.runs r USING (run_id)
            WHERE r.ds = '2025-06-01' AND s.name = 'collect'),
          format('%s (%s bytes), read in place', :'path_a', (pg_stat_file(:'path_a')).size),
          'the collect step says which file is read');
CREATE TEMP TABLE digest_a AS SELECT pg_temp.digest('2025-06-01') AS file_path;

SELECT is(ecpipe_ingest('2025-06-01', :'path_a'), (SELECT count(*) FROM ecpipe_generate('2025-06-01', 300, 11, 0.002)),
          'the same file landed');
SELECT is((SELECT s->>'status' || ':' || (s->>'source') || ':' || (s ? 'source_file')::text
             FROM (SELECT ecpipe_run('2025-06-01') AS s) x), 'succeeded:landing:false',
          'a landed batch takes precedence over the file of its day');
SELECT is((SELECT s.status || ':' || s.detail FROM ecpipe.run_steps s
            WHERE s.run_id = (SELECT max(run_id) FROM ecpipe.runs) AND s.name = 'collect'),
          'skipped:already landed', 'its collect step says so');
SELECT is(pg_temp.digest('2025-06-01'), (SELECT file_path FROM digest_a),
          'file and landed lines: identical checks, verdicts, raw, quarantine and marts');

-- A blocked day (0.05 of bad events at the default 99%): the same checks from both sources, nothing loaded.
RESET ecpipe.min_pass_rate;
SELECT pg_temp.write_day('2025-06-02', 200, 12, 0.05) AS path_b \gset
SELECT is(ecpipe_run('2025-06-02')->>'status', 'blocked', 'a dirty day read from its file is blocked');
CREATE TEMP TABLE digest_b AS SELECT pg_temp.digest('2025-06-02') AS file_path;
SELECT ecpipe_ingest('2025-06-02', :'path_b');
SELECT is(ecpipe_run('2025-06-02')->>'status', 'blocked', 'and blocked when landed');
SELECT is(pg_temp.digest('2025-06-02'), (SELECT file_path FROM digest_b), 'with identical checks and verdicts');
SELECT is((SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2025-06-02'), 0::bigint, 'nothing loaded');

-- ecpipe_validate and ecpipe_load read the file too; a file that changes after its validation loads nothing.
SELECT pg_temp.write_day('2025-06-03', 100, 13, 0) AS path_c \gset
SELECT is((SELECT count(*) FILTER (WHERE status = 'PASS') FROM ecpipe_validate('2025-06-03')), 7::bigint,
          'ecpipe_validate checks the file');
SELECT pg_sleep(0.01);  -- a later modification time, whatever the file system's resolution
SELECT pg_temp.write_day('2025-06-03', 100, 14, 0);
SELECT throws_like($$SELECT ecpipe_load('2025-06-03')$$,
                   'file "%/events_20250603.jsonl" of batch 2025-06-03 changed since its validation (run %): it had % bytes, modified %; now % bytes, modified %: validate it again (or run the day again)',
                   'a file rewritten after its validation is not loaded');
SELECT is((SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2025-06-03')
          + (SELECT count(*) FROM ecpipe.quarantine WHERE batch_date = '2025-06-03'), 0::bigint, 'nothing was written');
SELECT lives_ok($$SELECT ecpipe_validate('2025-06-03')$$, 'validated again');
-- the same bytes and modification time under the same name, but another file (cp -p, then mv over it)
SELECT format($$COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; cp -p %1$s %1$s.new && mv %1$s.new %1$s'$$, :'path_c') AS replace_c \gset
:replace_c;
SELECT throws_like($$SELECT ecpipe_load('2025-06-03')$$,
                   'file "%" of batch 2025-06-03 changed since its validation (run %): it had % bytes, modified %; now % bytes, modified %, another file: validate it again (or run the day again)',
                   'a file replaced by another one (same size, same time) after its validation is not loaded');
SELECT lives_ok($$SELECT ecpipe_validate('2025-06-03')$$, 'validated again');
SELECT ecpipe_ingest('2025-06-03', :'path_c');
SELECT throws_like($$SELECT ecpipe_load('2025-06-03')$$,
                   'file "%/events_20250603.jsonl" of batch 2025-06-03 was validated (run %), and a batch was landed since (a landed batch takes precedence): validate it again (or run the day again)',
                   'a batch landed after the file was validated is not loaded either');
DELETE FROM ecpipe.landing WHERE batch_date = '2025-06-03';
SELECT is(ecpipe_load('2025-06-03')->>'loaded', (SELECT count(*)::text FROM ecpipe_generate('2025-06-03', 100, 14, 0)),
          'the validated file loads');

-- A file removed after its validation; replaced after the load read it (the run's marts step checks at its end).
SELECT pg_temp.write_day('2025-06-05', 100, 16, 0) AS path_e \gset
SELECT ecpipe_validate('2025-06-05');
SELECT format($$COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; mv %1$s %1$s.gone'$$, :'path_e') AS remove_e \gset
:remove_e;
SELECT throws_like($$SELECT ecpipe_load('2025-06-05')$$,
                   'file "%/events_20250605.jsonl" of batch 2025-06-05 was validated (run %), and is gone now: validate it again (or run the day again)',
                   'a file removed after its validation: nothing is loaded, and the error says it is gone');
SELECT format($$COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; mv %1$s.gone %1$s'$$, :'path_e') AS restore_e \gset
:restore_e;
SELECT (SELECT max(run_id) FROM ecpipe.validations WHERE batch_date = '2025-06-05') AS run_e \gset
SELECT is(ecpipe.load_batch('2025-06-05', :run_e, false)->>'status', 'loaded', 'the load of a run reads the file');
SELECT format($$COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; cp -p %1$s %1$s.new && mv %1$s.new %1$s'$$, :'path_e') AS replace_e \gset
:replace_e;
SELECT throws_like(
  format($$SELECT ecpipe.run_step('marts', %s, '2025-06-05', jsonb_build_object('source', 'file', 'source_file', %L::jsonb,
                                   'load', '{"days_rebuilt": ["2025-06-05"]}'::jsonb))$$,
         :run_e, (SELECT source_file FROM ecpipe.validations WHERE run_id = :run_e)),
  'file "%/events_20250605.jsonl" of batch 2025-06-05 changed since its validation (run %): it had % bytes, modified %; now % bytes, modified %, another file: validate it again (or run the day again)',
  'a file replaced after the load read it fails the marts step of the run (and with it the load)');

-- A landing directory that is missing, or not absolute, and a dangling link are errors, not a day without data.
SET ecpipe.landing_dir = '/nonexistent/ecpipe-landing';
SELECT is((SELECT concat_ws(':', s->>'status', s->>'step', s->>'error') FROM (SELECT ecpipe_run('2025-06-06') s) x),
          'failed:collect:ecpipe: ecpipe.landing_dir "/nonexistent/ecpipe-landing": No such file or directory',
          'a missing landing_dir fails the run at collect');
SET ecpipe.landing_dir = 'relative/landing';
SELECT is((SELECT concat_ws(':', s->>'status', s->>'step', s->>'error') FROM (SELECT ecpipe_run('2025-06-06') s) x),
          'failed:collect:ecpipe.landing_dir "relative/landing" is not an absolute path', 'so does a relative one');
SET ecpipe.landing_dir = :'fixtures';
SELECT format($$COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; ln -sf /nonexistent/events.jsonl %s/events_20250606.jsonl'$$, :'fixtures')
  AS dangling \gset
:dangling;
SELECT is((SELECT concat_ws(':', s->>'status', s->>'step', s->>'error') FROM (SELECT ecpipe_run('2025-06-06') s) x),
          format('failed:collect:ecpipe: "%s/events_20250606.jsonl" is a symbolic link to a file that does not exist',
                 :'fixtures'),
          'a dangling link in its place too');

-- The directory is the superuser's choice: an operator's run reads the day's file in it with no further privilege.
CREATE ROLE ecpipe_test_op LOGIN IN ROLE ecpipe_operator;
SELECT pg_temp.write_day('2025-06-04', 100, 15, 0) AS path_d \gset
SET ROLE ecpipe_test_op;
SELECT is((SELECT concat_ws(':', s->>'status', s->>'source') FROM (SELECT ecpipe_run('2025-06-04') s) x),
          'succeeded:file', 'an operator without pg_read_server_files runs a day from its file');
SELECT throws_like($$SELECT ecpipe_ingest('2025-06-04', 'events_20250604.jsonl')$$,
                   'ecpipe_ingest reads server files: it needs superuser or the pg_read_server_files role',
                   'while ecpipe_ingest, which reads any path it is given, still needs it');
RESET ROLE;
SELECT format($$COPY (SELECT 1) TO PROGRAM 'cat >/dev/null; rm -f %s/events_20250606.jsonl'$$, :'fixtures') AS cleanup \gset
:cleanup;

SELECT * FROM finish();
ROLLBACK;
