#!/usr/bin/env bash
# make bench: ecpipe end to end against the floor (COPY of the same file) and against the same pipeline written in
# plain SQL (bench/reference/), on a throwaway cluster; the SQL pipeline's checks and marts must equal ecpipe's.
# N events (default 1,000,000) are generated once into one JSONL file; each measurement is the median of 3 runs
# after a warm-up. Settings of the cluster are listed in CLUSTER_EXTRA_CONF below.
# For very large N: RUNS=1 WARMUP=0 times each once; REFERENCE=0 skips the SQL pipeline (and its cross-check).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
REFERENCE=${REFERENCE:-1}
scripts/install_extension.sh
. scripts/cluster.sh
# One run writes ~0.85 GB of WAL per million events (landing and raw); max_wal_size covers a run twice over, as a DBA
# would size it for the day's batch, so no checkpoint is forced in the middle of one (with 8 GB at 10M, ingest and
# run took 175 s; with 20 GB, 169 s).
wal_gb=$(( (N + 999999) / 1000000 * 2 ))
[ $wal_gb -lt 8 ] && wal_gb=8
CLUSTER_DB=bench CLUSTER_PRELOAD=pg_cron CLUSTER_EXTRA_CONF="shared_buffers = '2GB'
max_wal_size = '${wal_gb}GB'
checkpoint_timeout = '30min'
work_mem = '64MB'
maintenance_work_mem = '512MB'
synchronous_commit = off
client_min_messages = warning" cluster_start
FILE="$CLUSTER_DIR/events.jsonl"
q() { psql -X -q -At -v file="$FILE" "$@"; }
# A step given as @path is a psql script; anything else is one SQL statement.
step() { case "$1" in @*) printf -- '-f\n%s' "${1#@}" ;; *) printf -- '-c\n%s' "$1" ;; esac; }

# One generated day holds at most ~3.8M events (user ids are U + 6 digits); larger N spans several days, whose
# events the pipeline files under their own event days (late data).
q -c "CREATE EXTENSION ecpipe"
per_day=3000000
days=$(( (N + per_day - 1) / per_day ))
users=$(( (N / days) * 500 / 1900 + 1 ))
[ $users -gt 999999 ] && users=999999
echo "generating ~$N events ($days day(s), $users users a day) into $FILE"
q -c "COPY (SELECT l FROM generate_series(0, $days - 1) d, ecpipe_generate(date '2026-01-17' + d, $users, 1) l)
      TO '$FILE' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
lines=$(wc -l < "$FILE")
bytes=$(stat -c %s "$FILE")
echo "$lines lines, $((bytes / 1048576)) MiB"
q -c "CREATE UNLOGGED TABLE floor_text (line text); CREATE UNLOGGED TABLE floor_jsonb (j jsonb)"

# time_sql <setup> <timed> [<about>]: seconds of the timed step (setup untimed), the backend's peak RSS (VmHWM, which
# counts the shared buffers it mapped) and its peak private memory: RssAnon, sampled every 20 ms while the step runs
# (the heap, palloc'd memory and the core's state; mapped shared buffers are RssShmem and not counted); then, when
# given, " | " and the one-line result of the query <about>, run after the timed step.
time_sql() {
  local IFS=$'\n'
  q $(step "$1") >/dev/null
  PGAPPNAME=ecpipe_bench_timed q -c "SELECT extract(epoch FROM clock_timestamp()) * 1000" $(step "$2") \
    -c "SELECT extract(epoch FROM clock_timestamp()) * 1000" \
    -c "SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmHWM:\s+(\d+)'))[1]" >"$CLUSTER_DIR/timed.out" &
  local client=$! backend="" anon=0 key value rest
  while kill -0 "$client" 2>/dev/null; do
    [ -n "$backend" ] || backend=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'ecpipe_bench_timed'")
    if [ -n "$backend" ] && [ -r "/proc/$backend/status" ]; then
      while IFS=$' \t' read -r key value rest; do
        [ "$key" = RssAnon: ] && [ "$value" -gt "$anon" ] && anon=$value
      done <"/proc/$backend/status"
    fi
    sleep 0.02
  done
  wait "$client"
  local timing
  timing=$(awk -v anon="$anon" 'NR==1{s=$1} {l[NR]=$0} END{printf "%.3f %d %d\n", (l[NR-1]-s)/1000, l[NR], anon}' \
           "$CLUSTER_DIR/timed.out")
  if [ -n "${3:-}" ]; then echo "$timing | $(q -c "$3")"; else echo "$timing"; fi
}
# median of RUNS (3) after a warm-up (the line of the median run, with its <about> when given)
measure() {
  [ "$WARMUP" = 0 ] || time_sql "$1" "$2" "${3:-}" >/dev/null
  for i in $(seq "$RUNS"); do time_sql "$1" "$2" "${3:-}"; done | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}
COPY_OPTS="WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
# The floor is plain text-format COPY: the cheapest way to get the bytes in (it would mangle backslashes, which is
# why ecpipe never lands lines this way; generated lines have none outside extra_data's escaped quotes).
floor=$(measure "TRUNCATE floor_text" "COPY floor_text FROM '$FILE'")
floor_jsonb=$(measure "TRUNCATE floor_jsonb" "COPY floor_jsonb FROM '$FILE' $COPY_OPTS")
# The steps reported are those of the median run.
ecpipe=$(measure "DROP EXTENSION ecpipe CASCADE; CREATE EXTENSION ecpipe" \
                 "SELECT ecpipe_ingest('2026-01-17', '$FILE'), ecpipe_run('2026-01-17')" \
                 "SELECT string_agg(format('%s %ss', name, round(extract(epoch FROM finished_at - started_at)::numeric, 2)),
                                    ', ' ORDER BY step_no) FROM ecpipe.run_steps")
steps=${ecpipe#* | }
ecpipe=${ecpipe%% | *}
if [ "$REFERENCE" != 0 ]; then
  reference=$(measure "@bench/reference/setup.sql" "@bench/reference/pipeline.sql")
  cross_check=$(q -f bench/reference/compare.sql)
fi
status=$(q -c "SELECT status || ', ' || loaded || ' loaded' FROM ecpipe.runs")

row() {  # name, "seconds peak_kb anon_kb"
  set -- "$1" $2
  awk -v n="$1" -v s="$2" -v k="$3" -v p="$4" -v lines="$lines" -v f="${floor%% *}" \
    'BEGIN{printf "| %-14s | %8.2f | %10.0f | %7.2f | %8.0f | %8.0f | %7.0f |\n",
           n, s, lines/s, s/f, k/1024, p/1024, p*1024/lines}'
}
echo
echo "| what           |  seconds |   events/s | x floor | peak MiB | anon MiB | B/event |"
echo "|----------------|----------|------------|---------|----------|----------|---------|"
row "floor (text)" "$floor"
row "COPY jsonb" "$floor_jsonb"
row "ecpipe" "$ecpipe"
[ "$REFERENCE" = 0 ] || row "sql_reference" "$reference"
echo
echo "ecpipe run: $status; steps: $steps"
[ "$REFERENCE" = 0 ] && echo "cross-check: skipped (REFERENCE=0)" || echo "$cross_check"
awk -v e="${ecpipe%% *}" -v f="${floor%% *}" 'BEGIN{printf "ecpipe/floor: %.2f\n", e/f}'
if [ "$REFERENCE" = 0 ]; then
  echo "sql_reference/ecpipe: skipped (REFERENCE=0)"
else
  awk -v e="${ecpipe%% *}" -v r="${reference%% *}" 'BEGIN{printf "sql_reference/ecpipe: %.2f\n", r/e}'
fi
