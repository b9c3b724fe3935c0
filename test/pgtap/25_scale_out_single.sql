-- Scale-out on a server without Citus: ecpipe_distribute and ecpipe_cluster_status refuse clearly; route keys.
BEGIN;
SELECT plan(8);
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

SELECT * FROM finish();
ROLLBACK;
