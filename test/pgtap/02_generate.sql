-- ecpipe_generate: deterministic, in the original model's ranges and format, and errors through the boundary.
BEGIN;
SELECT plan(16);
CREATE EXTENSION ecpipe;

CREATE TEMP TABLE g AS
  SELECT n, l, l::jsonb AS j FROM ecpipe_generate('2026-01-17', 500, 1) WITH ORDINALITY AS t(l, n);

SELECT cmp_ok((SELECT count(*) FROM g), '>=', 1200::bigint, 'at least 1.2k events for 500 users');
SELECT cmp_ok((SELECT count(*) FROM g), '<=', 2900::bigint, 'at most 2.9k events for 500 users');
SELECT is((SELECT md5(string_agg(l, E'\n' ORDER BY n)) FROM ecpipe_generate('2026-01-17', 500, 1) WITH ORDINALITY AS t(l, n)),
          (SELECT md5(string_agg(l, E'\n' ORDER BY n)) FROM g), 'same arguments, same bytes');
SELECT isnt((SELECT md5(string_agg(l, E'\n' ORDER BY n)) FROM ecpipe_generate('2026-01-17', 500, 2) WITH ORDINALITY AS t(l, n)),
            (SELECT md5(string_agg(l, E'\n' ORDER BY n)) FROM g), 'another seed, another day');
SELECT is((SELECT count(*) FROM (SELECT j->>'timestamp' < lag(j->>'timestamp') OVER (ORDER BY n) AS back FROM g) s WHERE back),
          0::bigint, 'lines are in timestamp order');
SELECT is((SELECT count(*) FROM g WHERE j->>'timestamp' !~ '^2026-01-17T\d{2}:\d{2}:\d{2}$'), 0::bigint,
          'naive ISO timestamps on the batch day');
SELECT cmp_ok((SELECT avg((j->>'event_type' = 'page_view')::int) FROM g), '>', 0.65::numeric, 'mostly page views');
SELECT is((SELECT count(*) FROM g WHERE j->>'user_id' !~ '^U\d{6}$' OR substr(j->>'user_id', 2)::int > 500), 0::bigint,
          'user ids are U000001..U000500');
SELECT is((SELECT count(*) FROM (SELECT j->>'user_id' FROM g GROUP BY 1 HAVING count(DISTINCT j->>'platform') > 1) s),
          0::bigint, 'a user keeps one platform');
SELECT is((SELECT count(*) FROM g WHERE j->>'platform' IN ('ios', 'android') AND j->>'device_type' <> 'mobile'), 0::bigint,
          'ios and android are mobile');
SELECT is((SELECT count(*) FROM g WHERE j->>'event_type' = 'purchase' AND jsonb_typeof(j->'extra_data') <> 'string'),
          0::bigint, 'extra_data is written as a JSON string');
-- total = items - discount + shipping, shipping 0 from 50,000 of items else 3,000
SELECT is((SELECT count(*) FROM (
             SELECT (j->>'total_amount')::numeric AS total, (j->>'extra_data')::jsonb AS x FROM g
              WHERE j->>'event_type' = 'purchase') p,
           LATERAL (SELECT sum((i->>'quantity')::numeric * (i->>'unit_price')::numeric) AS items
                      FROM jsonb_array_elements(x->'products') i) s
          WHERE total <> items - (x->>'discount_amount')::numeric + (x->>'shipping_fee')::numeric
             OR (x->>'shipping_fee')::numeric <> CASE WHEN items >= 50000 THEN 0 ELSE 3000 END),
          0::bigint, 'purchase totals follow the discount and shipping rules');

CREATE TEMP TABLE bad AS SELECT l FROM ecpipe_generate('2026-01-17', 500, 1, 0.2) AS t(l);
SELECT is((SELECT count(DISTINCT substring(l from '"anomaly": "([a-z_]+)"')) FROM bad), 8::bigint,
          'anomaly_rate injects all eight kinds');
SELECT is((SELECT count(*) FROM bad WHERE l NOT LIKE '{"anomaly"%'), (SELECT count(*) FROM g),
          'anomalies are added to the same clean day');

SELECT throws_ok($$SELECT count(*) FROM ecpipe_generate('2026-01-17', 0)$$, '22023',
                 'ecpipe: users must be between 1 and 999999 (user ids are U + 6 digits)',
                 'a C++ exception reaches SQL as an ERROR with SQLSTATE');
SELECT is((SELECT count(*) FROM ecpipe_generate('2026-01-17', 3, 7)) > 0, true, 'the backend carries on after the error');

SELECT * FROM finish();
ROLLBACK;
