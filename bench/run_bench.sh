#!/usr/bin/env bash
# make bench: ecpipe end to end against the floor (COPY of the same file) and against the same pipeline written in
# plain SQL (bench/reference/), on a throwaway cluster with PostgreSQL's durable defaults (fsync, synchronous_commit
# and full_page_writes on); the SQL pipeline's checks and marts must equal ecpipe's.
# N events (default 1,000,000, with ANOMALY_RATE 0.0002 of injected bad events) are generated once into one JSONL
# file; each measurement is the median of RUNS (3) runs after a warm-up, each from a checkpointed, clean start.
# For very large N: RUNS=1 WARMUP=0 times each once; REFERENCE=0 skips the SQL pipeline (and its cross-check).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-3}
WARMUP=${WARMUP:-1}
REFERENCE=${REFERENCE:-1}
ANOMALY_RATE=${ANOMALY_RATE:-0.0002}
DAY=2026-01-17
scripts/install_extension.sh
. scripts/cluster.sh
# One run writes ~0.85 GB of WAL per million events (landing and raw); max_wal_size covers a run twice over, as a DBA
# would size it for the day's batch, so no checkpoint is forced in the middle of one (with 8 GB at 10M, ingest and
# run took 175 s; with 20 GB, 169 s). The durability settings come after cluster.sh's test-only fsync = off: the
# last line of postgresql.conf wins, and what the server runs with is read back below.
wal_gb=$(( (N + 999999) / 1000000 * 2 ))
[ $wal_gb -lt 8 ] && wal_gb=8
CLUSTER_DB=bench CLUSTER_PRELOAD=pg_cron CLUSTER_EXTRA_CONF="shared_buffers = '2GB'
max_wal_size = '${wal_gb}GB'
checkpoint_timeout = '30min'
work_mem = '64MB'
maintenance_work_mem = '512MB'
fsync = on
synchronous_commit = on
full_page_writes = on
client_min_messages = warning" cluster_start
# The day's file under the name a source delivers it with, so that ecpipe_run finds it in ecpipe.landing_dir.
FILE="$CLUSTER_DIR/events_${DAY//-/}.jsonl"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -v file="$FILE" "$@"; }
# A step given as @path is a psql script; anything else is one SQL statement.
step() { case "$1" in @*) printf -- '-f\n%s' "${1#@}" ;; *) printf -- '-c\n%s' "$1" ;; esac; }
field() { awk -F ' [|] ' -v n="$1" '{print $(n + 1)}' <<<"$2"; }  # field n (0: the timing) of a line with its about

durability=$(q -c "SELECT format('fsync = %s, synchronous_commit = %s, full_page_writes = %s',
                                  current_setting('fsync'), current_setting('synchronous_commit'),
                                  current_setting('full_page_writes'))")
[ "$durability" = "fsync = on, synchronous_commit = on, full_page_writes = on" ] \
  || { echo "the bench cluster is not durable: $durability" >&2; exit 1; }

# One generated day holds at most ~3.8M events (user ids are U + 6 digits); larger N spans several days, whose
# events the pipeline files under their own event days (late data).
q -c "CREATE EXTENSION ecpipe"
per_day=3000000
days=$(( (N + per_day - 1) / per_day ))
users=$(( (N / days) * 500 / 1900 + 1 ))
[ $users -gt 999999 ] && users=999999
echo "generating ~$N events ($days day(s), $users users a day, anomaly rate $ANOMALY_RATE) into $FILE"
q -c "COPY (SELECT l FROM generate_series(0, $days - 1) d, ecpipe_generate(date '$DAY' + d, $users, 1, $ANOMALY_RATE) l)
      TO '$FILE' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
lines=$(wc -l < "$FILE")
bytes=$(stat -c %s "$FILE")
echo "$lines lines, $((bytes / 1048576)) MiB"
q -c "CREATE UNLOGGED TABLE floor_text (line text); CREATE TABLE plain_text (line text)"
# The client side, as README and docs/OPERATIONS.md show it: the same CSV options for the plain \copy it is
# measured against, so that the ratio is what landing adds to COPY.
COPY_OPTS="WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02', FORCE_NOT_NULL (line))"
printf '%s\n' "\\copy plain_text (line) FROM '$FILE' $COPY_OPTS" >"$CLUSTER_DIR/plain_copy.psql"
printf '%s\n' "SET ecpipe.landing_date = '$DAY';" "\\copy ecpipe.landing_import (line) FROM '$FILE' $COPY_OPTS" \
  >"$CLUSTER_DIR/copy_landing.psql"

# time_sql <setup> <timed> [<about>]: seconds of the timed step (setup and a checkpoint after it untimed), the
# backend's peak RSS (VmHWM, which counts the shared buffers it mapped) and its peak private memory: RssAnon, sampled
# every 20 ms while the step runs (the heap, palloc'd memory and the core's state; mapped shared buffers are RssShmem
# and not counted); then, when given, " | " and the one-line result of the query <about>, run after the timed step.
time_sql() {
  local IFS=$'\n'
  q $(step "$1") -c "CHECKPOINT" >/dev/null
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
  wait "$client" || { echo "failed: $2" >&2; return 1; }  # (command substitutions do not inherit set -e)
  local timing
  timing=$(awk -v anon="$anon" 'NR==1{s=$1} {l[NR]=$0} END{printf "%.3f %d %d\n", (l[NR-1]-s)/1000, l[NR], anon}' \
           "$CLUSTER_DIR/timed.out")
  if [ -n "${3:-}" ]; then echo "$timing | $(q -c "$3")"; else echo "$timing"; fi
}
# median of RUNS (3) after a warm-up (the line of the median run, with its <about> when given)
measure() {
  [ "$WARMUP" = 0 ] || time_sql "$1" "$2" "${3:-}" >/dev/null || return 1
  for _ in $(seq "$RUNS"); do time_sql "$1" "$2" "${3:-}" || exit 1; done | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"
}
FRESH="DROP EXTENSION ecpipe CASCADE; CREATE EXTENSION ecpipe"
# After a run: status and counts | its steps | each check's failed/population and pass rate | the marts' row counts.
RUN_ABOUT="SELECT format('%s, %s loaded, %s quarantined', r.status, r.loaded, r.quarantined)
  || ' | ' || coalesce((SELECT string_agg(format('%s %ss', s.name,
                                                 round(extract(epoch FROM s.finished_at - s.started_at)::numeric, 2)),
                                          ', ' ORDER BY s.step_no) FROM ecpipe.run_steps s WHERE s.run_id = r.run_id), '')
  || ' | ' || coalesce((SELECT string_agg(format('%s %s/%s %s%%', c.check_no, c.failed, c.population, c.pass_rate),
                                          ', ' ORDER BY c.check_no) FROM ecpipe.quality_log c WHERE c.run_id = r.run_id), '')
  || ' | ' || format('%s/%s/%s/%s', (SELECT count(*) FROM ecpipe.mart_user_daily),
                     (SELECT count(*) FROM ecpipe.mart_funnel_daily), (SELECT count(*) FROM ecpipe.mart_product_daily),
                     (SELECT count(*) FROM ecpipe.mart_orders))
  FROM ecpipe.runs r ORDER BY r.run_id DESC LIMIT 1"

# The floor is plain text-format COPY into an unlogged table: the cheapest way to get the bytes in (it would mangle
# backslashes, which is why ecpipe never lands lines this way; generated lines have none outside extra_data's
# escaped quotes).
floor=$(measure "TRUNCATE floor_text" "COPY floor_text FROM '$FILE'")
plain_copy=$(measure "TRUNCATE plain_text" "@$CLUSTER_DIR/plain_copy.psql")
copy_landing=$(measure "$FRESH" "@$CLUSTER_DIR/copy_landing.psql" "SELECT count(*) FROM ecpipe.landing")
[ "$(field 1 "$copy_landing")" = "$lines" ] \
  || { echo "\\copy into ecpipe.landing_import landed $(field 1 "$copy_landing") of $lines lines" >&2; exit 1; }
# ecpipe_run reading the day's file from ecpipe.landing_dir; then the same run after ecpipe_ingest landed the file.
# The steps reported are those of the median run. The SQL reference is cross-checked against the landed run.
file=$(measure "$FRESH" "SET ecpipe.landing_dir = '$CLUSTER_DIR'; SELECT ecpipe_run('$DAY')" "$RUN_ABOUT")
status=$(field 1 "$file")
if [ "${status%%,*}" != succeeded ]; then  # a blocked day times validation only, and sql_reference stops at its gate
  echo "the run of the generated day did not succeed ($status; checks: $(field 3 "$file")): a small day has few" \
       "purchases, so a handful of bad amounts blocks it; lower ANOMALY_RATE" >&2
  exit 1
fi
landed=$(measure "$FRESH" "SELECT ecpipe_ingest('$DAY', '$FILE'), ecpipe_run('$DAY')" "$RUN_ABOUT")
if [ "$REFERENCE" != 0 ]; then
  reference=$(measure "@bench/reference/setup.sql" "@bench/reference/pipeline.sql")
  cross_check=$(q -f bench/reference/compare.sql)
fi

row() {  # name, "seconds peak_kb anon_kb"
  set -- "$1" ${2%% | *}
  awk -v n="$1" -v s="$2" -v k="$3" -v p="$4" -v lines="$lines" -v f="${floor%% *}" \
    'BEGIN{printf "| %-15s | %8.2f | %10.0f | %7.2f | %8.0f | %8.0f | %7.0f |\n",
           n, s, lines/s, s/f, k/1024, p/1024, p*1024/lines}'
}
ratio() { awk -v a="${2%% *}" -v b="${3%% *}" -v n="$1" 'BEGIN{printf "%s: %.2f\n", n, a/b}'; }
echo
echo "$durability" | tr -s ',' '\n' | sed 's/^ //'
echo
echo "| what            |  seconds |   events/s | x floor | peak MiB | anon MiB | B/event |"
echo "|-----------------|----------|------------|---------|----------|----------|---------|"
row "floor (text)" "$floor"
row "plain \\copy" "$plain_copy"
row "ecpipe (\\copy)" "$copy_landing"
row "ecpipe (file)" "$file"
row "ecpipe (landed)" "$landed"
[ "$REFERENCE" = 0 ] || row "sql_reference" "$reference"
echo
echo "ecpipe (\\copy) lands the file only (SET ecpipe.landing_date, \\copy ecpipe.landing_import); plain \\copy copies it"
echo "into a logged one-column text table with the same options."
echo "ecpipe (file) run: $(field 1 "$file"); steps: $(field 2 "$file")"
echo "ecpipe (landed) run: $(field 1 "$landed"); steps: $(field 2 "$landed")"
echo "checks (failed/population): $(field 3 "$landed")"
outcome() { field 1 "$1"; field 3 "$1"; field 4 "$1"; }  # all of a run's about but its steps' times
if [ "$(outcome "$file")" != "$(outcome "$landed")" ]; then
  echo "the file and landed runs differ: checks $(field 3 "$file"), mart rows $(field 4 "$file")" >&2
  exit 1
fi
echo "file and landed runs agree: status, counts, checks, mart rows ($(field 4 "$landed"))"
[ "$REFERENCE" = 0 ] && echo "cross-check: skipped (REFERENCE=0)" || echo "$cross_check"
ratio "ecpipe/floor" "$file" "$floor"
if [ "$REFERENCE" = 0 ]; then
  echo "sql_reference/ecpipe: skipped (REFERENCE=0)"
else
  ratio "sql_reference/ecpipe" "$reference" "$file"
fi
ratio "copy_landing/plain_copy" "$copy_landing" "$plain_copy"
