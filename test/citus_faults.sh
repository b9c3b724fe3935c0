#!/usr/bin/env bash
# Faults on a distributed ecpipe (make test-citus): a throwaway Citus coordinator and two workers, then a worker that
# is down during a run, a worker killed with SIGKILL in the middle of a load (then restarted and the coordinator's
# prepared transactions recovered), and a third worker added with the shards rebalanced. After each: raw, quarantine
# and marts are exactly as a single-node ecpipe (database ecpipe_single on the coordinator's server) has them after
# the same successful runs: nothing half-written anywhere. Prints one "ok"/"not ok" line per assertion and a summary.
#   EVENTS (60000): events of the day loaded while a worker is killed
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f "$(pg_config --pkglibdir)/citus.so" ]; then
  echo "citus faults: SKIPPED: Citus is not installed (scripts/install_citus.sh, or Citus's packages)"
  exit 0
fi
. scripts/cluster.sh
EVENTS=${EVENTS:-60000}
D1=2026-02-01
D2=2026-02-02
CLUSTER_DB=ecpipe_citus
CLUSTER_PRELOAD=ecpipe CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'ecpipe_citus'
client_min_messages = warning" cluster_start_citus 2
WORK=$(mktemp -d /tmp/ecpipe-citus-faults.XXXXXX)
chmod 777 "$WORK"
trap 'rc=$?; set +e; rm -rf "$WORK"; (exit $rc); cluster_stop' EXIT

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi; }
q() { psql -X -q -At "$@"; }
single() { q -d ecpipe_single "$@"; }
worker_pg_ctl() { as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/worker$1" -l "$CLUSTER_DIR/worker$1.log" -w -t 120 "${@:2}" >/dev/null; }
DIGEST=$(cat test/pipeline_digest.sql)  # everything the pipeline produced

psql -X -q -d postgres -c "CREATE DATABASE ecpipe_single" >/dev/null
single -c "CREATE EXTENSION ecpipe"
q -c "CREATE EXTENSION ecpipe"
q -c "SELECT ecpipe_distribute(8)" >/dev/null
for day in $D1 $D2; do
  q -c "COPY (SELECT l FROM ecpipe_generate('$day', $((EVENTS * 500 / 1900 + 1)), 7, 0.0002) l)
        TO '$WORK/$day.jsonl' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
  q -c "SELECT ecpipe_ingest('$day', '$WORK/$day.jsonl')" >/dev/null
  single -c "SELECT ecpipe_ingest('$day', '$WORK/$day.jsonl')" >/dev/null
done
check "day 1 runs on the cluster" "$(q -c "SELECT ecpipe_run('$D1')->>'status'")" succeeded
check "and on one node" "$(single -c "SELECT ecpipe_run('$D1')->>'status'")" succeeded
check "the same rows and marts" "$(q -c "$DIGEST")" "$(single -c "$DIGEST")"
before=$(q -c "$DIGEST")

# --- a worker down: the run fails naming the node, is recorded with its alert, nothing changes ------------------
worker_pg_ctl 2 -m immediate stop
summary=$(q -c "SELECT ecpipe_run('$D2')" 2>/dev/null || true)
check "with worker 2 down the run fails" "$(q -c "SELECT status FROM ecpipe.runs WHERE ds = '$D2' ORDER BY run_id DESC LIMIT 1")" failed
check "its error names the node" \
  "$(q -c "SELECT error LIKE '%$CLUSTER_DIR:5434%' FROM ecpipe.runs WHERE ds = '$D2' ORDER BY run_id DESC LIMIT 1")" t
check "its failure alert is queued" \
  "$(q -c "SELECT count(*) FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id)
           WHERE r.ds = '$D2' AND n.kind = 'failed'")" 1
worker_pg_ctl 2 start
check "after the worker is back: everything as it was" "$(q -c "$DIGEST")" "$before"
[ -n "$summary" ] || true

# --- a worker killed in the middle of the load: after restart and recovery, the batch is all there or not at all -
q -c "SELECT ecpipe_run('$D2')" >"$WORK/run.out" 2>&1 &
runner=$!
for _ in $(seq 600); do
  step=$(q -c "SELECT step FROM ecpipe.current_runs LIMIT 1" 2>/dev/null || true)
  [ "$step" = load ] && break
  sleep 0.05
done
check "the run reached its load" "$step" load
sleep 0.3
# the whole server at once: stopped first (no new process starts), then every process killed
postmaster=$(head -1 "$CLUSTER_DIR/worker1/postmaster.pid")
kill -STOP "$postmaster"
children=$(ps -o pid= --ppid "$postmaster" | tr -d ' ' || true)
kill -9 "$postmaster" $children 2>/dev/null || true
wait $runner || true
# dead, or a zombie nobody reaps here: its lock file would stop the restart
for pid in $postmaster $children; do
  for _ in $(seq 100); do
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -z "$state" ] || [ "$state" = Z ] && break
    sleep 0.05
  done
done
rm -f "$CLUSTER_DIR/worker1/postmaster.pid" "$CLUSTER_DIR/.s.PGSQL.5433" "$CLUSTER_DIR/.s.PGSQL.5433.lock"
worker_pg_ctl 1 start
q -c "SELECT recover_prepared_transactions()" >/dev/null
status=$(q -c "SELECT status FROM ecpipe.runs WHERE ds = '$D2' ORDER BY run_id DESC LIMIT 1")
after=$(q -c "$DIGEST")
if [ "$status" = succeeded ]; then
  single -c "SELECT ecpipe_run('$D2')" >/dev/null
  check "the run committed before the kill: the whole batch is there" "$after" "$(single -c "$DIGEST")"
else
  check "the run failed: nothing of the batch is there" "$after" "$before"
  check "and the day runs again" "$(q -c "SELECT ecpipe_run('$D2')->>'status'")" succeeded
  single -c "SELECT ecpipe_run('$D2')" >/dev/null
  check "with the same rows and marts as one node" "$(q -c "$DIGEST")" "$(single -c "$DIGEST")"
fi
check "no prepared transaction left on the workers" \
  "$(q -c "SELECT sum(result::int) FROM run_command_on_workers('SELECT count(*) FROM pg_prepared_xacts')")" 0

# --- two days at once: runs of different days go side by side ----------------------------------------------------
for day in 2026-02-03 2026-02-04; do
  q -c "COPY (SELECT l FROM ecpipe_generate('$day', 300, 9, 0.0002) l)
        TO '$WORK/$day.jsonl' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
  q -c "SELECT ecpipe_ingest('$day', '$WORK/$day.jsonl')" >/dev/null
  single -c "SELECT ecpipe_ingest('$day', '$WORK/$day.jsonl')" >/dev/null
done
q -c "SELECT ecpipe_run('2026-02-03')->>'status'" >"$WORK/a.out" 2>&1 &
first=$!
q -c "SELECT ecpipe_run('2026-02-04')->>'status'" >"$WORK/b.out" 2>&1 &
wait $first $!
check "two days run at once, both succeed" "$(cat "$WORK/a.out") $(cat "$WORK/b.out")" "succeeded succeeded"
single -c "SELECT ecpipe_run('2026-02-03'), ecpipe_run('2026-02-04')" >/dev/null
check "with the same rows and marts as one node" "$(q -c "$DIGEST")" "$(single -c "$DIGEST")"

# --- a node added and the shards rebalanced: the next runs give the same answers --------------------------------
node_start "$CLUSTER_DIR/worker3" 5435 citus "$CITUS_NODE_CONF"
# a new worker takes ecpipe and its distributed shape before it joins (docs/SCALING.md)
psql -X -q -p 5435 -c "CREATE EXTENSION citus" -c "CREATE EXTENSION ecpipe" \
  -c "SELECT ecpipe.distribution_shape()" >/dev/null
q -c "SELECT citus_add_node('$CLUSTER_DIR', 5435)" >/dev/null
q -c "SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes')" >/dev/null
check "worker 3 holds shards after the rebalance" \
  "$(q -c "SELECT count(*) > 0 FROM ecpipe_cluster_status() WHERE port = 5435 AND shards > 0")" t
check "the rows and marts moved unchanged" "$(q -c "$DIGEST")" "$(single -c "$DIGEST")"
check "a day runs again on three workers" "$(q -c "SELECT ecpipe_run('$D1')->>'status'")" succeeded
single -c "SELECT ecpipe_run('$D1')" >/dev/null
check "with the same rows and marts as one node" "$(q -c "$DIGEST")" "$(single -c "$DIGEST")"

echo "# citus faults: $passed passed, $failed failed"
[ "$failed" = 0 ]
