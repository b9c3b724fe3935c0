-- The ecpipe pipeline written the way a SQL user would write it (the bench's sql_reference): COPY into jsonb, the
-- seven checks of docs/CHECKS.md as queries, INSERT ... SELECT into a typed raw table, the four marts as GROUP BY
-- queries. Settings are the ecpipe defaults (UTC, min_year 2020, max_future 1 day, amount_tolerance 1).
-- psql variables: file (the JSONL file), ds (the batch date). Schema ref is created by bench/reference/setup.sql.
-- Limits a SQL user accepts: a line jsonb refuses (\u0000 in a string included) counts as unparseable and repeated
-- keys collapse silently, so this pipeline agrees with ecpipe only on files without those two (generated days).
\set ON_ERROR_STOP on
SET TIME ZONE 'UTC';

COPY ref.landing (line) FROM :'file' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01');

-- One row per line with everything the checks need; a line that is not JSON has no j and is not parsed (OFFSET 0
-- keeps the subquery, so that each line is cast once).
INSERT INTO ref.events
SELECT line_no, j, coalesce(jsonb_typeof(j) = 'object', false), j->>'event_type', ref.try_timestamp(j->'timestamp'),
       CASE WHEN jsonb_typeof(j->'extra_data') = 'string' THEN ref.try_jsonb(j->>'extra_data') ELSE j->'extra_data' END
FROM (SELECT line_no, ref.try_jsonb(line) AS j FROM ref.landing OFFSET 0) l;

-- Checks 1, 2, 3, 5, 6 (its amount rule) and 7 (its device rule), line by line.
INSERT INTO ref.verdicts
SELECT e.line_no, e.parsed,
  NOT e.parsed OR ref.missing(j->'event_id') OR ref.missing(j->'event_type') OR ref.missing(j->'user_id')
    OR ref.missing(j->'session_id') OR ref.missing(j->'timestamp') OR ref.missing(j->'platform')
    OR ref.missing(j->'device_type')
    OR (e.event_type = 'page_view' AND (ref.missing(j->'page_url') OR ref.missing(j->'page_type')))
    OR (e.event_type = 'click' AND (ref.missing(j->'page_url') OR ref.missing(j->'element_id')
                                    OR ref.missing(j->'element_type')))
    OR (e.event_type = 'add_to_cart' AND (ref.missing(j->'product_id') OR ref.missing(j->'quantity')
                                          OR ref.missing(j->'unit_price')))
    OR (e.event_type = 'purchase' AND (ref.missing(j->'order_id') OR ref.missing(j->'total_amount')
                                       OR ref.missing(j->'payment_method')))
    OR (e.event_type = 'search' AND (ref.missing(j->'search_query') OR ref.missing(j->'result_count'))),
  e.parsed AND jsonb_typeof(j->'event_id') = 'string' AND j->>'event_id' <> ''
    AND row_number() OVER (PARTITION BY CASE WHEN jsonb_typeof(j->'event_id') = 'string' THEN j->>'event_id' END
                           ORDER BY e.line_no) > 1,
  e.parsed AND (
       ref.bad_required(j->'event_id', ref.uuid_re(), false)
    OR ref.bad_required(j->'event_type', '^(page_view|click|add_to_cart|purchase|search)$', false)
    OR ref.bad_required(j->'user_id', '^U[0-9]{6}$', false)
    OR ref.bad_required(j->'session_id', ref.uuid_re(), false)
    OR ref.bad_required(j->'platform', '^(web|ios|android)$', false)
    OR ref.bad_required(j->'device_type', '^(desktop|mobile|tablet)$', false)
    OR ref.bad_string(j->'os', '^(Windows|macOS|Linux|iOS|Android)$', false)
    OR ref.bad_string(j->'browser', '', false)
    OR (e.event_type = 'page_view' AND (
         ref.bad_required(j->'page_url', ref.uri_re(), false)
      OR ref.bad_required(j->'page_type', '^(home|category|product|cart|checkout|order_complete|mypage)$', false)
      OR ref.bad_string(j->'referrer', '', true)))
    OR (e.event_type = 'click' AND (
         ref.bad_required(j->'page_url', ref.uri_re(), false)
      OR ref.bad_required(j->'element_id', '', false)
      OR ref.bad_required(j->'element_type', '^(button|link|banner|product_card|search_result|recommendation)$', false)
      OR ref.bad_string(j->'product_id', '^P[0-9]{4}$', true)
      OR ref.bad_string(j->'category_id', '^CAT[0-9]{3}$', true)
      OR ref.bad_number(j->'position', 0, NULL, true, true)))
    OR (e.event_type = 'add_to_cart' AND (
         ref.bad_required(j->'product_id', '^P[0-9]{4}$', false)
      OR (NOT ref.missing(j->'quantity') AND ref.bad_number(j->'quantity', 1, 99, true, false))
      OR (NOT ref.missing(j->'unit_price') AND ref.bad_number(j->'unit_price', 1, 10000000, false, false))
      OR ref.bad_string(j->'category_id', '^CAT[0-9]{3}$', false)
      OR ref.bad_string(j->'source_page', '', true)
      OR (j->'is_recommendation' IS NOT NULL AND jsonb_typeof(j->'is_recommendation') NOT IN ('boolean', 'null'))))
    OR (e.event_type = 'purchase' AND (
         ref.bad_required(j->'order_id', '^ORD[0-9]{13,}$', false)
      OR (NOT ref.missing(j->'total_amount') AND ref.bad_number(j->'total_amount', 1, 100000000, false, false))
      OR ref.bad_required(j->'payment_method', '^(credit_card|bank_transfer|kakao_pay|naver_pay|toss_pay)$', false)
      OR (j->'extra_data' IS NOT NULL AND jsonb_typeof(j->'extra_data') NOT IN ('object', 'string'))))
    OR (e.event_type = 'search' AND (
         (NOT ref.missing(j->'search_query') AND (jsonb_typeof(j->'search_query') <> 'string'
                                                  OR char_length(j->>'search_query') > 200))
      OR (NOT ref.missing(j->'result_count') AND ref.bad_number(j->'result_count', 0, NULL, true, false))
      OR ref.bad_string(j->'page_url', ref.uri_re(), false)
      OR ref.bad_string(j->'category_filter', '', true)
      OR ref.bad_string(j->'sort_type', '^(relevance|price_asc|price_desc|latest|popular)$', true)
      OR ref.bad_number(j->'page_number', 1, NULL, true, true)))),
  e.parsed AND CASE WHEN e.ts IS NULL THEN true
                    ELSE left(j->>'timestamp', 4)::int < 2020 OR e.ts > now() + interval '1 day' END,
  e.parsed AND e.event_type = 'purchase' AND ref.bad_amount(j->'total_amount', e.extra),
  e.parsed AND jsonb_typeof(j->'platform') = 'string' AND j->>'platform' IN ('ios', 'android')
    AND (j->>'device_type' IS DISTINCT FROM 'mobile' OR jsonb_typeof(j->'device_type') <> 'string')
  OR e.parsed AND j->>'platform' = 'web' AND jsonb_typeof(j->'platform') = 'string'
    AND (jsonb_typeof(j->'device_type') IS DISTINCT FROM 'string'
         OR j->>'device_type' NOT IN ('desktop', 'mobile', 'tablet')),
  false, false, false
FROM ref.events e;

-- Check 6's order rule: an order_id already used by an earlier purchase line with another event_id.
UPDATE ref.verdicts v SET order_reused = true
FROM (SELECT line_no, bool_or(other) AS reused FROM (
        SELECT p.line_no, q.line_no < p.line_no AND q.j->>'event_id' IS DISTINCT FROM p.j->>'event_id' AS other
        FROM ref.events p JOIN ref.events q ON q.j->>'order_id' = p.j->>'order_id'
        WHERE p.event_type = 'purchase' AND q.event_type = 'purchase' AND p.parsed AND q.parsed
          AND jsonb_typeof(p.j->'order_id') = 'string' AND jsonb_typeof(q.j->'order_id') = 'string') x
      GROUP BY line_no) o
WHERE v.line_no = o.line_no AND o.reused;

-- Checks 4 and 7 (session rule) in session order over events with a known type and a valid timestamp.
WITH timed AS (
  SELECT e.line_no, e.event_type, e.j->>'session_id' AS session_id, e.ts,
         CASE WHEN jsonb_typeof(e.j->'platform') = 'string' AND e.j->>'platform' <> '' THEN e.j->>'platform' END
           AS platform
  FROM ref.events e JOIN ref.verdicts v USING (line_no)
  WHERE e.parsed AND NOT v.c5 AND jsonb_typeof(e.j->'session_id') = 'string' AND e.j->>'session_id' <> ''),
ordered AS (
  SELECT line_no, session_id, event_type, platform,
         first_value(platform) OVER w AS first_platform,
         coalesce(bool_or(event_type = 'add_to_cart') OVER before, false) AS cart_before,
         coalesce(bool_or(event_type IN ('page_view', 'click')) OVER before, false) AS view_before
  FROM timed
  WINDOW w AS (PARTITION BY session_id ORDER BY ts, line_no),
         before AS (PARTITION BY session_id ORDER BY ts, line_no ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
UPDATE ref.verdicts v
SET funnel_broken = (o.event_type = 'purchase' AND NOT o.cart_before)
                    OR (o.event_type = 'add_to_cart' AND NOT o.view_before),
    platform_switched = o.platform IS NOT NULL AND o.first_platform IS NOT NULL AND o.platform <> o.first_platform
FROM ordered o WHERE v.line_no = o.line_no;

-- The quality report: population and failed per check.
INSERT INTO ref.quality
SELECT 1, count(*), count(*) FILTER (WHERE c1) FROM ref.verdicts
UNION ALL SELECT 2, count(*) FILTER (WHERE parsed), count(*) FILTER (WHERE c2) FROM ref.verdicts
UNION ALL SELECT 3, count(*) FILTER (WHERE parsed), count(*) FILTER (WHERE c3) FROM ref.verdicts
UNION ALL
SELECT 4, count(DISTINCT e.j->>'session_id'),
       count(DISTINCT e.j->>'session_id') FILTER (WHERE e.j->>'session_id' IN (
         SELECT x.j->>'session_id' FROM ref.events x JOIN ref.verdicts y USING (line_no) WHERE y.funnel_broken))
FROM ref.events e JOIN ref.verdicts v USING (line_no)
WHERE e.parsed AND NOT v.c5 AND e.event_type IN ('page_view', 'click', 'add_to_cart', 'purchase', 'search')
  AND jsonb_typeof(e.j->'session_id') = 'string' AND e.j->>'session_id' <> ''
UNION ALL SELECT 5, count(*) FILTER (WHERE parsed), count(*) FILTER (WHERE c5) FROM ref.verdicts
UNION ALL
SELECT 6, count(*) FILTER (WHERE e.parsed AND e.event_type = 'purchase'),
       count(*) FILTER (WHERE v.c6_amount OR v.order_reused)
FROM ref.events e JOIN ref.verdicts v USING (line_no)
UNION ALL
SELECT 7, count(*) FILTER (WHERE e.parsed AND jsonb_typeof(e.j->'platform') = 'string' AND e.j->>'platform' <> ''),
       count(*) FILTER (WHERE v.c7_device OR v.platform_switched)
FROM ref.events e JOIN ref.verdicts v USING (line_no);

-- The gate, then the typed load of every line that fails none of checks 1, 2, 3, 5.
DO $$
BEGIN
  IF EXISTS (SELECT FROM ref.quality WHERE population > 0 AND 100.0 * (1 - failed::numeric / population) < 99.0) THEN
    RAISE EXCEPTION 'sql_reference: the gate blocked the batch';
  END IF;
END $$;

INSERT INTO ref.raw_events
SELECT (e.ts AT TIME ZONE 'UTC')::date, e.line_no, j->>'event_id', e.event_type, j->>'user_id', j->>'session_id',
       e.ts, j->>'platform', j->>'device_type', j->>'os', j->>'browser', j->>'page_url', j->>'page_type',
       j->>'referrer', j->>'element_id', j->>'element_type', j->>'product_id', j->>'category_id',
       (j->>'position')::bigint, (j->>'quantity')::bigint, (j->>'unit_price')::numeric(14,2), j->>'source_page',
       (j->>'is_recommendation')::boolean, j->>'order_id', (j->>'total_amount')::numeric(14,2),
       j->>'payment_method', e.extra, j->>'search_query', (j->>'result_count')::bigint, j->>'category_filter',
       j->>'sort_type', (j->>'page_number')::bigint,
       nullif(j - ARRAY['event_id', 'event_type', 'user_id', 'session_id', 'timestamp', 'platform', 'device_type',
                        'os', 'browser', 'page_url', 'page_type', 'referrer', 'element_id', 'element_type',
                        'product_id', 'category_id', 'position', 'quantity', 'unit_price', 'source_page',
                        'is_recommendation', 'order_id', 'total_amount', 'payment_method', 'extra_data',
                        'search_query', 'result_count', 'category_filter', 'sort_type', 'page_number'], '{}')
FROM ref.events e JOIN ref.verdicts v USING (line_no)
WHERE NOT (v.c1 OR v.c2 OR v.c3 OR v.c5);

-- The four marts of every event day loaded.
INSERT INTO ref.line_items
SELECT r.event_day, r.line_no, r.user_id, it->>'product_id', (it->>'quantity')::numeric, (it->>'unit_price')::numeric
FROM ref.raw_events r, jsonb_array_elements(r.extra_data->'products') it
WHERE r.event_type = 'purchase' AND jsonb_typeof(r.extra_data->'products') = 'array'
  AND jsonb_typeof(it) = 'object' AND jsonb_typeof(it->'product_id') = 'string' AND it->>'product_id' <> ''
  AND jsonb_typeof(it->'quantity') = 'number' AND jsonb_typeof(it->'unit_price') = 'number';

INSERT INTO ref.mart_user_daily
WITH sessions AS (SELECT event_day, user_id, session_id, max(event_time) - min(event_time) AS span
                  FROM ref.raw_events GROUP BY 1, 2, 3),
     durations AS (SELECT event_day, user_id, sum(span) AS total FROM sessions GROUP BY 1, 2)
SELECT r.event_day, r.user_id, count(DISTINCT r.session_id),
       count(*) FILTER (WHERE event_type = 'page_view'), count(*) FILTER (WHERE event_type = 'click'),
       count(*) FILTER (WHERE event_type = 'add_to_cart'), count(*) FILTER (WHERE event_type = 'purchase'),
       count(*) FILTER (WHERE event_type = 'search'),
       coalesce(sum(total_amount) FILTER (WHERE event_type = 'purchase'), 0), min(event_time), max(event_time),
       d.total
FROM ref.raw_events r JOIN durations d USING (event_day, user_id)
GROUP BY r.event_day, r.user_id, d.total;

INSERT INTO ref.mart_funnel_daily
SELECT event_day, platform, s1, s2, s3, s4, ref.rate(s2, s1), ref.rate(s3, s2), ref.rate(s4, s3), ref.rate(s4, s1)
FROM (SELECT event_day, platform,
             count(DISTINCT user_id) FILTER (WHERE event_type = 'page_view') AS s1,
             count(DISTINCT user_id) FILTER (WHERE event_type = 'click') AS s2,
             count(DISTINCT user_id) FILTER (WHERE event_type = 'add_to_cart') AS s3,
             count(DISTINCT user_id) FILTER (WHERE event_type = 'purchase') AS s4
      FROM ref.raw_events GROUP BY 1, 2) f;

INSERT INTO ref.mart_product_daily
WITH clicks AS (SELECT event_day, product_id, count(*) AS n, count(DISTINCT user_id) AS u FROM ref.raw_events
                WHERE event_type = 'click' AND product_id IS NOT NULL GROUP BY 1, 2),
     carts AS (SELECT event_day, product_id, count(*) AS n FROM ref.raw_events
               WHERE event_type = 'add_to_cart' GROUP BY 1, 2),
     sold AS (SELECT event_day, product_id, count(*) AS n, sum(quantity) AS units, sum(quantity * unit_price) AS revenue,
                     count(DISTINCT user_id) AS u
              FROM ref.line_items GROUP BY 1, 2),
     ids AS (SELECT event_day, product_id FROM clicks UNION SELECT event_day, product_id FROM carts
             UNION SELECT event_day, product_id FROM sold)
SELECT ids.event_day, ids.product_id, coalesce(clicks.n, 0), coalesce(carts.n, 0), coalesce(sold.n, 0),
       coalesce(sold.units, 0), coalesce(sold.revenue, 0), coalesce(clicks.u, 0), coalesce(sold.u, 0),
       ref.rate(coalesce(sold.u, 0), coalesce(clicks.u, 0))
FROM ids LEFT JOIN clicks USING (event_day, product_id) LEFT JOIN carts USING (event_day, product_id)
         LEFT JOIN sold USING (event_day, product_id);

INSERT INTO ref.mart_orders
WITH items AS (SELECT line_no, count(*) AS n, sum(quantity) AS units, sum(quantity * unit_price) AS amount
               FROM ref.line_items GROUP BY line_no),
     firsts AS (SELECT DISTINCT ON (event_day, order_id) * FROM ref.raw_events
                WHERE event_type = 'purchase' ORDER BY event_day, order_id, event_time, line_no)
SELECT o.event_day, o.order_id, o.event_time, o.user_id, o.session_id, o.platform, o.payment_method, o.total_amount,
       ref.number_or_zero(o.extra_data->'discount_amount'), ref.number_or_zero(o.extra_data->'shipping_fee'),
       CASE WHEN jsonb_typeof(o.extra_data->'coupon_code') = 'string' THEN o.extra_data->>'coupon_code' END,
       coalesce(i.n, 0), coalesce(i.units, 0), coalesce(i.amount, 0)
FROM firsts o LEFT JOIN items i USING (line_no);
