-- Slack messages in ecpipe.language, and a backfill's one digest instead of two messages per day.
BEGIN;
SELECT plan(14);
CREATE EXTENSION ecpipe;

-- A week's backfill (three days here): a day that succeeds (read from its file), a blocked one, one without data.
SET ecpipe.landing_dir = :'fixtures';
SET ecpipe.min_pass_rate = 90;  -- mart_day (2024-04-02) has 1 bad line in 14
SELECT ecpipe_ingest('2024-04-03', :'fixtures' || '/small_day.jsonl');
SELECT set_config('ecpipe.min_pass_rate', '99', false);
SELECT results_eq($$SELECT s->>'ds', s->>'status' FROM ecpipe_backfill('2024-04-01', '2024-04-03') s$$,
                  $$VALUES ('2024-04-01', 'no_data'), ('2024-04-02', 'blocked'), ('2024-04-03', 'blocked')$$,
                  'the backfill runs each day');
SELECT results_eq($$SELECT kind, run_id IS NULL FROM ecpipe.notifications ORDER BY id$$,
                  $$VALUES ('backfill', true)$$, 'one message for the whole backfill, not two per day');
SELECT is((SELECT payload->>'text' FROM ecpipe.notifications), '[BLOCKED] 백필 결과 (2024-04-01 – 2024-04-03)',
          'the digest: its range, tagged by its worst day');
SELECT is((SELECT string_agg(f->>'text', ' | ') FROM ecpipe.notifications, jsonb_array_elements(payload->'blocks'->1->'fields') f),
          E'*성공*\n0일 | *차단*\n2일 | *실패*\n0일 | *데이터 없음*\n1일 | *이벤트*\n0 | *매출*\n0원 | *격리*\n0',
          'the days by outcome, and what the days that succeeded loaded');
SELECT is((SELECT payload->'blocks'->2->'text'->>'text' FROM ecpipe.notifications),
          E'*차단된 날*\n- 2024-04-02: value_validity 92.86%\n'
          '- 2024-04-03: required_fields 91.67%, duplicate_event_id 90.91%, value_validity 90.91%, '
          'funnel_sequence 75.00%, timestamp_validity 90.91%, platform_device 90.91%' || E'\n',
          'each blocked day with its failing checks and their pass rates (order_amount passed on both)');
-- No setting turns a run's messages off: only a backfill replaces its own runs' messages, with a digest of them.
SET ecpipe_backfill.digest = on;
SELECT is(ecpipe_run('2024-04-03')->>'status', 'blocked', 'a run in a session that tries to silence it');
SELECT is((SELECT count(*) FROM ecpipe.notifications WHERE run_id = (SELECT max(run_id) FROM ecpipe.runs)), 2::bigint,
          'still queues its report and its alert');
RESET ecpipe_backfill.digest;

-- After the backfill, a day's run tells its own outcome again; in English when asked.
SET ecpipe.min_pass_rate = 90;
SET ecpipe.language = 'en';
SELECT is(ecpipe_run('2024-04-02')->>'status', 'succeeded', 'a run after the backfill');
SELECT results_eq($$SELECT kind, payload->>'text' FROM ecpipe.notifications
                    WHERE run_id = (SELECT max(run_id) FROM ecpipe.runs) ORDER BY id$$,
                  $$VALUES ('quality_report', '[PASS] Quality check results (2024-04-02)'),
                           ('success', '[SUCCESS] Pipeline finished (2024-04-02)')$$,
                  'the run queues its report and outcome, in English');
SELECT is((SELECT payload->'blocks'->1->'fields'->4->>'text' FROM ecpipe.notifications WHERE kind = 'success'),
          E'*Revenue*\nKRW 225,000', 'revenue in won, with thousands separators');
SELECT is((SELECT payload->'blocks'->1->'fields'->2->>'text' FROM ecpipe.notifications
            WHERE kind = 'quality_report' AND run_id = (SELECT max(run_id) FROM ecpipe.runs)),
          E'*Required*\n≥ 90.00%', 'the report says the pass rate the checks had to reach (here lowered to 90)');
SELECT is(ecpipe.queue_backfill_digest(ARRAY[]::bigint[], '2024-01-01', '2024-12-31'), NULL,
          'a digest of no run of this session queues nothing');
SELECT throws_ok($$SET ecpipe.language = 'fr'$$, '22023', NULL, 'only ko and en');
RESET ecpipe.language;
SELECT is(ecpipe.slack_message('no_data', '{"ds": "2024-04-09"}')->>'text', '[NO DATA] 적재할 데이터 없음 (2024-04-09)',
          'Korean by default');

SELECT * FROM finish();
ROLLBACK;
