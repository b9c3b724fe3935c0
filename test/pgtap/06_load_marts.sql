-- ecpipe_load and ecpipe_build_marts: a hand-computed day cell by cell, late data, idempotence, failed batches,
-- and agreement with the plain-SQL reference marts on generated days.
BEGIN;
SELECT plan(35);
CREATE EXTENSION ecpipe;
\ir ../reference/marts.sql

-- mart_day.jsonl: 14 lines, one quarantined (line 13, page_type 'bogus'): 13/14 pass check 3, so let 90% pass.
SET ecpipe.min_pass_rate = 90;
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
SELECT throws_ok($$SELECT ecpipe_load('2024-04-02')$$, '55000',
                 'batch 2024-04-02 has not been validated: run ecpipe_validate first', 'load needs a validation first');
SELECT is((SELECT count(*) FROM ecpipe_validate('2024-04-02') WHERE status = 'PASS'), 7::bigint, 'the batch passes');
SELECT is(ecpipe_load('2024-04-02', 500) - 'run_id',
          '{"batch_date": "2024-04-02", "status": "loaded", "loaded": 13, "quarantined": 1, "users": 3, "sessions": 4, "orders": 2, "revenue": 225000.00, "days_rebuilt": ["2024-04-01", "2024-04-02"]}'::jsonb,
          'load: 13 raw, 1 quarantined, 3 users, 4 sessions, 2 orders, their revenue, the late event''s day rebuilt too');

SELECT results_eq($$SELECT q.line_no, q.reasons, q.detail, q.line = l.line, q.run_id
                     FROM ecpipe.quarantine q JOIN ecpipe.landing l USING (batch_date, line_no)$$,
  $$VALUES (13::bigint, ARRAY['value_validity'], 'value_validity: page_type: "bogus" is not one of home, category, product, cart, checkout, order_complete, mypage', true, 500::bigint)$$,
  'the quarantined line: its reason, the line exactly as landed, and the run that put it there');
SELECT results_eq($$SELECT event_day, count(*) FROM ecpipe.raw_events GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('2024-04-01'::date, 1::bigint), ('2024-04-02', 12)$$, 'raw events filed under their event day');
SELECT is((SELECT count(*) FROM pg_inherits WHERE inhparent = 'ecpipe.raw_events'::regclass), 2::bigint,
          'one partition per event day, created on demand');
SELECT results_eq($$SELECT quantity, unit_price, category_id, run_id, failed_checks FROM ecpipe.raw_events WHERE line_no = 3$$,
                  $$VALUES (2::bigint, 89000.00::numeric(14,2), 'CAT001', 500::bigint, 0::smallint)$$,
                  'typed columns, the run that loaded them, no flags');
SELECT is((SELECT extra_data FROM ecpipe.raw_events WHERE line_no = 4),
          '{"products": [{"product_id": "P1001", "quantity": 2, "unit_price": 89000}], "discount_amount": 5000, "shipping_fee": 0, "coupon_code": "COUP001"}'::jsonb,
          'extra_data written as a string is stored as the same JSONB object');
SELECT is((SELECT extras FROM ecpipe.raw_events WHERE line_no = 12), '{"campaign": "spring"}'::jsonb,
          'unknown fields are kept in extras');
SELECT is((SELECT event_time FROM ecpipe.raw_events WHERE line_no = 11), '2024-04-01 23:50:00+00'::timestamptz,
          'timestamps are instants');

-- mart_user_daily, 2024-04-02
SELECT results_eq(
  $$SELECT user_id, session_count, page_view_count, click_count, add_to_cart_count, purchase_count, search_count,
           total_purchase_amount, first_event_at, last_event_at, session_duration_total, run_id
    FROM ecpipe.mart_user_daily WHERE activity_date = '2024-04-02' ORDER BY user_id$$,
  $$VALUES ('U000001', 2::bigint, 3::bigint, 1::bigint, 1::bigint, 1::bigint, 0::bigint, 173000.00::numeric(14,2),
            '2024-04-02 09:00:00+00'::timestamptz, '2024-04-02 15:10:00+00'::timestamptz, interval '13 minutes', 500::bigint),
           ('U000002', 1, 1, 1, 1, 1, 0, 52000.00, '2024-04-02 10:00:00+00', '2024-04-02 10:02:00+00', interval '2 minutes', 500),
           ('U000003', 1, 1, 0, 0, 0, 1, 0.00, '2024-04-02 00:05:00+00', '2024-04-02 00:06:00+00', interval '1 minute', 500)$$,
  'mart_user_daily 2024-04-02, cell by cell');
SELECT results_eq(
  $$SELECT user_id, session_count, click_count, first_event_at, session_duration_total
    FROM ecpipe.mart_user_daily WHERE activity_date = '2024-04-01'$$,
  $$VALUES ('U000003', 1::bigint, 1::bigint, '2024-04-01 23:50:00+00'::timestamptz, interval '0')$$,
  'the late event makes its own day''s user row');

-- mart_funnel_daily
SELECT results_eq(
  $$SELECT funnel_date, platform, step1_viewers, step2_clickers, step3_cart_adders, step4_purchasers,
           view_to_click_rate, click_to_cart_rate, cart_to_purchase_rate, overall_conversion_rate
    FROM ecpipe.mart_funnel_daily ORDER BY 1, 2$$,
  $$VALUES ('2024-04-01'::date, 'web', 0::bigint, 1::bigint, 0::bigint, 0::bigint, NULL::numeric(6,2), 0.00::numeric(6,2), NULL::numeric(6,2), NULL::numeric(6,2)),
           ('2024-04-02', 'ios', 1, 1, 1, 1, 100.00, 100.00, 100.00, 100.00),
           ('2024-04-02', 'web', 2, 1, 1, 1, 50.00, 100.00, 100.00, 50.00)$$,
  'mart_funnel_daily, rates NULL when the denominator is 0');

-- mart_product_daily
SELECT results_eq(
  $$SELECT activity_date, product_id, click_count, cart_add_count, purchase_count, units_sold, revenue,
           unique_viewers, unique_buyers, conversion_rate FROM ecpipe.mart_product_daily ORDER BY 1, 2$$,
  $$VALUES ('2024-04-01'::date, 'P1001', 1::bigint, 0::bigint, 0::bigint, 0::numeric, 0.00::numeric(14,2), 1::bigint, 0::bigint, 0.00::numeric(6,2)),
           ('2024-04-02', 'P1001', 1, 1, 1, 2, 178000.00, 1, 1, 100.00),
           ('2024-04-02', 'P2001', 1, 1, 1, 1, 49000.00, 1, 1, 100.00)$$,
  'mart_product_daily, line items unnested from extra_data');

-- mart_orders
SELECT results_eq(
  $$SELECT order_id, order_timestamp, user_id, session_id, platform, payment_method, total_amount, discount_amount,
           shipping_fee, coupon_code, item_count, unit_count, items_amount FROM ecpipe.mart_orders ORDER BY 1$$,
  $$VALUES ('ORD2024040200001', '2024-04-02 09:03:00+00'::timestamptz, 'U000001', '00000000-0000-4000-9000-000000000001',
            'web', 'kakao_pay', 173000.00::numeric(14,2), 5000.00::numeric(14,2), 0.00::numeric(14,2), 'COUP001', 1::bigint, 2::numeric, 178000.00::numeric(14,2)),
           ('ORD2024040200002', '2024-04-02 10:02:00+00', 'U000002', '00000000-0000-4000-9000-000000000003',
            'ios', 'toss_pay', 52000.00, 0.00, 3000.00, NULL, 1, 1, 49000.00)$$,
  'mart_orders, discount, shipping and coupon from extra_data');

-- Idempotence: loading again gives the same marts (run_id aside).
-- Checksums of raw and of each mart, run_id aside (a re-run stamps its own run_id).
CREATE FUNCTION pg_temp.checksums() RETURNS TABLE (m text, h text) LANGUAGE sql AS $$
  SELECT 'u' AS m, md5(string_agg(t::text, '|' ORDER BY t::text)) AS h
    FROM (SELECT activity_date, user_id, session_count, page_view_count, click_count, add_to_cart_count, purchase_count,
                 search_count, total_purchase_amount, first_event_at, last_event_at, session_duration_total
            FROM ecpipe.mart_user_daily) t
  UNION ALL SELECT 'f', md5(string_agg(t::text, '|' ORDER BY t::text))
    FROM (SELECT funnel_date, platform, step1_viewers, step2_clickers, step3_cart_adders, step4_purchasers, view_to_click_rate,
                 click_to_cart_rate, cart_to_purchase_rate, overall_conversion_rate FROM ecpipe.mart_funnel_daily) t
  UNION ALL SELECT 'p', md5(string_agg(t::text, '|' ORDER BY t::text))
    FROM (SELECT activity_date, product_id, click_count, cart_add_count, purchase_count, units_sold, revenue, unique_viewers,
                 unique_buyers, conversion_rate FROM ecpipe.mart_product_daily) t
  UNION ALL SELECT 'o', md5(string_agg(t::text, '|' ORDER BY t::text))
    FROM (SELECT order_date, order_id, order_timestamp, user_id, session_id, platform, payment_method, total_amount,
                 discount_amount, shipping_fee, coupon_code, item_count, unit_count, items_amount FROM ecpipe.mart_orders) t
  UNION ALL SELECT 'r', md5(string_agg(t::text, '|' ORDER BY t::text))
    FROM (SELECT event_day, batch_date, line_no, event_id, event_time, extra_data, extras FROM ecpipe.raw_events) t
$$;
CREATE TEMP TABLE before_marts AS SELECT * FROM pg_temp.checksums();
SELECT lives_ok($$SELECT ecpipe_load('2024-04-02')$$, 'loading the same batch again');
CREATE TEMP TABLE after_marts AS SELECT * FROM pg_temp.checksums();
SELECT results_eq($$SELECT * FROM after_marts ORDER BY m$$, $$SELECT * FROM before_marts ORDER BY m$$,
                  'a second load gives identical raw rows and marts');
SELECT is((SELECT count(*) FROM ecpipe.quarantine), 1::bigint, 'and replaces, not adds, the quarantine');

-- A blocked batch changes nothing, even for a day it touches.
SELECT ecpipe_ingest('2024-04-03', :'fixtures' || '/mart_day_bad.jsonl');
SELECT is((SELECT count(*) FROM ecpipe_validate('2024-04-03') WHERE status = 'FAIL'), 1::bigint, 'the bad batch fails check 1');
SELECT is(ecpipe_load('2024-04-03')->>'status', 'failed', 'load reports the failed validation');
SELECT results_eq($$SELECT * FROM before_marts ORDER BY m$$, $$SELECT * FROM after_marts ORDER BY m$$, 'and loads nothing');
SELECT is((SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2024-04-03'), 0::bigint, 'no raw rows from it');

-- A batch changed after its validation is refused.
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/small_day.jsonl');
SELECT throws_like($$SELECT ecpipe_load('2024-04-02')$$, 'batch 2024-04-02 changed after its validation%',
                   'a changed batch must be validated again');

-- ecpipe_build_marts on its own agrees with the reference statements.
SELECT results_eq($$SELECT (ecpipe_build_marts('2024-04-02'))->>'orders'$$, $$VALUES ('2')$$, 'build_marts reports its counts');

-- mart_product_daily's kinds of product, on a day of raw events written here: PC clicked (twice by one user) and put
-- in a cart, never bought; PK only put in a cart; PL only bought (three line items, two buyers); PB clicked by three
-- users and bought by one, in one order of two PB line items. An entry without a product_id is no line item.
SELECT ecpipe.raw_partition('2024-04-10');
INSERT INTO ecpipe.raw_events (event_day, batch_date, line_no, run_id, event_id, event_type, user_id, session_id,
                               event_time, platform, device_type, product_id, order_id, total_amount, extra_data)
SELECT '2024-04-10', '2024-04-10', n, 1, 'e' || n, t, u, 's' || u,
       timestamptz '2024-04-10 10:00+00' + n * interval '1 minute', 'web', 'desktop', p, o, a, x::jsonb
FROM (VALUES (1, 'click', 'U1', 'PC', NULL, NULL, NULL), (2, 'click', 'U1', 'PC', NULL, NULL, NULL),
             (3, 'click', 'U2', 'PC', NULL, NULL, NULL), (4, 'add_to_cart', 'U1', 'PC', NULL, NULL, NULL),
             (5, 'add_to_cart', 'U3', 'PK', NULL, NULL, NULL),
             (6, 'click', 'U1', 'PB', NULL, NULL, NULL), (7, 'click', 'U2', 'PB', NULL, NULL, NULL),
             (8, 'click', 'U4', 'PB', NULL, NULL, NULL),
             (9, 'purchase', 'U1', NULL, 'O1', 40.00,
              '{"products": [{"product_id": "PB", "quantity": 2, "unit_price": 10.5},
                             {"product_id": "PL", "quantity": 1, "unit_price": 3.333},
                             {"product_id": "PB", "quantity": 1, "unit_price": 10},
                             {"product_id": "", "quantity": 9, "unit_price": 9}]}'),
             (10, 'purchase', 'U3', NULL, 'O2', 6.00, '{"products": [{"product_id": "PL", "quantity": 3, "unit_price": 2}]}'),
             (11, 'purchase', 'U3', NULL, 'O3', 2.00, '{"products": [{"product_id": "PL", "quantity": 1, "unit_price": 2}]}'))
     AS e(n, t, u, p, o, a, x);
CREATE TEMP TABLE built AS SELECT ecpipe_build_marts('2024-04-10') AS counts;
SELECT is((SELECT counts - 'run_id' FROM built),
          '{"day": "2024-04-10", "users": 4, "platforms": 1, "products": 4, "orders": 3, "events_from": "scan"}'::jsonb,
          'build_marts counts four products on the day');
SELECT results_eq(
  $$SELECT product_id, click_count, cart_add_count, purchase_count, units_sold, revenue, unique_viewers, unique_buyers,
           conversion_rate, run_id = (SELECT (counts->>'run_id')::bigint FROM built)
    FROM ecpipe.mart_product_daily WHERE activity_date = '2024-04-10' ORDER BY product_id$$,
  $$VALUES ('PB', 3::bigint, 0::bigint, 2::bigint, 3::numeric, 31.00::numeric(14,2), 3::bigint, 1::bigint,
            33.33::numeric(6,2), true),
           ('PC', 3, 1, 0, 0, 0.00, 2, 0, 0.00, true),
           ('PK', 0, 1, 0, 0, 0.00, 0, 0, NULL, true),
           ('PL', 0, 0, 3, 5, 11.33, 0, 2, NULL, true)$$,
  'mart_product_daily: clicks and carts only, a cart only, line items only, and both, cell by cell');

-- Generated days, clean and anomalous, 500 and 5,000 users: ecpipe's marts equal the reference cell for cell.
SET ecpipe.min_pass_rate = 0;  -- load anomalous days too, so flagged raw events reach the marts
CREATE TEMP TABLE gen(ds date, users int, rate float8);
INSERT INTO gen VALUES ('2026-02-01', 500, 0), ('2026-02-02', 5000, 0), ('2026-02-03', 500, 0.05), ('2026-02-04', 5000, 0.05);
CREATE FUNCTION pg_temp.land_generated(ds date, users int, rate float8, dir text) RETURNS bigint LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE format($q$COPY (SELECT l FROM ecpipe_generate(%L, %s, 9, %s) l) TO %L
                    WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')$q$, ds, users, rate, dir || '/gen_' || ds || '.jsonl');
  PERFORM ecpipe_ingest(ds, dir || '/gen_' || ds || '.jsonl');
  PERFORM ecpipe_validate(ds);
  RETURN (ecpipe_load(ds)->>'loaded')::bigint;
END $f$;
SELECT cmp_ok((SELECT min(pg_temp.land_generated(ds, users, rate, :'fixtures')) FROM gen), '>', 0::bigint,
              'four generated days loaded');
SELECT results_eq(
  $$SELECT count(*) FILTER (WHERE r.failed_checks & 8 <> 0), count(*) FILTER (WHERE r.failed_checks & 32 <> 0),
           count(*) FILTER (WHERE r.failed_checks & 64 <> 0), count(*) FILTER (WHERE r.failed_checks & ~104 <> 0),
           count(*) FILTER (WHERE r.failed_checks <> coalesce(v.failed_checks, 0))
    FROM ecpipe.raw_events r LEFT JOIN ecpipe.line_verdicts v USING (batch_date, line_no)
    WHERE r.batch_date IN ('2026-02-03', '2026-02-04')$$,
  $$SELECT count(*) FILTER (WHERE l.line LIKE '{"anomaly": "funnel_violation"%'),
           count(*) FILTER (WHERE l.line LIKE '{"anomaly": "amount_mismatch"%' AND l.line LIKE '%"event_type": "purchase"%'),
           count(*) FILTER (WHERE l.line LIKE '{"anomaly": "platform_device"%'), 0::bigint, 0::bigint
    FROM ecpipe.landing l WHERE l.batch_date IN ('2026-02-03', '2026-02-04')$$,
  'raw events keep checks 4, 6 and 7 as flags, exactly the injected ones and only those');
SELECT set_eq($$SELECT activity_date, user_id, session_count, page_view_count, click_count, add_to_cart_count, purchase_count,
                       search_count, total_purchase_amount, first_event_at, last_event_at, session_duration_total
                FROM ecpipe.mart_user_daily WHERE activity_date >= '2026-02-01'$$,
              $$SELECT activity_date, user_id, session_count, page_view_count, click_count, add_to_cart_count, purchase_count,
                       search_count, total_purchase_amount, first_event_at, last_event_at, session_duration_total
                FROM gen, pg_temp.ref_user_daily(gen.ds)$$, 'mart_user_daily equals the reference');
SELECT set_eq($$SELECT funnel_date, platform, step1_viewers, step2_clickers, step3_cart_adders, step4_purchasers,
                       view_to_click_rate, click_to_cart_rate, cart_to_purchase_rate, overall_conversion_rate
                FROM ecpipe.mart_funnel_daily WHERE funnel_date >= '2026-02-01'$$,
              $$SELECT funnel_date, platform, step1_viewers, step2_clickers, step3_cart_adders, step4_purchasers,
                       view_to_click_rate, click_to_cart_rate, cart_to_purchase_rate, overall_conversion_rate
                FROM gen, pg_temp.ref_funnel_daily(gen.ds)$$, 'mart_funnel_daily equals the reference');
SELECT set_eq($$SELECT activity_date, product_id, click_count, cart_add_count, purchase_count, units_sold, revenue,
                       unique_viewers, unique_buyers, conversion_rate
                FROM ecpipe.mart_product_daily WHERE activity_date >= '2026-02-01'$$,
              $$SELECT activity_date, product_id, click_count, cart_add_count, purchase_count, units_sold, revenue,
                       unique_viewers, unique_buyers, conversion_rate FROM gen, pg_temp.ref_product_daily(gen.ds)$$,
              'mart_product_daily equals the reference');
SELECT set_eq($$SELECT order_date, order_id, order_timestamp, user_id, session_id, platform, payment_method, total_amount,
                       discount_amount, shipping_fee, coupon_code, item_count, unit_count, items_amount
                FROM ecpipe.mart_orders WHERE order_date >= '2026-02-01'$$,
              $$SELECT order_date, order_id, order_timestamp, user_id, session_id, platform, payment_method, total_amount,
                       discount_amount, shipping_fee, coupon_code, item_count, unit_count, items_amount
                FROM gen, pg_temp.ref_orders(gen.ds)$$, 'mart_orders equals the reference');

-- A new partition gets its key; other indexes only as ecpipe.raw_indexes asks.
CREATE FUNCTION pg_temp.indexes_of(part text) RETURNS SETOF text LANGUAGE sql AS $f$
  SELECT regexp_replace(indexdef, '^.* USING (\w+) \((.*)\)$', '\1 \2') FROM pg_indexes
  WHERE schemaname = 'ecpipe' AND tablename = part ORDER BY 1
$f$;
SELECT results_eq($$SELECT pg_temp.indexes_of('raw_events_20260201')$$,
                  $$VALUES ('btree batch_date, line_no')$$, 'by default: the key only');
SET ecpipe.raw_indexes = 'user_id:hash, event_type, no_such_column';
SELECT pg_temp.land_generated('2026-02-05', 50, 0, :'fixtures');
SELECT results_eq($$SELECT pg_temp.indexes_of('raw_events_20260205')$$,
                  $$VALUES ('btree batch_date, line_no'), ('btree event_type'), ('hash user_id')$$,
                  'ecpipe.raw_indexes adds indexes to new partitions (an unknown column is skipped with a warning)');
SELECT throws_ok($$SET ecpipe.raw_indexes = 'user_id:gist'$$, '22023',
                 'invalid value for parameter "ecpipe.raw_indexes": "user_id:gist"', 'an unknown index method is refused');

SELECT * FROM finish();
ROLLBACK;
