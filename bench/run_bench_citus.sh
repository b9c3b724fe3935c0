#!/usr/bin/env bash
# make bench-citus: the same generated day (N events, default 1,000,000) through ecpipe on one node and on Citus (a
# coordinator and two workers on this machine), each cluster durable (fsync, synchronous_commit, full_page_writes
# on); prints each step's seconds on both, the ratio, and checks that both give the same rows and marts.
# On one machine the three Citus servers share its cores: the ratio is the distribution's overhead, not a speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
DAY=2026-01-17
scripts/install_extension.sh
[ -f "$(pg_config --pkglibdir)/citus.so" ] || scripts/install_citus.sh
WORK=$(mktemp -d /tmp/ecpipe-bench-citus.XXXXXX)
chmod 777 "$WORK"
trap 'rm -rf "$WORK"' EXIT
DURABLE="fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = '1GB'
max_wal_size = '8GB'
checkpoint_timeout = '30min'
work_mem = '64MB'
client_min_messages = warning"
DIGEST=$(cat test/pipeline_digest.sql)  # everything the pipeline produced
# the step seconds of the latest run, as "ingest collect validate load marts total"
STEPS="SELECT string_agg(coalesce(round(extract(epoch FROM s.finished_at - s.started_at)::numeric, 2)::text, '-'), ' '
              ORDER BY x.n)
       FROM unnest(ARRAY['collect', 'validate', 'load', 'marts']) WITH ORDINALITY x(name, n)
       LEFT JOIN ecpipe.run_steps s ON s.name = x.name AND s.run_id = (SELECT max(run_id) FROM ecpipe.runs)"

# measure <label> <setup>: a fresh cluster (started by setup), the day ingested, then run; prints the timings
measure() (
  . scripts/cluster.sh
  $2
  q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
  [ -f "$WORK/day.jsonl" ] || q -c "COPY (SELECT l FROM ecpipe_generate('$DAY', $((N * 500 / 1900 + 1)), 1, 0.0002) l)
                                      TO '$WORK/day.jsonl' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
  q -c "CHECKPOINT"
  start=$(date +%s.%N)
  q -c "SELECT ecpipe_ingest('$DAY', '$WORK/day.jsonl')" >/dev/null
  ingest=$(echo "$(date +%s.%N) - $start" | bc)
  status=$(q -c "SELECT ecpipe_run('$DAY')->>'status'")
  total=$(echo "$(date +%s.%N) - $start" | bc)
  printf '%s %.2f %s %.2f %s\n' "$1" "$ingest" "$(q -c "$STEPS")" "$total" "$status" >>"$WORK/times"
  q -c "$DIGEST" >"$WORK/digest.$1"
)
single() {
  CLUSTER_DB=bench CLUSTER_PRELOAD=pg_cron CLUSTER_EXTRA_CONF="$DURABLE" cluster_start
  psql -X -q -c "CREATE EXTENSION ecpipe"
}
citus() {
  CLUSTER_DB=bench CLUSTER_PRELOAD=ecpipe CLUSTER_EXTRA_CONF="$DURABLE" CLUSTER_WORKER_CONF="$DURABLE" \
    cluster_start_citus 2
  psql -X -q -c "CREATE EXTENSION ecpipe" -c "SELECT ecpipe_distribute(32)" >/dev/null
}
measure single single
measure citus citus
echo "# $N events, one machine ($(nproc) cores); seconds per step"
printf '%-8s %8s %8s %8s %8s %8s %8s  %s\n' "" ingest collect validate load marts total status
while read -r label ingest collect validate load marts total status; do
  printf '%-8s %8s %8s %8s %8s %8s %8s  %s\n' "$label" "$ingest" "$collect" "$validate" "$load" "$marts" "$total" "$status"
done <"$WORK/times"
read -r _ _ _ _ _ _ single_total _ < <(sed -n 1p "$WORK/times")
read -r _ _ _ _ _ _ citus_total _ < <(sed -n 2p "$WORK/times")
echo "citus/single: $(echo "scale=2; $citus_total / $single_total" | bc)"
if cmp -s "$WORK/digest.single" "$WORK/digest.citus"; then echo "cross-check: equal"; else echo "cross-check: DIFFERENT"; exit 1; fi
