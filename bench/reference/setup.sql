-- Tables and helper functions of the bench's sql_reference pipeline (bench/reference/pipeline.sql), in schema ref.
-- Run before each timed run: it starts from empty tables, as ecpipe's measured run does.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS ref CASCADE;
CREATE SCHEMA ref;

CREATE TABLE ref.landing (line_no bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, line text);
CREATE TABLE ref.events (line_no bigint PRIMARY KEY, j jsonb, parsed boolean, event_type text, ts timestamptz,
                         extra jsonb);
CREATE TABLE ref.verdicts (line_no bigint PRIMARY KEY, parsed boolean, c1 boolean, c2 boolean, c3 boolean,
                           c5 boolean, c6_amount boolean, c7_device boolean, order_reused boolean,
                           funnel_broken boolean, platform_switched boolean);
CREATE TABLE ref.quality (check_no int PRIMARY KEY, population bigint, failed bigint);
CREATE TABLE ref.raw_events (
    event_day date NOT NULL, line_no bigint PRIMARY KEY, event_id text NOT NULL, event_type text NOT NULL,
    user_id text NOT NULL, session_id text NOT NULL, event_time timestamptz NOT NULL, platform text NOT NULL,
    device_type text NOT NULL, os text, browser text, page_url text, page_type text, referrer text, element_id text,
    element_type text, product_id text, category_id text, position bigint, quantity bigint,
    unit_price numeric(14,2), source_page text, is_recommendation boolean, order_id text,
    total_amount numeric(14,2), payment_method text, extra_data jsonb, search_query text, result_count bigint,
    category_filter text, sort_type text, page_number bigint, extras jsonb);
CREATE TABLE ref.line_items (event_day date, line_no bigint, user_id text, product_id text, quantity numeric,
                             unit_price numeric);
CREATE TABLE ref.mart_user_daily (LIKE ecpipe.mart_user_daily INCLUDING ALL);
CREATE TABLE ref.mart_funnel_daily (LIKE ecpipe.mart_funnel_daily INCLUDING ALL);
CREATE TABLE ref.mart_product_daily (LIKE ecpipe.mart_product_daily INCLUDING ALL);
CREATE TABLE ref.mart_orders (LIKE ecpipe.mart_orders INCLUDING ALL);
ALTER TABLE ref.mart_user_daily DROP COLUMN run_id;
ALTER TABLE ref.mart_funnel_daily DROP COLUMN run_id;
ALTER TABLE ref.mart_product_daily DROP COLUMN run_id;
ALTER TABLE ref.mart_orders DROP COLUMN run_id;

-- Absent, null or "": what check 1 calls missing.
CREATE FUNCTION ref.missing(v jsonb) RETURNS boolean IMMUTABLE LANGUAGE sql AS $$
  SELECT v IS NULL OR v = 'null'::jsonb OR v = '""'::jsonb
$$;
-- A present value that is not a string matching re (null allowed when nullable); '' matches any string.
CREATE FUNCTION ref.bad_string(v jsonb, re text, nullable boolean) RETURNS boolean IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN v IS NULL THEN false
              WHEN v = 'null'::jsonb THEN NOT nullable
              WHEN jsonb_typeof(v) <> 'string' THEN true
              ELSE (v #>> '{}') !~ re END
$$;
-- A required field is judged only when check 1 does not already count it missing.
CREATE FUNCTION ref.bad_required(v jsonb, re text, nullable boolean) RETURNS boolean IMMUTABLE LANGUAGE sql AS $$
  SELECT NOT ref.missing(v) AND ref.bad_string(v, re, nullable)
$$;
CREATE FUNCTION ref.bad_number(v jsonb, lo numeric, hi numeric, whole boolean, nullable boolean)
RETURNS boolean IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN v IS NULL THEN false
              WHEN v = 'null'::jsonb THEN NOT nullable
              WHEN jsonb_typeof(v) <> 'number' THEN true
              ELSE (lo IS NOT NULL AND v::numeric < lo) OR (hi IS NOT NULL AND v::numeric > hi)
                   OR (whole AND v::numeric <> trunc(v::numeric)) END
$$;
CREATE FUNCTION ref.uuid_re() RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
$$;
CREATE FUNCTION ref.uri_re() RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT '^[A-Za-z][A-Za-z0-9+.-]*:[^[:space:][:cntrl:]]*$'
$$;
-- The instant of an ISO 8601 timestamp string, NULL when it is not one (bad shape or no such date or time).
CREATE FUNCTION ref.try_timestamp(v jsonb) RETURNS timestamptz STABLE LANGUAGE plpgsql AS $$
BEGIN
  IF jsonb_typeof(v) IS DISTINCT FROM 'string'
     OR (v #>> '{}') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$' THEN
    RETURN NULL;
  END IF;
  RETURN (v #>> '{}')::timestamptz;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END $$;
-- extra_data given as a string holding JSON.
CREATE FUNCTION ref.try_jsonb(s text) RETURNS jsonb IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN
  RETURN s::jsonb;
EXCEPTION WHEN OTHERS THEN
  RETURN NULL;
END $$;
CREATE FUNCTION ref.number_or_zero(v jsonb) RETURNS numeric IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN v::numeric ELSE 0 END
$$;
CREATE FUNCTION ref.rate(n bigint, d bigint) RETURNS numeric(6,2) IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE WHEN d > 0 THEN round(n * 100.0 / d, 2) END
$$;
-- Check 6's amount rule on one purchase (extra is extra_data after decoding a string).
CREATE FUNCTION ref.bad_amount(total jsonb, extra jsonb) RETURNS boolean IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE
    WHEN jsonb_typeof(extra) IS DISTINCT FROM 'object' THEN true
    WHEN jsonb_typeof(extra->'products') IS DISTINCT FROM 'array' OR jsonb_array_length(extra->'products') = 0 THEN true
    WHEN EXISTS (SELECT FROM jsonb_array_elements(extra->'products') it
                 WHERE jsonb_typeof(it->'quantity') IS DISTINCT FROM 'number'
                    OR jsonb_typeof(it->'unit_price') IS DISTINCT FROM 'number') THEN true
    WHEN jsonb_typeof(total) IS DISTINCT FROM 'number' THEN true
    WHEN coalesce(jsonb_typeof(extra->'discount_amount'), 'null') NOT IN ('number', 'null')
      OR coalesce(jsonb_typeof(extra->'shipping_fee'), 'null') NOT IN ('number', 'null') THEN true
    ELSE abs(total::numeric - ((SELECT sum((it->>'quantity')::numeric * (it->>'unit_price')::numeric)
                                FROM jsonb_array_elements(extra->'products') it)
                               - ref.number_or_zero(extra->'discount_amount')
                               + ref.number_or_zero(extra->'shipping_fee'))) > 1
  END
$$;
