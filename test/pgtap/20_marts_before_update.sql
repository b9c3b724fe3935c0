-- A database whose ecpipe SQL is still 0.2.0 keeps building its marts with this library (0.2.0's ecpipe.build_marts
-- calls ecpipe.build_event_marts; ecpipe_load calls ecpipe.build_marts), and builds the same ones once updated.
BEGIN;
SELECT plan(5);
CREATE EXTENSION ecpipe VERSION '0.2.0';
SET ecpipe.min_pass_rate = 90;  -- mart_day.jsonl has one bad line in 14
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
SELECT is((SELECT count(*) FROM ecpipe_validate('2024-04-02') WHERE status = 'PASS'), 7::bigint, 'the batch passes');
SELECT is(ecpipe_load('2024-04-02', 500)->'days_rebuilt', '["2024-04-01", "2024-04-02"]'::jsonb,
          '0.2.0: the load rebuilds the marts of both days');

-- As worked out by hand in 06_load_marts.sql.
CREATE TEMP TABLE expected AS
SELECT * FROM (VALUES ('2024-04-01'::date, 'P1001', 1::bigint, 0::bigint, 0::bigint, 0::numeric, 0.00::numeric(14,2),
                       1::bigint, 0::bigint, 0.00::numeric(6,2)),
                      ('2024-04-02', 'P1001', 1, 1, 1, 2, 178000.00, 1, 1, 100.00),
                      ('2024-04-02', 'P2001', 1, 1, 1, 1, 49000.00, 1, 1, 100.00)) v;
CREATE FUNCTION pg_temp.products() RETURNS SETOF record LANGUAGE sql AS $$
  SELECT activity_date, product_id, click_count, cart_add_count, purchase_count, units_sold, revenue, unique_viewers,
         unique_buyers, conversion_rate FROM ecpipe.mart_product_daily ORDER BY 1, 2
$$;
SELECT results_eq($$SELECT * FROM pg_temp.products() AS p(d date, p text, c bigint, a bigint, n bigint, u numeric,
                                                           r numeric(14,2), v bigint, b bigint, k numeric(6,2))$$,
                  $$SELECT * FROM expected ORDER BY 1, 2$$, '0.2.0: mart_product_daily cell by cell');

ALTER EXTENSION ecpipe UPDATE;
SELECT is(ecpipe_load('2024-04-02', 501)->'days_rebuilt', '["2024-04-01", "2024-04-02"]'::jsonb,
          'updated: the load rebuilds the same days');
SELECT results_eq($$SELECT * FROM pg_temp.products() AS p(d date, p text, c bigint, a bigint, n bigint, u numeric,
                                                           r numeric(14,2), v bigint, b bigint, k numeric(6,2))$$,
                  $$SELECT * FROM expected ORDER BY 1, 2$$, 'updated: the same mart_product_daily');

SELECT * FROM finish();
ROLLBACK;
