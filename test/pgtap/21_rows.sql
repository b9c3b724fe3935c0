-- Raw rows: money stored exactly as written, frozen rows only in a partition made by the writing subtransaction (and
-- gone when it rolls back), only the key as index, the run summary's orders and revenue counted by the load.
BEGIN;
SELECT plan(22);
CREATE EXTENSION ecpipe;
CREATE EXTENSION pageinspect;

-- The rows of a table whose xmin is frozen (HEAP_XMIN_FROZEN in t_infomask).
CREATE FUNCTION pg_temp.frozen(part text) RETURNS bigint LANGUAGE sql AS $f$
    SELECT count(*)
    FROM generate_series(0, (pg_relation_size(part::regclass) / current_setting('block_size')::int)::int - 1) AS b,
         LATERAL heap_page_items(get_raw_page(part, b)) AS h
    WHERE h.lp_flags = 1 AND h.t_infomask & 768 = 768
$f$;

-- Lands n hand-made events of one session on event day `day` as batch ds: a page view, an add_to_cart, then purchases
-- with the given total_amount texts (each order's one item costs the same, so check 6 holds).
CREATE FUNCTION pg_temp.land(ds date, day date, tag int, unit_price text, totals text[]) RETURNS void
LANGUAGE plpgsql AS $f$
DECLARE
    head text := format('"user_id": "U000001", "session_id": "00000000-0000-4000-9000-%s", "platform": "web", "device_type": "desktop"',
                        lpad(tag::text, 12, '0'));
    n int := 0;
    t text;
BEGIN
    INSERT INTO ecpipe.landing (batch_date, line_no, line) VALUES
        (ds, 1, format('{"event_id": "00000000-0000-4000-8000-%s01", "event_type": "page_view", %s, "timestamp": "%sT09:00:00Z", "page_url": "https://shop.example.com/", "page_type": "home"}',
                       lpad(tag::text, 10, '0'), head, day)),
        (ds, 2, format('{"event_id": "00000000-0000-4000-8000-%s02", "event_type": "add_to_cart", %s, "timestamp": "%sT09:01:00Z", "product_id": "P1001", "quantity": 1, "unit_price": %s, "category_id": "CAT001"}',
                       lpad(tag::text, 10, '0'), head, day, unit_price));
    FOREACH t IN ARRAY totals LOOP
        n := n + 1;
        INSERT INTO ecpipe.landing (batch_date, line_no, line) VALUES
            (ds, 2 + n, format('{"event_id": "00000000-0000-4000-8000-%s%s", "event_type": "purchase", %s, "timestamp": "%sT09:0%s:00Z", "order_id": "ORD%s%s", "total_amount": %s, "payment_method": "toss_pay", "extra_data": {"products": [{"product_id": "P1001", "quantity": 1, "unit_price": %s}]}}',
                                lpad(tag::text, 10, '0'), lpad((n + 2)::text, 2, '0'), head, day, n + 1,
                                to_char(day, 'YYYYMMDD'), lpad((tag * 10 + n)::text, 6, '0'), t, t));
    END LOOP;
END $f$;

-- Numbers as written: more significant digits than a double keeps, and exponents.
SELECT pg_temp.land('2024-05-10', '2024-05-10', 1, '1234567.0049999999', ARRAY['12345678.1249999999', '1e2', '1.5E+3']);
SELECT is(ecpipe_run('2024-05-10') - ARRAY['run_id', 'seconds', 'checks'],
          '{"ds": "2024-05-10", "status": "succeeded", "loaded": 5, "quarantined": 0, "days_rebuilt": ["2024-05-10"],
            "users": 1, "sessions": 1, "orders": 3, "revenue": 12347278.12, "step": null, "error": null,
            "source": "landing", "min_pass_rate": 99}'::jsonb,
          'the summary: orders and revenue of the loaded purchases, counted by the load');
SELECT is((SELECT summary->>'revenue' FROM ecpipe.runs WHERE ds = '2024-05-10'), '12347278.12',
          'revenue written as numeric(14,2) sums are');
SELECT is((SELECT q.failed FROM ecpipe.quality_log q WHERE q.batch_date = '2024-05-10' AND q.check_no = 6), 0::bigint,
          'check 6 (computed with doubles) passes the three orders as before');
SELECT is((SELECT unit_price::text FROM ecpipe.raw_events WHERE batch_date = '2024-05-10' AND line_no = 2),
          '1234567.0049999999'::numeric(14,2)::text, 'unit_price as PostgreSQL rounds the literal');
SELECT isnt('1234567.0049999999'::float8::numeric(14,2), '1234567.0049999999'::numeric(14,2),
            '(which a double would have rounded differently)');
SELECT results_eq($$SELECT total_amount::text FROM ecpipe.raw_events WHERE batch_date = '2024-05-10' AND line_no > 2
                    ORDER BY line_no$$,
                  $$VALUES ('12345678.1249999999'::numeric(14,2)::text), ('1e2'::numeric(14,2)::text),
                           ('1.5E+3'::numeric(14,2)::text)$$,
                  'total_amount as PostgreSQL rounds each literal, exponents included');
SELECT is('12345678.1249999999'::numeric(14,2)::text, '12345678.12', '(12345678.12, where a double says .13)');
SELECT is((SELECT sum(total_amount) FROM ecpipe.mart_orders WHERE order_date = '2024-05-10'), 12347278.12,
          'the orders mart takes the same values');

-- The new partition's rows are frozen, and it has only its key.
SELECT is(pg_temp.frozen('ecpipe.raw_events_20240510'), 5::bigint,
          'rows of a partition made in the writing subtransaction are frozen');
SELECT results_eq($$SELECT indexdef FROM pg_indexes WHERE schemaname = 'ecpipe' AND tablename = 'raw_events_20240510'$$,
                  $$VALUES ('CREATE UNIQUE INDEX raw_events_20240510_pkey ON ecpipe.raw_events_20240510 USING btree (batch_date, line_no)')$$,
                  'a new partition has its key and no other index');

-- Late data into that partition from another run: the partition is older than the writing subtransaction.
SELECT pg_temp.land('2024-05-11', '2024-05-10', 2, '10', ARRAY['20']);
SELECT is(ecpipe_run('2024-05-11')->>'status', 'succeeded', 'a later batch with events of 2024-05-10 loads');
SELECT results_eq($$SELECT count(*), pg_temp.frozen('ecpipe.raw_events_20240510') FROM ecpipe.raw_events_20240510$$,
                  $$VALUES (8::bigint, 5::bigint)$$, 'rows into an existing partition are not frozen');

-- A run whose marts fail: the load's subtransaction rolls back, and the partition it made goes with its frozen rows.
SELECT pg_temp.land('2024-05-12', '2024-05-12', 3, '10', ARRAY['20']);
ALTER TABLE ecpipe.mart_orders ADD CONSTRAINT test_refuse_rows CHECK (false) NOT VALID;
SELECT is(ecpipe_run('2024-05-12')->>'status', 'failed', 'the marts fail');
ALTER TABLE ecpipe.mart_orders DROP CONSTRAINT test_refuse_rows;
SELECT is(to_regclass('ecpipe.raw_events_20240512'), NULL, 'the partition the rolled-back load made is gone');
SELECT is((SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '2024-05-12'), 0::bigint, 'and none of its rows');

-- A load in a subtransaction nested inside the one that made the partition writes ordinary rows, which its rollback
-- removes; one that makes its partition itself writes frozen rows, removed with the partition.
CREATE FUNCTION pg_temp.load_and_roll_back(ds date, part text, OUT written bigint, OUT frozen bigint)
LANGUAGE plpgsql AS $f$
BEGIN
    BEGIN
        PERFORM ecpipe_load(ds);
        written := (SELECT count(*) FROM ecpipe.raw_events r WHERE r.batch_date = ds);
        frozen := pg_temp.frozen(part);
        RAISE EXCEPTION 'roll back';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
END $f$;
SELECT pg_temp.land('2024-05-13', '2024-05-13', 4, '10', ARRAY['20']);
SELECT count(*) FROM ecpipe_validate('2024-05-13');
SELECT ecpipe_load('2024-05-13');  -- makes the partition of 2024-05-13 in the test's transaction
SELECT pg_temp.land('2024-05-14', '2024-05-13', 5, '10', ARRAY['20']);
SELECT count(*) FROM ecpipe_validate('2024-05-14');
SELECT is(pg_temp.frozen('ecpipe.raw_events_20240513'), 3::bigint, 'the partition''s first rows are frozen');
SELECT is((SELECT row(written, frozen)::text FROM pg_temp.load_and_roll_back('2024-05-14', 'ecpipe.raw_events_20240513')),
          '(3,3)', 'a nested load into an older partition writes ordinary rows (still 3 frozen)');
SELECT results_eq($$SELECT batch_date, count(*) FROM ecpipe.raw_events_20240513 GROUP BY 1$$,
                  $$VALUES ('2024-05-13'::date, 3::bigint)$$, 'its rollback leaves none of them, and the older rows');
SELECT pg_temp.land('2024-05-15', '2024-05-15', 6, '10', ARRAY['20']);
SELECT count(*) FROM ecpipe_validate('2024-05-15');
SELECT is((SELECT row(written, frozen)::text FROM pg_temp.load_and_roll_back('2024-05-15', 'ecpipe.raw_events_20240515')),
          '(3,3)', 'a nested load that makes its partition writes frozen rows');
SELECT is(to_regclass('ecpipe.raw_events_20240515'), NULL, 'its rollback removes the partition with them');

-- A backfill's runs write frozen rows too (its loop holds no cursor open).
SELECT pg_temp.land('2024-05-17', '2024-05-17', 8, '10', ARRAY['20']);
SELECT count(*) FROM ecpipe_backfill('2024-05-17', '2024-05-17');
SELECT is(pg_temp.frozen('ecpipe.raw_events_20240517'), 3::bigint, 'a backfilled day''s new partition has frozen rows');

-- An open cursor could read a new partition later with its older snapshot: no frozen rows then.
DECLARE open_cursor CURSOR FOR SELECT 1;
SELECT pg_temp.land('2024-05-16', '2024-05-16', 7, '10', ARRAY['20']);
SELECT count(*) FROM ecpipe_validate('2024-05-16');
SELECT ecpipe_load('2024-05-16');
SELECT is(pg_temp.frozen('ecpipe.raw_events_20240516'), 0::bigint, 'with a cursor open, a new partition''s rows are not frozen');
CLOSE open_cursor;

SELECT * FROM finish();
ROLLBACK;
