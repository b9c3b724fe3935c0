-- A run that waited for another run of its day validates after it, under a smaller run id: its load must read its
-- own validation's verdicts (the other run's were replaced by them), not the latest run id's.
BEGIN;
SELECT plan(3);
CREATE EXTENSION ecpipe;
SET ecpipe.min_pass_rate = 0;
SELECT ecpipe_ingest('2024-05-10', :'fixtures' || '/cross_shard.jsonl');
SELECT ecpipe.check_batch('2024-05-10', 1002);  -- the run that took the day first
SELECT ecpipe.check_batch('2024-05-10', 1001);  -- the run that waited for it
SELECT is((SELECT ecpipe.load_batch('2024-05-10', 1001, false)->>'loaded'), '9', 'the waiting run loads the day');
SELECT is((SELECT failed_checks FROM ecpipe.raw_events WHERE batch_date = '2024-05-10' AND line_no = 7), 32::smallint,
          'with its own verdicts: the reused order flagged (check 6)');
SELECT is((SELECT count(*) FROM ecpipe.quarantine WHERE batch_date = '2024-05-10' AND run_id = 1001), 4::bigint,
          'and its quarantine');
SELECT * FROM finish();
ROLLBACK;
