-- The bench's cross-check: sql_reference's check counts and four marts must equal ecpipe's last run, or this fails.
\set ON_ERROR_STOP on
DO $$
DECLARE
  mismatches text;
BEGIN
  SELECT string_agg(format('check %s: ecpipe %s/%s, sql_reference %s/%s', q.check_no, l.population, l.failed,
                           q.population, q.failed), '; ' ORDER BY q.check_no)
  INTO mismatches
  FROM ref.quality q
  LEFT JOIN ecpipe.quality_log l ON l.check_no = q.check_no
   AND l.run_id = (SELECT max(run_id) FROM ecpipe.quality_log)
  WHERE (l.population, l.failed) IS DISTINCT FROM (q.population, q.failed);
  IF mismatches IS NOT NULL THEN
    RAISE EXCEPTION 'sql_reference and ecpipe disagree on the checks: %', mismatches;
  END IF;
  IF (SELECT count(*) FROM ref.quality) <> 7 THEN
    RAISE EXCEPTION 'sql_reference produced % check rows, not 7', (SELECT count(*) FROM ref.quality);
  END IF;
END $$;

-- Each mart: rows of one side missing from the other, both ways (run_id is ecpipe's own and left out).
CREATE TEMP VIEW mart_differences AS
SELECT 'mart_user_daily' AS mart, count(*) AS rows FROM (
  (SELECT activity_date, user_id, session_count, page_view_count, click_count, add_to_cart_count, purchase_count,
          search_count, total_purchase_amount, first_event_at, last_event_at, session_duration_total
   FROM ecpipe.mart_user_daily EXCEPT ALL SELECT * FROM ref.mart_user_daily)
  UNION ALL
  (SELECT * FROM ref.mart_user_daily EXCEPT ALL
   SELECT activity_date, user_id, session_count, page_view_count, click_count, add_to_cart_count, purchase_count,
          search_count, total_purchase_amount, first_event_at, last_event_at, session_duration_total
   FROM ecpipe.mart_user_daily)) d
UNION ALL
SELECT 'mart_funnel_daily', count(*) FROM (
  (SELECT funnel_date, platform, step1_viewers, step2_clickers, step3_cart_adders, step4_purchasers,
          view_to_click_rate, click_to_cart_rate, cart_to_purchase_rate, overall_conversion_rate
   FROM ecpipe.mart_funnel_daily EXCEPT ALL SELECT * FROM ref.mart_funnel_daily)
  UNION ALL
  (SELECT * FROM ref.mart_funnel_daily EXCEPT ALL
   SELECT funnel_date, platform, step1_viewers, step2_clickers, step3_cart_adders, step4_purchasers,
          view_to_click_rate, click_to_cart_rate, cart_to_purchase_rate, overall_conversion_rate
   FROM ecpipe.mart_funnel_daily)) d
UNION ALL
SELECT 'mart_product_daily', count(*) FROM (
  (SELECT activity_date, product_id, click_count, cart_add_count, purchase_count, units_sold, revenue,
          unique_viewers, unique_buyers, conversion_rate
   FROM ecpipe.mart_product_daily EXCEPT ALL SELECT * FROM ref.mart_product_daily)
  UNION ALL
  (SELECT * FROM ref.mart_product_daily EXCEPT ALL
   SELECT activity_date, product_id, click_count, cart_add_count, purchase_count, units_sold, revenue,
          unique_viewers, unique_buyers, conversion_rate
   FROM ecpipe.mart_product_daily)) d
UNION ALL
SELECT 'mart_orders', count(*) FROM (
  (SELECT order_date, order_id, order_timestamp, user_id, session_id, platform, payment_method, total_amount,
          discount_amount, shipping_fee, coupon_code, item_count, unit_count, items_amount
   FROM ecpipe.mart_orders EXCEPT ALL SELECT * FROM ref.mart_orders)
  UNION ALL
  (SELECT * FROM ref.mart_orders EXCEPT ALL
   SELECT order_date, order_id, order_timestamp, user_id, session_id, platform, payment_method, total_amount,
          discount_amount, shipping_fee, coupon_code, item_count, unit_count, items_amount
   FROM ecpipe.mart_orders)) d;

DO $$
DECLARE
  bad text;
BEGIN
  SELECT string_agg(format('%s: %s differing rows', mart, rows), '; ') INTO bad FROM mart_differences WHERE rows > 0;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'sql_reference and ecpipe disagree on the marts: %', bad;
  END IF;
  IF (SELECT count(*) FROM ecpipe.mart_orders) = 0 OR (SELECT count(*) FROM ecpipe.mart_product_daily) = 0 THEN
    RAISE EXCEPTION 'the marts are empty: nothing was compared';
  END IF;
END $$;
SELECT format('cross-check: 7 checks and 4 marts equal (%s user rows, %s funnel rows, %s product rows, %s orders)',
              (SELECT count(*) FROM ref.mart_user_daily), (SELECT count(*) FROM ref.mart_funnel_daily),
              (SELECT count(*) FROM ref.mart_product_daily), (SELECT count(*) FROM ref.mart_orders));
