-- ecpipe_distribute on a Citus coordinator with two workers: its refusals, the placement of every table, a loaded
-- day's rows moved unchanged onto both workers, ecpipe_cluster_status, and the day run again on the workers.
-- Committed: the cluster is a throwaway (test/citus.sh).
SELECT plan(20);

-- ecpipe created here without propagation, as when ecpipe came before citus: the workers do not have it
SET citus.enable_ddl_propagation = off;
CREATE EXTENSION ecpipe;
RESET citus.enable_ddl_propagation;
SELECT throws_ok($$SELECT ecpipe_distribute(4)$$, '55000',
                 format('ecpipe_distribute: every worker needs ecpipe 0.3.0 in database ecpipe_citus: '
                        '%1$s:5433 has no ecpipe, %1$s:5434 has no ecpipe', current_setting('unix_socket_directories')),
                 'a worker without ecpipe: refused, naming each node');
SELECT is((SELECT count(*) FROM run_command_on_workers(
              $$SET citus.enable_ddl_propagation = off; CREATE EXTENSION ecpipe$$) WHERE success), 2::bigint,
          'ecpipe created on both workers (the hint''s way)');

-- A day loaded on one node first: after ecpipe_distribute its rows are on the workers, unchanged.
SET ecpipe.min_pass_rate = 0;
INSERT INTO ecpipe.landing (batch_date, line_no, line)
SELECT '2024-04-02', n, l FROM ecpipe_generate('2024-04-02', 60, 3, 0.02) WITH ORDINALITY AS g(l, n);
SELECT is(ecpipe_run('2024-04-02')->>'status', 'succeeded', 'a day run before distributing');
CREATE TABLE pg_temp.before AS
SELECT (SELECT count(*) FROM ecpipe.landing) AS landing, (SELECT count(*) FROM ecpipe.raw_events) AS raw,
       (SELECT count(*) FROM ecpipe.quarantine) AS quarantined,
       (SELECT md5(string_agg(r::text, '|' ORDER BY r.line_no)) FROM ecpipe.raw_events r) AS raw_rows,
       (SELECT md5(string_agg(m::text, '|' ORDER BY m.activity_date, m.user_id)) FROM ecpipe.mart_user_daily m) AS users,
       (SELECT md5(string_agg(m::text, '|' ORDER BY m.order_date, m.order_id)) FROM ecpipe.mart_orders m) AS orders,
       (SELECT md5(string_agg(m::text, '|' ORDER BY m.funnel_date, m.platform)) FROM ecpipe.mart_funnel_daily m) AS funnel;

CREATE TABLE pg_temp.before_rows AS SELECT * FROM ecpipe.raw_events;
CREATE TABLE pg_temp.before_users AS SELECT * FROM ecpipe.mart_user_daily;

SET ROLE ecpipe_operator;
SELECT throws_ok($$SELECT ecpipe_distribute(4)$$, '42501', NULL, 'an operator cannot distribute');
RESET ROLE;
SELECT is(ecpipe_distribute(4) - 'workers',
          '{"shard_count": 4,
            "distributed": {"landing": "route_key", "landing_import": "line_no", "line_verdicts": "route_key",
                            "quarantine": "route_key", "raw_events": "user_id", "mart_user_daily": "user_id",
                            "mart_orders": "user_id"},
            "reference": ["mart_funnel_daily", "mart_product_daily"],
            "validation": {"batch_keys": "key", "shard_anchors": "route_key"},
            "local": ["validations", "quality_log", "runs", "run_steps", "run_locks", "mart_locks", "batch_days",
                      "notifications"]}'::jsonb,
          'ecpipe_distribute(4): what went where');
SELECT throws_ok($$SELECT ecpipe_distribute(4)$$, '55000',
                 'ecpipe_distribute: ecpipe is already distributed in database ecpipe_citus', 'a second call is refused');
SELECT is(ecpipe.distributed(), true, 'distributed');

-- Placement: by route key and user_id in one co-location group; the small marts copied to every node.
SELECT set_eq($$SELECT p.logicalrelid::text, p.partmethod::text, column_to_column_name(p.logicalrelid, p.partkey)
                FROM pg_dist_partition p WHERE p.logicalrelid::text NOT LIKE 'ecpipe.raw_events\_%'$$,
              $$VALUES ('ecpipe.landing', 'h', 'route_key'), ('ecpipe.line_verdicts', 'h', 'route_key'),
                       ('ecpipe.quarantine', 'h', 'route_key'), ('ecpipe.raw_events', 'h', 'user_id'),
                       ('ecpipe.mart_user_daily', 'h', 'user_id'), ('ecpipe.mart_orders', 'h', 'user_id'),
                       ('ecpipe.mart_funnel_daily', 'n', NULL), ('ecpipe.mart_product_daily', 'n', NULL),
                       ('ecpipe.shard_anchors', 'h', 'route_key'), ('ecpipe.batch_keys', 'h', 'key'),
                       ('ecpipe.landing_import', 'h', 'line_no')$$,
              'each table distributed by its key, or a reference table');
SELECT is((SELECT count(DISTINCT p.colocationid) FROM pg_dist_partition p
           WHERE p.partmethod = 'h'
             AND p.logicalrelid NOT IN ('ecpipe.batch_keys'::regclass, 'ecpipe.landing_import'::regclass)), 1::bigint,
          'one co-location group: a user''s lines, verdicts, quarantine, events and marts share a shard');
SELECT is((SELECT count(*) FROM pg_dist_partition p WHERE p.logicalrelid = 'ecpipe.raw_events_20240402'::regclass),
          1::bigint, 'the day''s raw partition is distributed with its parent');
SELECT ok(NOT EXISTS (SELECT FROM pg_dist_partition p
                      WHERE p.logicalrelid IN ('ecpipe.runs'::regclass, 'ecpipe.validations'::regclass,
                                               'ecpipe.quality_log'::regclass, 'ecpipe.notifications'::regclass)),
          'the run record stays on the coordinator');

-- The rows moved unchanged, and onto both workers.
SELECT is((SELECT count(*) FROM ecpipe.landing), (SELECT landing FROM pg_temp.before), 'every landed line');
SELECT is((SELECT count(*) FILTER (WHERE route_key = ecpipe.route_key(line, line_no)) FROM ecpipe.landing),
          (SELECT landing FROM pg_temp.before), 'each with its route key');
SELECT is((SELECT md5(string_agg(r::text, '|' ORDER BY r.line_no)) FROM ecpipe.raw_events r),
          (SELECT raw_rows FROM pg_temp.before), 'every raw row, unchanged');
SELECT is((SELECT md5(string_agg(m::text, '|' ORDER BY m.activity_date, m.user_id)) FROM ecpipe.mart_user_daily m)
          || (SELECT md5(string_agg(m::text, '|' ORDER BY m.order_date, m.order_id)) FROM ecpipe.mart_orders m)
          || (SELECT md5(string_agg(m::text, '|' ORDER BY m.funnel_date, m.platform)) FROM ecpipe.mart_funnel_daily m),
          (SELECT users || orders || funnel FROM pg_temp.before), 'every mart cell, unchanged');
SELECT results_eq($$SELECT role, shard_groups, shards, landing_lines > 0 AND raw_rows > 0
                    FROM ecpipe_cluster_status() ORDER BY role, port$$,
                  $$VALUES ('coordinator', 0::bigint, 0::bigint, false), ('worker', 2::bigint, 12::bigint, true),
                           ('worker', 2::bigint, 12::bigint, true)$$,
                  'ecpipe_cluster_status: two shard groups per worker, and rows of the day on both');
SELECT is((SELECT array[sum(landing_lines), sum(raw_rows), sum(quarantined)]::bigint[] FROM ecpipe_cluster_status()),
          (SELECT array[landing, raw, quarantined] FROM pg_temp.before), 'its counts add up to the day''s rows');

-- The day run again, now distributed: the same counts, rows and marts as the run on one node before.
SELECT is((SELECT ecpipe_run('2024-04-02') - '{run_id,seconds,source,source_file}'::text[]),
          (SELECT r.summary - '{run_id,seconds,source,source_file}'::text[] FROM ecpipe.runs r
           WHERE r.ds = '2024-04-02' ORDER BY r.run_id LIMIT 1),
          'a re-run on the workers: the same summary as the single-node run');
SELECT is((SELECT md5(string_agg((to_jsonb(r) - 'run_id')::text, '|' ORDER BY r.line_no)) FROM ecpipe.raw_events r),
          (SELECT md5(string_agg((to_jsonb(r) - 'run_id')::text, '|' ORDER BY r.line_no)) FROM pg_temp.before_rows r),
          'the same raw rows');
SELECT is((SELECT md5(string_agg((to_jsonb(m) - 'run_id')::text, '|' ORDER BY m.activity_date, m.user_id))
           FROM ecpipe.mart_user_daily m),
          (SELECT md5(string_agg((to_jsonb(m) - 'run_id')::text, '|' ORDER BY m.activity_date, m.user_id))
           FROM pg_temp.before_users m), 'the same user mart');

SELECT * FROM finish();
