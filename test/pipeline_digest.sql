-- One md5 of everything the pipeline produced (raw, quarantine, the four marts), without run ids, load times and
-- route keys: equal on two databases that ran the same batches, whether on one node or on Citus.
SELECT md5(coalesce(string_agg(d, '|' ORDER BY d), '')) FROM (
    SELECT 'r' || (to_jsonb(r) - 'run_id')::text AS d FROM ecpipe.raw_events r
    UNION ALL SELECT 'q' || (to_jsonb(x) - '{run_id,quarantined_at,route_key}'::text[])::text FROM ecpipe.quarantine x
    UNION ALL SELECT 'u' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_user_daily m
    UNION ALL SELECT 'f' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_funnel_daily m
    UNION ALL SELECT 'p' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_product_daily m
    UNION ALL SELECT 'o' || (to_jsonb(m) - 'run_id')::text FROM ecpipe.mart_orders m) s
