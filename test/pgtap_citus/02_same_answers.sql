-- The same batches through a distributed ecpipe (this database, after 01_distribute) and a single-node one (database
-- ecpipe_single on the coordinator's server, through dblink): every check count, raw and quarantine row, line
-- verdict and mart cell equal; the cross-shard fixture's numbers hand-computed; rows on both workers. Committed.
SELECT plan(57);
SELECT format('host=%s port=%s dbname=ecpipe_single user=postgres', current_setting('unix_socket_directories'),
              current_setting('port')) AS single \gset
SET client_min_messages = error;  -- Citus notes that functions in pg_temp stay on this node
-- a statement run here and in the single-node database, with the same settings
CREATE FUNCTION pg_temp.both(cmd text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE cmd;
    PERFORM * FROM dblink(current_setting('ecpipe_test.single'),
                          'SET ecpipe.min_pass_rate = ' || current_setting('ecpipe.min_pass_rate') || '; ' || cmd)
                   AS t(result text);
END $$;
SELECT set_config('ecpipe_test.single', :'single', false);
-- a digest of a query's rows (each row as jsonb, sorted), here and there
CREATE FUNCTION pg_temp.digest(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE v text;
BEGIN
    EXECUTE format('SELECT md5(coalesce(string_agg(x::text, %L ORDER BY x::text), %L)) FROM (%s) t(x)', '|', '', q) INTO v;
    RETURN v;
END $$;
CREATE FUNCTION pg_temp.single_digest(q text) RETURNS text LANGUAGE sql AS $$
    SELECT d FROM dblink(current_setting('ecpipe_test.single'),
                         format('SELECT md5(coalesce(string_agg(x::text, %L ORDER BY x::text), %L)) FROM (%s) t(x)',
                                '|', '', q)) AS r(d text)
$$;

RESET client_min_messages;

SET ecpipe.min_pass_rate = 0;
SELECT pg_temp.both(format($$SELECT ecpipe_ingest('2024-05-10', %L)$$, :'fixtures' || '/cross_shard.jsonl'));
SELECT pg_temp.both($$SELECT ecpipe_run('2024-05-10')$$);

-- The cross-shard fixture, hand-computed (test/fixtures/make_fixtures.sh): line 4 repeats line 1's event_id for
-- another user; line 7 reuses line 3's order_id for another user; lines 9 and 11 have no user_id (placed by their
-- session, away from its other lines): 9 is the add_to_cart before line 13's purchase, 11 switches session 5's
-- platform; line 12 has neither user nor session.
SELECT results_eq($$SELECT check_no, population, failed, pass_rate FROM ecpipe.quality_log
                    WHERE batch_date = '2024-05-10' ORDER BY check_no$$,
                  $$VALUES (1, 13::bigint, 3::bigint, 76.92), (2, 13::bigint, 1::bigint, 92.31), (3, 13::bigint, 0::bigint, 100.00),
                           (4, 5::bigint, 0::bigint, 100.00), (5, 13::bigint, 0::bigint, 100.00),
                           (6, 3::bigint, 1::bigint, 66.67), (7, 12::bigint, 1::bigint, 91.67)$$,
                  'the seven checks over the cross-shard fixture: each count settled across shards');
SELECT results_eq($$SELECT line_no FROM ecpipe.quarantine WHERE batch_date = '2024-05-10' ORDER BY line_no$$,
                  $$VALUES (4::bigint), (9::bigint), (11::bigint), (12::bigint)$$,
                  'quarantined: the repeated event_id and the three lines missing required fields');
SELECT results_eq($$SELECT line_no, failed_checks FROM ecpipe.raw_events WHERE batch_date = '2024-05-10'
                    ORDER BY line_no$$,
                  $$VALUES (1::bigint, 0::smallint), (2::bigint, 0::smallint), (3::bigint, 0::smallint),
                           (5::bigint, 0::smallint), (6::bigint, 0::smallint), (7::bigint, 32::smallint),
                           (8::bigint, 0::smallint), (10::bigint, 0::smallint), (13::bigint, 0::smallint)$$,
                  'raw: the other nine lines, the reused order flagged (check 6)');
SELECT results_eq($$SELECT order_id, user_id FROM ecpipe.mart_orders WHERE order_date = '2024-05-10' ORDER BY order_id$$,
                  $$VALUES ('ORD2024051000001', 'U000011'), ('ORD2024051000002', 'U000012')$$,
                  'an order is its first purchase line, whichever shard holds it');
SELECT is((SELECT ARRAY[summary->>'status', summary->>'loaded', summary->>'quarantined', summary->>'users',
                        summary->>'sessions', summary->>'orders', summary->>'revenue', summary->>'days_rebuilt']
           FROM ecpipe.runs WHERE ds = '2024-05-10' ORDER BY run_id DESC LIMIT 1),
          ARRAY['succeeded', '9', '4', '4', '4', '2', '150000.00', '["2024-05-09", "2024-05-10"]'],
          'the run summary');

-- Generated dirty days (anomaly rate 0.02: a few purchases fail check 6), one run twice: the same answers as one node.
SET ecpipe.min_pass_rate = 50;
COPY (SELECT l FROM ecpipe_generate('2024-06-01', 300, 11, 0.02) l) TO :'fixtures_day1'
    WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
COPY (SELECT l FROM ecpipe_generate('2024-06-02', 300, 12, 0.02) l) TO :'fixtures_day2'
    WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
SELECT pg_temp.both(format($$SELECT ecpipe_ingest('2024-06-01', %L)$$, :'fixtures_day1'));
SELECT pg_temp.both(format($$SELECT ecpipe_ingest('2024-06-02', %L)$$, :'fixtures_day2'));
SELECT pg_temp.both($$SELECT ecpipe_run('2024-06-01')$$);
SELECT pg_temp.both($$SELECT ecpipe_run('2024-06-02')$$);
SELECT pg_temp.both($$SELECT ecpipe_run('2024-06-01')$$);
SELECT is((SELECT count(*) FROM ecpipe.runs WHERE ds IN ('2024-06-01', '2024-06-02') AND status = 'succeeded'), 3::bigint,
          'three runs of the generated days succeeded');

SELECT is(pg_temp.digest($$SELECT to_jsonb(r) - 'run_id' FROM ecpipe.raw_events r WHERE r.batch_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(r) - 'run_id' FROM ecpipe.raw_events r$$), 'every raw row');
SELECT is(pg_temp.digest($$SELECT to_jsonb(q) - '{run_id,quarantined_at,route_key}'::text[] FROM ecpipe.quarantine q
                           WHERE q.batch_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(q) - '{run_id,quarantined_at}'::text[] FROM ecpipe.quarantine q$$),
          'every quarantined line');
SELECT is(pg_temp.digest($$SELECT to_jsonb(v) - '{run_id,route_key}'::text[] FROM ecpipe.line_verdicts v
                           WHERE v.batch_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(v) - 'run_id' FROM ecpipe.line_verdicts v$$), 'every line verdict');
SELECT is(pg_temp.digest($$SELECT to_jsonb(q) - '{run_id,checked_at}'::text[] FROM ecpipe.quality_log q
                           WHERE q.batch_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(q) - '{run_id,checked_at}'::text[] FROM ecpipe.quality_log q$$),
          'every check''s population, failures, rate, status and samples');
SELECT is(pg_temp.digest($$SELECT jsonb_build_array(v.batch_date, v.status, v.lines, v.blank_lines, v.events, v.quarantined)
                           FROM ecpipe.validations v WHERE v.batch_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT jsonb_build_array(v.batch_date, v.status, v.lines, v.blank_lines, v.events,
                                                           v.quarantined) FROM ecpipe.validations v$$),
          'every validation''s verdict and counts');
SELECT is(pg_temp.digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_user_daily m WHERE m.activity_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_user_daily m$$), 'mart_user_daily');
SELECT is(pg_temp.digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_funnel_daily m WHERE m.funnel_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_funnel_daily m$$), 'mart_funnel_daily');
SELECT is(pg_temp.digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_product_daily m WHERE m.activity_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_product_daily m$$), 'mart_product_daily');
SELECT is(pg_temp.digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_orders m WHERE m.order_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_orders m$$), 'mart_orders');
SELECT is(pg_temp.digest($$SELECT to_jsonb(b) FROM ecpipe.batch_days b WHERE b.batch_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(b) FROM ecpipe.batch_days b$$), 'the batches'' event days');
SELECT is(pg_temp.digest($$SELECT r.summary - '{run_id,seconds,source,source_file}'::text[] FROM ecpipe.runs r
                           WHERE r.ds >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT r.summary - '{run_id,seconds,source,source_file}'::text[] FROM ecpipe.runs r$$),
          'every run summary (counts, revenue, checks, days)');
SELECT ok((SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2024-06-01') > 1000, 'a day of real size');

-- The marts against an independent computation: test/reference/marts.sql (docs/CHECKS.md's marts as plain GROUP BY
-- queries) over the same raw rows, in the single-node twin (Citus cannot plan its SQL functions with parameters).
\set reference `cat test/reference/marts.sql`
SELECT dblink_connect('reference', :'single') AS reference_connected \gset
SELECT dblink_exec('reference', :'reference') AS reference_created \gset
SET client_min_messages = error;  -- Citus notes that functions in pg_temp stay on this node
CREATE FUNCTION pg_temp.reference_digest(cols text, ref text) RETURNS text LANGUAGE sql AS $$
    SELECT d FROM dblink('reference', format(
        'SELECT md5(coalesce(string_agg(x::text, %L ORDER BY x::text), %L)) FROM (SELECT (%s)::text FROM
         (SELECT DISTINCT event_day FROM ecpipe.raw_events WHERE event_day >= %L) days, pg_temp.%s(days.event_day) m) t(x)',
        '|', '', cols, '2024-05-01', ref)) AS r(d text)
$$;
RESET client_min_messages;
SELECT is(pg_temp.digest(format('SELECT (%s)::text FROM ecpipe.%I m WHERE m.%I >= %L', t.cols, t.mart, t.day_col,
                                '2024-05-01')),
          pg_temp.reference_digest(t.cols, t.reference), t.mart || ' equals the reference')
FROM (VALUES
    ('mart_user_daily', 'activity_date', 'ref_user_daily',
     'm.activity_date, m.user_id, m.session_count, m.page_view_count, m.click_count, m.add_to_cart_count, '
     'm.purchase_count, m.search_count, m.total_purchase_amount, m.first_event_at, m.last_event_at, '
     'm.session_duration_total'),
    ('mart_funnel_daily', 'funnel_date', 'ref_funnel_daily',
     'm.funnel_date, m.platform, m.step1_viewers, m.step2_clickers, m.step3_cart_adders, m.step4_purchasers, '
     'm.view_to_click_rate, m.click_to_cart_rate, m.cart_to_purchase_rate, m.overall_conversion_rate'),
    ('mart_product_daily', 'activity_date', 'ref_product_daily',
     'm.activity_date, m.product_id, m.click_count, m.cart_add_count, m.purchase_count, m.units_sold, m.revenue, '
     'm.unique_viewers, m.unique_buyers, m.conversion_rate'),
    ('mart_orders', 'order_date', 'ref_orders',
     'm.order_date, m.order_id, m.order_timestamp, m.user_id, m.session_id, m.platform, m.payment_method, '
     'm.total_amount, m.discount_amount, m.shipping_fee, m.coupon_code, m.item_count, m.unit_count, m.items_amount')
) AS t(mart, day_col, reference, cols) ORDER BY t.mart;
SELECT dblink_disconnect('reference') AS reference_disconnected \gset

-- A client's \copy into ecpipe.landing_import (on the coordinator; here a server-side COPY of the same kind): the run
-- sends the lines to the workers and gives the same answers.
SELECT pg_temp.both(format($$SET ecpipe.landing_date = '2024-06-03';
                             COPY ecpipe.landing_import (line) FROM %L
                             WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02', FORCE_NOT_NULL (line))$$,
                           :'fixtures' || '/cross_shard.jsonl'));
SELECT pg_temp.both($$SELECT ecpipe_run('2024-06-03')$$);
SELECT is((SELECT loaded FROM ecpipe.runs WHERE ds = '2024-06-03'), 9::bigint,
          'a batch copied in by a client runs on the workers');
SELECT is((SELECT count(*) FROM ecpipe.landing_import), 0::bigint, 'its lines left the coordinator''s landing');
SELECT is(pg_temp.digest($$SELECT to_jsonb(r) - 'run_id' FROM ecpipe.raw_events r WHERE r.batch_date = '2024-06-03'$$),
          pg_temp.single_digest($$SELECT to_jsonb(r) - 'run_id' FROM ecpipe.raw_events r
                                  WHERE r.batch_date = '2024-06-03'$$),
          'the same raw rows as one node');

-- The work landed on the workers: both hold the day's lines, raw rows and quarantined lines; the coordinator none.
SELECT results_eq($$SELECT role, landing_lines > 0, raw_rows > 0 FROM ecpipe_cluster_status('2024-06-01')
                    ORDER BY role, port$$,
                  $$VALUES ('coordinator', false, false), ('worker', true, true), ('worker', true, true)$$,
                  'both workers hold the day''s lines and raw rows');
SELECT is((SELECT sum(raw_rows) FROM ecpipe_cluster_status('2024-06-01')),
          (SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2024-06-01')::numeric, 'counted where they are');

-- A blocked day on a distributed ecpipe: nothing of it loaded, the marts as they were.
SET ecpipe.min_pass_rate = 99.9;
SELECT is(ecpipe_run('2024-06-02')->>'status', 'blocked', 'a day blocked at a higher bar');
SELECT is(pg_temp.digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_user_daily m WHERE m.activity_date >= '2024-05-01'$$),
          pg_temp.single_digest($$SELECT to_jsonb(m) - 'run_id' FROM ecpipe.mart_user_daily m$$),
          'its marts as they were');
SELECT is((SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2024-06-02'),
          (SELECT n FROM dblink(:'single', $$SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2024-06-02'$$)
           AS t(n bigint)), 'its rows as they were');

-- A day's file in ecpipe.landing_dir: routed to the workers by the run, its copy gone once loaded; delivered again
-- with other lines, the next run reads the file as it is now.
SET ecpipe.landing_dir = :'fixtures';
COPY (SELECT l FROM ecpipe_generate('2024-06-07', 80, 7) l) TO :'fixtures_day7'
    WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
SELECT is(ecpipe_run('2024-06-07')
          - '{run_id,seconds,checks,source_file,users,sessions,orders,revenue,days_rebuilt,min_pass_rate}'::text[],
          jsonb_build_object('ds', '2024-06-07', 'status', 'succeeded',
                             'loaded', (SELECT count(*) FROM ecpipe_generate('2024-06-07', 80, 7)),
                             'quarantined', 0, 'step', NULL, 'error', NULL, 'source', 'file'),
          'a day read from its file: routed, validated on the workers, loaded; the source is the file');
SELECT is((SELECT count(*) FROM ecpipe.landing WHERE batch_date = '2024-06-07'), 0::bigint,
          'no copy of the file stays in landing');
COPY (SELECT l FROM ecpipe_generate('2024-06-07', 30, 8) l) TO :'fixtures_day7'
    WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
SELECT is((ecpipe_run('2024-06-07')->>'loaded')::bigint,
          (SELECT count(*) FROM ecpipe_generate('2024-06-07', 30, 8)), 'the file delivered again is what the next run reads');
RESET ecpipe.landing_dir;

-- Roles: an operator lands (as a client's \copy does) and runs a day; a reader gets the quarantine counts and the page.
SET ecpipe.min_pass_rate = 50;
CREATE ROLE ecpipe_test_op LOGIN IN ROLE ecpipe_operator;
CREATE ROLE ecpipe_test_reader LOGIN IN ROLE ecpipe_reader;
SET ROLE ecpipe_test_op;
SET ecpipe.landing_date = '2024-06-04';
INSERT INTO ecpipe.landing_import (line) SELECT l FROM ecpipe_generate('2024-06-04', 100, 4, 0.02) l;
RESET ecpipe.landing_date;
SELECT is(ecpipe_run('2024-06-04')->>'status', 'succeeded', 'an operator runs a day on the workers');
SELECT throws_ok($$SELECT ecpipe.load_distributed('2024-06-04', 1, false)$$, '42501', NULL,
                 'but cannot call the distributed data path''s pieces itself (they run as the extension''s owner)');
SELECT throws_ok($$SELECT ecpipe.validate_shard('anchor 0', '2024-06-04', 1, '{}', '{}')$$, '42501', NULL,
                 'nor write verdicts through a shard''s validator');
SELECT throws_ok($$DELETE FROM ecpipe.shard_anchors$$, '42501', NULL, 'nor touch the anchors');
RESET ROLE;
SET ROLE ecpipe_test_reader;
SELECT ok((SELECT sum(lines) FROM ecpipe.quarantine_summary WHERE batch_date = '2024-06-04') > 0,
          'a reader reads the quarantine counts');
SELECT ok(ecpipe_report_html('2024-06-01', '2024-06-04') LIKE '<!DOCTYPE html>%', 'and the page');
RESET ROLE;

-- A client's \copy through a worker (here a server-side COPY of the same kind, through dblink): numbered there, a batch
-- per statement, spread over the shards; the day's latest statement, through whichever node, is what the next run reads.
SELECT format('host=%s dbname=ecpipe_citus port=', current_setting('unix_socket_directories')) AS node \gset
SELECT set_config('ecpipe_test.copy', $$SET ecpipe.landing_date = '2024-06-05';
    COPY ecpipe.landing_import (line) FROM '%s' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02', FORCE_NOT_NULL (line))$$,
                  false) IS NOT NULL AS copy_set \gset
COPY (SELECT l FROM ecpipe_generate('2024-06-05', 60, 5, 0.02) l) TO :'fixtures_day5'
    WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
SELECT dblink_exec(:'node' || '5433 user=postgres', format(current_setting('ecpipe_test.copy'), :'fixtures' || '/cross_shard.jsonl'));
SELECT dblink_exec(:'node' || '5434 user=postgres', format(current_setting('ecpipe_test.copy'), :'fixtures_day5'));
SELECT results_eq($$SELECT count(*), min(line_no), max(line_no) FROM ecpipe.landing_import
                    WHERE batch_date = '2024-06-05' GROUP BY landed_at ORDER BY landed_at$$,
                  $$VALUES (13::bigint, 1::bigint, 13::bigint),
                           ((SELECT count(*) FROM ecpipe_generate('2024-06-05', 60, 5, 0.02)), 1,
                            (SELECT count(*) FROM ecpipe_generate('2024-06-05', 60, 5, 0.02)))$$,
                  'two copies through two workers: each statement its own batch, numbered from 1');
SELECT dblink_exec(:'single', format(current_setting('ecpipe_test.copy'), :'fixtures_day5'));
SELECT pg_temp.both($$SELECT ecpipe_run('2024-06-05')$$);
SELECT is((SELECT (r.summary->>'loaded')::bigint + (r.summary->>'quarantined')::bigint FROM ecpipe.runs r
           WHERE r.ds = '2024-06-05'),
          (SELECT count(*) FROM ecpipe_generate('2024-06-05', 60, 5, 0.02)),
          'the run reads the latest copy: each of its lines loaded or quarantined');
SELECT is(pg_temp.digest($$SELECT to_jsonb(r) - 'run_id' FROM ecpipe.raw_events r WHERE r.batch_date = '2024-06-05'$$),
          pg_temp.single_digest($$SELECT to_jsonb(r) - 'run_id' FROM ecpipe.raw_events r
                                  WHERE r.batch_date = '2024-06-05'$$),
          'the same raw rows as one node given that file');
SELECT is(pg_temp.digest($$SELECT to_jsonb(q) - '{run_id,route_key,quarantined_at}'::text[] FROM ecpipe.quarantine q
                           WHERE q.batch_date = '2024-06-05'$$),
          pg_temp.single_digest($$SELECT to_jsonb(q) - '{run_id,quarantined_at}'::text[] FROM ecpipe.quarantine q
                                  WHERE q.batch_date = '2024-06-05'$$),
          'and the same quarantined lines');
SELECT is((SELECT count(*) FROM ecpipe.landing_import WHERE batch_date = '2024-06-05'), 0::bigint,
          'both copies left landing_import');
SELECT results_eq($$SELECT s.status, s.rows, s.detail FROM ecpipe.run_steps s JOIN ecpipe.runs r USING (run_id)
                    WHERE r.ds = '2024-06-05' AND s.name = 'collect'$$,
                  $$SELECT 'succeeded', n, n || ' lines a client copied, taken to landing'
                    FROM (SELECT count(*) AS n FROM ecpipe_generate('2024-06-05', 60, 5, 0.02)) g$$,
                  'the collect step says it took the client''s lines');
-- an operator's lines through a worker, then a file ingested for the same day: the later one wins, as on one node
SELECT dblink_exec(:'node' || '5434 user=ecpipe_test_op',
                   $$SET ecpipe.landing_date = '2024-06-06';
                     INSERT INTO ecpipe.landing_import (line) SELECT l FROM ecpipe_generate('2024-06-06', 10, 6) l$$);
SELECT is((SELECT count(*) FROM ecpipe.landing_import WHERE batch_date = '2024-06-06'),
          (SELECT count(*) FROM ecpipe_generate('2024-06-06', 10, 6)), 'an operator lands lines through a worker');
SELECT ecpipe_ingest('2024-06-06', :'fixtures' || '/cross_shard.jsonl');
SELECT is(ecpipe_run('2024-06-06')->>'loaded', '9', 'a file ingested after them replaces them (9 lines of it load)');
-- two copies in one function: two batches, the second read; lines copied after a validation fail its load
SET client_min_messages = error;
CREATE FUNCTION pg_temp.copy_twice(first text, second text) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM set_config('ecpipe.landing_date', '2024-06-08', true);
    EXECUTE format($$COPY ecpipe.landing_import (line) FROM %L
                     WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02', FORCE_NOT_NULL (line))$$, first);
    EXECUTE format($$COPY ecpipe.landing_import (line) FROM %L
                     WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02', FORCE_NOT_NULL (line))$$, second);
END $f$;
RESET client_min_messages;
SELECT pg_temp.copy_twice(:'fixtures_day5', :'fixtures' || '/cross_shard.jsonl');
SELECT results_eq($$SELECT count(*) FROM ecpipe.landing_import WHERE batch_date = '2024-06-08'
                    GROUP BY landed_at ORDER BY landed_at$$,
                  $$VALUES ((SELECT count(*) FROM ecpipe_generate('2024-06-05', 60, 5, 0.02))), (13::bigint)$$,
                  'two copies in one function are two batches');
SELECT is((SELECT population FROM ecpipe_validate('2024-06-08') WHERE check_no = 1), 13::bigint,
          'the later one is validated (its 13 lines)');
SELECT dblink_exec(:'node' || '5433 user=postgres',
                   replace(format(current_setting('ecpipe_test.copy'), :'fixtures_day5'), '2024-06-05', '2024-06-08'));
SELECT throws_like($$SELECT ecpipe_load('2024-06-08')$$, 'batch 2024-06-08 changed after its validation%',
                   'a copy after the validation fails the load, as on one node');
SELECT throws_like(format($$SELECT dblink_exec(%L, 'SET ecpipe.landing_date = ''2024-06-08'';
                              INSERT INTO ecpipe.landing_import (line) SELECT line FROM ecpipe.landing')$$,
                          :'node' || '5433 user=postgres'),
                   '%a distributed query''s task cannot number or stamp a client''s lines%',
                   'lines selected from distributed tables are refused with the reason, not numbered per shard');
SELECT throws_like(format($$SELECT * FROM dblink('host=%s port=5434 dbname=ecpipe_citus user=postgres',
                                                 'SELECT ecpipe_run(''2024-06-04'')::text') AS t(s text)$$,
                          current_setting('unix_socket_directories')),
                   '%this is a worker of a distributed ecpipe; run it on the coordinator%',
                   'a run on a worker is refused before anything is recorded there');
SELECT throws_like(format($$SELECT * FROM dblink('host=%s port=5434 dbname=ecpipe_citus user=postgres',
                                                 'SELECT ecpipe_distribute(4)::text') AS t(s text)$$,
                          current_setting('unix_socket_directories')),
                   '%ecpipe_distribute: this node is not the Citus coordinator%',
                   'ecpipe_distribute on a worker says it is not the coordinator');
SELECT throws_like(format($$SELECT * FROM dblink('host=%s port=5434 dbname=ecpipe_citus user=postgres',
                                                 'SELECT node FROM ecpipe_cluster_status()') AS t(s text)$$,
                          current_setting('unix_socket_directories')),
                   '%ecpipe_cluster_status: this is a worker of a distributed ecpipe; run it on the coordinator%',
                   'so does ecpipe_cluster_status (a worker''s run record is empty)');
SELECT throws_like(format($$SELECT * FROM dblink('host=%s port=5434 dbname=ecpipe_citus user=postgres',
                                                 'SELECT ecpipe.check_batch(''2024-06-04'', 1)') AS t(s text)$$,
                          current_setting('unix_socket_directories')),
                   '%this is a worker of a distributed ecpipe; run the pipeline on the coordinator%',
                   'so is a step of it');

-- Many sessions split across shards (a hostile batch: each session's first line without user_id, on another shard
-- than its second): their findings reach the verdicts in a few statements, the same as one node's.
COPY (SELECT json_build_object('event_id', format('00000000-0000-4000-8000-%s', lpad((2 * i + k)::text, 12, '0')),
                               'event_type', 'page_view', 'page_url', 'https://shop.example.com/p',
                               'page_type', 'product',
                               'session_id', format('00000000-0000-4000-9000-%s', lpad(i::text, 12, '0')),
                               'user_id', CASE WHEN k = 1 THEN format('U%s', lpad((i + 1)::text, 6, '0')) END,
                               'timestamp', format('2024-05-11T08:0%s:00Z', k),
                               'platform', CASE WHEN k = 0 THEN 'ios' ELSE 'android' END, 'device_type', 'mobile')
      FROM generate_series(0, 1999) i, generate_series(0, 1) k ORDER BY i, k)
    TO :'fixtures_split' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');
SELECT pg_temp.both(format($$SELECT ecpipe_ingest('2024-05-11', %L)$$, :'fixtures_split'));
SELECT pg_temp.both($$SELECT count(*) FROM ecpipe_validate('2024-05-11')$$);
SELECT is(pg_temp.digest($$SELECT to_jsonb(v) - '{run_id,route_key}'::text[] FROM ecpipe.line_verdicts v
                           WHERE v.batch_date = '2024-05-11'$$),
          pg_temp.single_digest($$SELECT to_jsonb(v) - 'run_id' FROM ecpipe.line_verdicts v
                                  WHERE v.batch_date = '2024-05-11'$$),
          '2,000 sessions split across shards: every line verdict as one node''s');
SELECT results_eq($$SELECT count(*) FILTER (WHERE disposition = 'raw'), count(*) FROM ecpipe.line_verdicts
                    WHERE batch_date = '2024-05-11'$$,
                  $$VALUES (2000::bigint, 4000::bigint)$$,
                  'each second line still goes to raw, flagged for its session''s platform switch');

SELECT * FROM finish();
