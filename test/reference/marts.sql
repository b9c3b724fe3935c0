-- Reference marts: docs/CHECKS.md's marts written as plain GROUP BY queries over ecpipe.raw_events, independently of
-- ecpipe's own statement. Tests compare them with ecpipe's marts cell for cell. Creates pg_temp functions.

CREATE FUNCTION pg_temp.ref_items(day date)
RETURNS TABLE (user_id text, order_id text, event_time timestamptz, batch_date date, line_no bigint,
               product_id text, quantity numeric, unit_price numeric)
LANGUAGE sql AS $$
  SELECT r.user_id, r.order_id, r.event_time, r.batch_date, r.line_no,
         it->>'product_id', (it->>'quantity')::numeric, (it->>'unit_price')::numeric
  FROM ecpipe.raw_events r, jsonb_array_elements(r.extra_data->'products') it
  WHERE r.event_day = day AND r.event_type = 'purchase' AND jsonb_typeof(r.extra_data->'products') = 'array'
    AND jsonb_typeof(it) = 'object' AND jsonb_typeof(it->'product_id') = 'string' AND it->>'product_id' <> ''
    AND jsonb_typeof(it->'quantity') = 'number' AND jsonb_typeof(it->'unit_price') = 'number'
$$;

CREATE FUNCTION pg_temp.ref_user_daily(day date) RETURNS SETOF ecpipe.mart_user_daily LANGUAGE sql AS $$
  WITH s AS (SELECT user_id, session_id, max(event_time) - min(event_time) AS d
             FROM ecpipe.raw_events WHERE event_day = day GROUP BY user_id, session_id)
  SELECT day, r.user_id, count(DISTINCT r.session_id),
         sum(CASE WHEN r.event_type = 'page_view' THEN 1 ELSE 0 END),
         sum(CASE WHEN r.event_type = 'click' THEN 1 ELSE 0 END),
         sum(CASE WHEN r.event_type = 'add_to_cart' THEN 1 ELSE 0 END),
         sum(CASE WHEN r.event_type = 'purchase' THEN 1 ELSE 0 END),
         sum(CASE WHEN r.event_type = 'search' THEN 1 ELSE 0 END),
         coalesce(sum(CASE WHEN r.event_type = 'purchase' THEN r.total_amount END), 0)::numeric(14,2),
         min(r.event_time), max(r.event_time),
         (SELECT sum(s.d) FROM s WHERE s.user_id = r.user_id), 0::bigint
  FROM ecpipe.raw_events r WHERE r.event_day = day GROUP BY r.user_id
$$;

CREATE FUNCTION pg_temp.ref_rate(n bigint, d bigint) RETURNS numeric(6,2) LANGUAGE sql AS $$
  SELECT CASE WHEN d > 0 THEN round(n * 100.0 / d, 2) END
$$;

CREATE FUNCTION pg_temp.ref_funnel_daily(day date) RETURNS SETOF ecpipe.mart_funnel_daily LANGUAGE sql AS $$
  WITH p AS (SELECT DISTINCT platform FROM ecpipe.raw_events WHERE event_day = day),
       c AS (SELECT p.platform,
                    (SELECT count(DISTINCT user_id) FROM ecpipe.raw_events
                      WHERE event_day = day AND platform = p.platform AND event_type = 'page_view') AS s1,
                    (SELECT count(DISTINCT user_id) FROM ecpipe.raw_events
                      WHERE event_day = day AND platform = p.platform AND event_type = 'click') AS s2,
                    (SELECT count(DISTINCT user_id) FROM ecpipe.raw_events
                      WHERE event_day = day AND platform = p.platform AND event_type = 'add_to_cart') AS s3,
                    (SELECT count(DISTINCT user_id) FROM ecpipe.raw_events
                      WHERE event_day = day AND platform = p.platform AND event_type = 'purchase') AS s4
             FROM p)
  SELECT day, platform, s1, s2, s3, s4, pg_temp.ref_rate(s2, s1), pg_temp.ref_rate(s3, s2),
         pg_temp.ref_rate(s4, s3), pg_temp.ref_rate(s4, s1), 0::bigint
  FROM c
$$;

CREATE FUNCTION pg_temp.ref_product_daily(day date) RETURNS SETOF ecpipe.mart_product_daily LANGUAGE sql AS $$
  WITH clicks AS (SELECT product_id, count(*) AS n, count(DISTINCT user_id) AS u FROM ecpipe.raw_events
                  WHERE event_day = day AND event_type = 'click' AND product_id IS NOT NULL GROUP BY product_id),
       carts AS (SELECT product_id, count(*) AS n FROM ecpipe.raw_events
                 WHERE event_day = day AND event_type = 'add_to_cart' GROUP BY product_id),
       sold AS (SELECT product_id, count(*) AS n, sum(quantity) AS units, sum(quantity * unit_price) AS revenue,
                       count(DISTINCT user_id) AS u
                FROM pg_temp.ref_items(day) GROUP BY product_id),
       ids AS (SELECT product_id FROM clicks UNION SELECT product_id FROM carts UNION SELECT product_id FROM sold)
  SELECT day, ids.product_id, coalesce(clicks.n, 0), coalesce(carts.n, 0), coalesce(sold.n, 0),
         coalesce(sold.units, 0), coalesce(sold.revenue, 0)::numeric(14,2), coalesce(clicks.u, 0), coalesce(sold.u, 0),
         pg_temp.ref_rate(coalesce(sold.u, 0), coalesce(clicks.u, 0)), 0::bigint
  FROM ids LEFT JOIN clicks USING (product_id) LEFT JOIN carts USING (product_id) LEFT JOIN sold USING (product_id)
$$;

CREATE FUNCTION pg_temp.ref_num_or_zero(v jsonb) RETURNS numeric LANGUAGE sql AS $$
  SELECT CASE jsonb_typeof(v) WHEN 'number' THEN (v #>> '{}')::numeric ELSE 0 END
$$;

CREATE FUNCTION pg_temp.ref_orders(day date) RETURNS SETOF ecpipe.mart_orders LANGUAGE sql AS $$
  WITH ranked AS (
    SELECT r.*, row_number() OVER (PARTITION BY r.order_id ORDER BY r.event_time, r.batch_date, r.line_no) AS rk
    FROM ecpipe.raw_events r WHERE r.event_day = day AND r.event_type = 'purchase')
  SELECT day, o.order_id, o.event_time, o.user_id, o.session_id, o.platform, o.payment_method, o.total_amount,
         pg_temp.ref_num_or_zero(o.extra_data->'discount_amount')::numeric(14,2),
         pg_temp.ref_num_or_zero(o.extra_data->'shipping_fee')::numeric(14,2),
         CASE WHEN jsonb_typeof(o.extra_data->'coupon_code') = 'string' THEN o.extra_data->>'coupon_code' END,
         (SELECT count(*) FROM pg_temp.ref_items(day) i WHERE i.batch_date = o.batch_date AND i.line_no = o.line_no),
         (SELECT coalesce(sum(quantity), 0) FROM pg_temp.ref_items(day) i
           WHERE i.batch_date = o.batch_date AND i.line_no = o.line_no),
         (SELECT coalesce(sum(quantity * unit_price), 0) FROM pg_temp.ref_items(day) i
           WHERE i.batch_date = o.batch_date AND i.line_no = o.line_no)::numeric(14,2),
         0::bigint
  FROM ranked o WHERE o.rk = 1
$$;
