-- Scale-out on a server without Citus: ecpipe_distribute and ecpipe_cluster_status refuse clearly; route keys and
-- event days of lines.
BEGIN;
SELECT plan(12);
CREATE EXTENSION ecpipe;

SELECT throws_ok($$SELECT ecpipe_distribute()$$, '0A000',
                 'ecpipe_distribute: Citus is not installed in database ' || current_database(),
                 'without Citus, ecpipe_distribute says so');
SELECT throws_ok($$SELECT ecpipe_distribute(0)$$, '22023', NULL, 'a shard count below 1 is refused');
SELECT throws_ok($$SELECT * FROM ecpipe_cluster_status()$$, '55000', NULL, 'nothing to show before ecpipe_distribute');
SELECT is(ecpipe.distributed(), false, 'not distributed');

-- A line's route key: its user_id, else its session_id, else its line number.
SELECT is(ecpipe.route_key('{"user_id": "U000042", "session_id": "s"}', 7), 'U000042', 'a line with a user');
SELECT is(ecpipe.route_key('{"user_id": null, "session_id": "7d0c1c8e-0000-4000-8000-000000000001"}', 7),
          '7d0c1c8e-0000-4000-8000-000000000001', 'no user: its session');
SELECT is(ecpipe.route_key('not json', 12), '12', 'an unparseable line: its number');
SELECT is(ecpipe.route_key(NULL, 13), '13', 'a line kept as bytes: its number');

-- A line's event day from its timestamp alone (the distributed load's partitions): raw_row's day for every line it
-- converts, in the zone asked for; NULL for a line without a valid timestamp.
SELECT results_eq($$SELECT count(*) > 300,
                           count(*) FILTER (WHERE ecpipe.line_event_day(g.l, z.zone) IS DISTINCT FROM (r).event_day)
                    FROM ecpipe_generate('2024-03-31', 40, 3) WITH ORDINALITY g(l, n),
                         (VALUES ('UTC'), ('Asia/Seoul'), ('America/New_York')) z(zone),
                         LATERAL (SELECT ecpipe.raw_row(g.l, g.n, '2024-03-31', 1, 0::smallint, z.zone) AS r) x
                    WHERE (r).line_no IS NOT NULL$$,
                  $$VALUES (true, 0::bigint)$$, 'a line''s event day is raw_row''s, in three zones, for every row');
SELECT is(ecpipe.line_event_day('{"timestamp": "2024-03-31T23:30:00Z"}', 'Asia/Seoul'), date '2024-04-01',
          'an instant on the zone''s next day');
SELECT is(ecpipe.line_event_day('{"timestamp": "2024-03-31T23:30:00"}', 'Asia/Seoul'), date '2024-03-31',
          'a time without a zone is the zone''s wall clock');
SELECT ok(ecpipe.line_event_day('not json', 'UTC') IS NULL AND ecpipe.line_event_day('', 'UTC') IS NULL,
          'no day for a line that does not parse or is blank');

SELECT * FROM finish();
ROLLBACK;
