#!/usr/bin/env bash
# Faults, concurrency and load against a throwaway cluster, with committed state and real signals: kill -9 during
# load and marts, an immediate stop with the outbox full and the webhook down, statement_timeout and disk-full in a
# step, two runs of one day, runs of two days at once, 20 pgbench readers while the marts are replaced, and a
# backfill with its memory. Prints one "ok"/"not ok" line per assertion and a summary (docs/RELIABILITY.md).
#   EVENTS (100000): events of the day that is killed, timed out and re-run
#   BACKFILL_DAYS (30), BACKFILL_EVENTS (100000): the backfill
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
EVENTS=${EVENTS:-100000}
BACKFILL_DAYS=${BACKFILL_DAYS:-30}
BACKFILL_EVENTS=${BACKFILL_EVENTS:-100000}
D1=2026-01-17
D2=2026-01-18
WORK=$(mktemp -d /tmp/ecpipe-faults.XXXXXX)
chmod 777 "$WORK"
CLUSTER_KILLED_PIDS=""

CLUSTER_DB=faults CLUSTER_PRELOAD=pg_cron,ecpipe CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'faults'
client_min_messages = warning
ecpipe.webhook_allowed_hosts = '127.0.0.1'
ecpipe.notify_retry_base = 1
ecpipe.notify_max_attempts = 100" cluster_start
trap 'rc=$?; set +e; [ -n "${RECEIVER:-}" ] && kill $RECEIVER 2>/dev/null; rm -rf "$WORK"; (exit $rc); cluster_stop' EXIT

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi; }
q() { psql -X -q -At "$@"; }
wait_ready() { for _ in $(seq 600); do q -d postgres -c "SELECT 1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
pg_ctl_() { as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_LOG" -w -t 120 "$@" >/dev/null; }
users_for() { echo $(($1 * 500 / 1900 + 1)); }

# gen_day <ds> <events> <file>: a generated day written as JSONL.
gen_day() {
  q -c "COPY (SELECT l FROM ecpipe_generate('$1', $(users_for "$2"), 1) l) TO '$3'
        WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
}

q -c "CREATE EXTENSION ecpipe"
# Everything the pipeline produced (test/pipeline_digest.sql).
q -c "CREATE FUNCTION public.digest() RETURNS text LANGUAGE sql AS \$\$ $(sed '/^--/d' test/pipeline_digest.sql) \$\$"
gen_day $D1 "$EVENTS" "$WORK/d1.jsonl"
gen_day $D2 "$EVENTS" "$WORK/d2.jsonl"
q -c "SELECT ecpipe_ingest('$D1', '$WORK/d1.jsonl'), ecpipe_ingest('$D2', '$WORK/d2.jsonl')" >/dev/null
check "day 1 runs ($EVENTS events)" "$(q -c "SELECT ecpipe_run('$D1')->>'status'")" succeeded
baseline=$(q -c "SELECT digest()")

# --- kill -9 of the backend in the middle of a step -------------------------------------------------------------
# kill_during <step> [<stalled table>] [<label>]: re-run day 1 (KILL_DAY) and kill its backend once ecpipe.current_runs shows <step>. With
# a table, a statement trigger makes the step's INSERT into it sleep, so that the kill lands in the middle of the
# step, after its earlier writes, however fast the step has become.
kill_during() {
  local client pid="" day=${KILL_DAY:-$D1} label=${3:-$1}
  if [ -n "${2:-}" ]; then
    q -c "CREATE FUNCTION public.stall() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN PERFORM pg_sleep(30); RETURN NULL; END\$\$;
          CREATE TRIGGER stall BEFORE INSERT ON $2 FOR EACH STATEMENT EXECUTE FUNCTION public.stall()"
  fi
  psql -X -q -At -c "SELECT ecpipe_run('$day')" >/dev/null 2>&1 &
  client=$!
  for _ in $(seq 6000); do
    pid=$(q -c "SELECT pid FROM ecpipe.current_runs WHERE step = '$1'" 2>/dev/null || true)
    [ -n "$pid" ] && break
    sleep 0.005
  done
  if [ -z "$pid" ]; then
    not_ok "the re-run never showed step $1"
    wait $client || true
    [ -z "${2:-}" ] || q -c "DROP TRIGGER stall ON $2; DROP FUNCTION public.stall()"
    return
  fi
  kill -9 "$pid"
  CLUSTER_KILLED_PIDS="$CLUSTER_KILLED_PIDS $pid"
  wait $client || true
  wait_ready || { not_ok "server back after kill -9 during $label"; return; }
  [ -z "${2:-}" ] || q -c "DROP TRIGGER stall ON $2; DROP FUNCTION public.stall()"
  check "kill -9 during $label: raw, quarantine and marts exactly as before" "$(q -c "SELECT digest()")" "$baseline"
  # the run was committed as running before it worked; the worker closes it on start (ecpipe.fail_dead_runs)
  local closed=""
  for _ in $(seq 300); do
    closed=$(q -c "SELECT status || ':' || error FROM ecpipe.runs WHERE pid = $pid")
    case "$closed" in failed:*) break ;; esac
    sleep 0.1
  done
  check "kill -9 during $label: the run's row was there and ends failed, server restarted" "$closed" "failed:server restarted"
  check "kill -9 during $label: a re-run succeeds" "$(q -c "SELECT ecpipe_run('$day')->>'status'")" succeeded
  check "kill -9 during $label: and gives identical marts" "$(q -c "SELECT digest()")" "$baseline"
}
kill_during load
kill_during marts ecpipe.mart_orders  # written last: users, funnel and products are already replaced

# --- a day read in place from its file in ecpipe.landing_dir -------------------------------------------------------
D3=2026-01-19
F3="$WORK/events_20260119.jsonl"
gen_day $D3 "$EVENTS" "$F3"
export PGOPTIONS="-c ecpipe.landing_dir=$WORK"
check "day 3 runs from its file" "$(q -c "SELECT concat_ws(':', s->>'status', s->>'source') FROM ecpipe_run('$D3') s")" \
  succeeded:file
baseline=$(q -c "SELECT digest()")
KILL_DAY=$D3 kill_during load "" "the load of a day read from its file"
# The file rewritten while the run is between validate and load: validate stalls in its last write, the file grows.
q -c "CREATE FUNCTION public.stall() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN PERFORM pg_sleep(3); RETURN NULL; END\$\$;
      CREATE TRIGGER stall BEFORE INSERT ON ecpipe.quality_log FOR EACH STATEMENT EXECUTE FUNCTION public.stall()"
psql -X -q -At -c "SELECT concat_ws(':', s->>'status', s->>'step') FROM ecpipe_run('$D3') s" >"$WORK/changed.out" 2>&1 &
client=$!
for _ in $(seq 3000); do
  [ -n "$(q -c "SELECT 1 FROM ecpipe.current_runs WHERE step = 'validate' AND wait_event = 'PgSleep'")" ] && break
  sleep 0.01
done
as_pg sh -c "tail -n 1 '$F3' >> '$F3'"  # a line delivered twice, late
wait $client || true
q -c "DROP TRIGGER stall ON ecpipe.quality_log; DROP FUNCTION public.stall()"
check "a file changed between validate and load: the run fails at load" "$(cat "$WORK/changed.out")" "failed:load"
check "a file changed between validate and load: the error says so" \
  "$(q -c "SELECT error LIKE 'file \"$F3\" of batch $D3 changed since its validation%' FROM ecpipe.runs ORDER BY run_id DESC LIMIT 1")" t
check "a file changed between validate and load: raw, quarantine and marts exactly as before" \
  "$(q -c "SELECT digest()")" "$baseline"
gen_day $D3 "$EVENTS" "$F3"
check "the file restored, the day runs again to the same data" \
  "$(q -c "SELECT ecpipe_run('$D3')->>'status'")/$(q -c "SELECT digest()")" "succeeded/$baseline"
unset PGOPTIONS

# --- a step cut short: statement_timeout, and disk full (simulated with SQLSTATE 53100 from a trigger) ----------
# The marts step made slow (a stall on mart_orders), so that the timeout falls inside a step however fast the run is.
q -c "CREATE FUNCTION public.stall() RETURNS trigger LANGUAGE plpgsql AS \$\$BEGIN PERFORM pg_sleep(2); RETURN NULL; END\$\$;
      CREATE TRIGGER stall BEFORE INSERT ON ecpipe.mart_orders FOR EACH STATEMENT EXECUTE FUNCTION public.stall()"
out=$(q -c "SET statement_timeout = '1s'" -c "SELECT ecpipe_run('$D1')->>'status'")
q -c "DROP TRIGGER stall ON ecpipe.mart_orders; DROP FUNCTION public.stall()"
check "statement_timeout in a step: the run is recorded failed" \
  "$out/$(q -c "SELECT status || ':' || (error LIKE '%statement timeout%') FROM ecpipe.runs ORDER BY run_id DESC LIMIT 1")" \
  "failed/failed:true"
check "statement_timeout: data unchanged" "$(q -c "SELECT digest()")" "$baseline"
q -c "CREATE FUNCTION public.disk_full() RETURNS trigger LANGUAGE plpgsql AS
        \$\$BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END\$\$;
      CREATE TRIGGER disk_full BEFORE INSERT ON ecpipe.mart_orders FOR EACH ROW EXECUTE FUNCTION public.disk_full()"
check "disk full in the marts step: the run is recorded failed at marts" \
  "$(q -c "SELECT ecpipe_run('$D1')->>'status'")/$(q -c "SELECT failed_step FROM ecpipe.runs ORDER BY run_id DESC LIMIT 1")" \
  "failed/marts"
check "disk full: data unchanged" "$(q -c "SELECT digest()")" "$baseline"
q -c "DROP TRIGGER disk_full ON ecpipe.mart_orders"
check "the failed runs queued their alerts (3 killed, a changed file, timeout, disk full)" \
  "$(q -c "SELECT count(*) FROM ecpipe.notifications n JOIN ecpipe.runs r USING (run_id) WHERE r.status = 'failed' AND n.kind = 'failed'")" 6
check "the worker says at start which database it serves" \
  "$(grep -c 'ecpipe notification worker: serving database "faults" (ecpipe.worker_database)' "$CLUSTER_LOG" | sed 's/^[1-9][0-9]*$/yes/')" yes

# --- the webhook down for a whole run, then an immediate stop with the outbox full -------------------------------
python3 test/webhook_receiver.py --log "$WORK/probe.log" --port-file "$WORK/port" --lifetime 1 &
wait $!
port=$(cat "$WORK/port")  # a port nothing listens on now
echo "http://127.0.0.1:$port/outage/200" >"$WORK/webhook_url"  # the secret lives in a file, not in the config
chmod 644 "$WORK/webhook_url"
q -c "ALTER SYSTEM SET ecpipe.slack_webhook_url = 'file:$WORK/webhook_url'" \
  -c "ALTER SYSTEM SET ecpipe.webhook_allowed_hosts = '127.0.0.1:$port'" -c "SELECT pg_reload_conf()" >/dev/null
check "ALTER SYSTEM refuses a URL itself (file: only), and the refused statement stays out of the log" \
  "$(q -c "ALTER SYSTEM SET ecpipe.slack_webhook_url = 'https://hooks.slack.com/services/T0/B0/s3cr3t-alter'" 2>&1 |
     grep -c 'must be file:' || true)/$(grep -c s3cr3t-alter "$CLUSTER_LOG" || true)" "1/0"
check "ALTER DATABASE refuses a file: reference that is no absolute path, and that statement stays out of the log too" \
  "$(q -c "ALTER DATABASE faults SET ecpipe.slack_webhook_url = 'file:https://hooks.slack.com/services/T0/B0/s3cr3t-db'" 2>&1 |
     grep -c 'needs an absolute path' || true)/$(grep -c s3cr3t-db "$CLUSTER_LOG" || true)" "1/0"
q -c "DELETE FROM ecpipe.notifications" >/dev/null
check "webhook down: day 2 still succeeds" "$(q -c "SELECT ecpipe_run('$D2')->>'status'")" succeeded
baseline2=$(q -c "SELECT digest()")
queued=$(q -c "SELECT count(*) FROM ecpipe.notifications WHERE status = 'queued'")
sleep 2  # let the worker fail a few attempts
pg_ctl_ stop -m immediate
python3 test/webhook_receiver.py --log "$WORK/outage.log" --port-file "$WORK/port2" --port "$port" &
RECEIVER=$!
pg_ctl_ start
wait_ready
for _ in $(seq 120); do
  [ "$(q -c "SELECT count(*) FROM ecpipe.notifications WHERE status <> 'delivered'")" = 0 ] && break
  sleep 0.5
done
check "immediate stop with $queued messages queued: all delivered after restart" \
  "$(q -c "SELECT count(*) FILTER (WHERE status = 'delivered') || '/' || count(*) FROM ecpipe.notifications")" "$queued/$queued"
check "the webhook URL never reached the server log" "$(grep -c "/outage/" "$CLUSTER_LOG" || true)" 0
check "each reached the webhook at least once" \
  "$(python3 -c "import json,sys; print(len({json.loads(l)['body'] for l in open(sys.argv[1])}) >= $queued)" "$WORK/outage.log")" True

# --- concurrency --------------------------------------------------------------------------------------------------
# runs_at_once <day> <day>: both ecpipe_run at the same time; prints "<status>/<status>"
runs_at_once() {
  psql -X -q -At -c "SELECT ecpipe_run('$1')->>'status'" >"$WORK/a.out" 2>&1 &
  local a=$!
  psql -X -q -At -c "SELECT ecpipe_run('$2')->>'status'" >"$WORK/b.out" 2>&1 &
  local b=$!
  wait $a || true
  wait $b || true
  echo "$(cat "$WORK/a.out")/$(cat "$WORK/b.out")"
}
check "two runs of one day at once: the second waits, both succeed" "$(runs_at_once $D1 $D1)" "succeeded/succeeded"
check "and the marts are the same" "$(q -c "SELECT digest()")" "$baseline2"
# A login role without any grant holds the advisory key runs used before 0.3.0: nothing waits for it.
q -c "CREATE ROLE faults_nobody LOGIN" >/dev/null
psql -X -q -U faults_nobody -c "SELECT pg_advisory_lock(1701864048, date '$D1' - date '2000-01-01')" -c "SELECT pg_sleep(3)" \
  >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
  [ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
  sleep 0.05
done
check "a role without grants holding the old advisory key does not stall a run" \
  "$(q -c "SET ecpipe.run_lock_timeout = '100ms'" -c "SELECT ecpipe_run('$D1')->>'status'" 2>&1)" succeeded
check "and cannot take the day's lock" \
  "$(psql -X -q -At -U faults_nobody -c "SELECT ds FROM ecpipe.run_locks FOR UPDATE" 2>&1 | head -1 | sed 's/^.*ERROR: *//')" \
  "permission denied for schema ecpipe"
wait $holder || true
# ecpipe's own lock held by another session (not a run: as ecpipe_load takes it): the run gives up after
# ecpipe.run_lock_timeout, recorded with its alert.
psql -X -q -c "BEGIN" -c "SELECT ecpipe.lock_day('$D1', 0)" -c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
  hpid=$(q -c "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(3)'")
  [ -n "$hpid" ] && break
  sleep 0.05
done
out=$(q -c "SET ecpipe.run_lock_timeout = '100ms'" -c "SELECT ecpipe_run('$D1')->>'status'" 2>&1 || true)
wait $holder || true
check "a run that cannot get its day's lock in time fails, recorded, naming the holder, with its alert" \
  "$out/$(q -c "SELECT r.failed_step || ':' || r.error || ':' || string_agg(n.kind, ',') FROM ecpipe.runs r
               LEFT JOIN ecpipe.notifications n USING (run_id) WHERE r.run_id = (SELECT max(run_id) FROM ecpipe.runs)
               GROUP BY r.run_id")" \
  "failed/lock:$D1 is held by pid $hpid, which loads or lands that day (ecpipe_load, ecpipe_ingest or a \copy); waited 100ms (ecpipe.run_lock_timeout):failed"
check "runs of two days in parallel both succeed" "$(runs_at_once $D1 $D2)" "succeeded/succeeded"
check "with the marts of sequential runs" "$(q -c "SELECT digest()")" "$baseline2"
# Two batches whose events fall on one day without a partition yet: both loads make it, the second waits for the first.
q -c "COPY (SELECT l FROM ecpipe_generate('2026-01-25', 200, 3) l) TO '$WORK/late.jsonl'
      WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
q -c "SELECT ecpipe_ingest('2026-01-26', '$WORK/late.jsonl'), ecpipe_ingest('2026-01-27', '$WORK/late.jsonl')" >/dev/null
check "two batches making one new day's partition at once both succeed" "$(runs_at_once 2026-01-26 2026-01-27)" \
  "succeeded/succeeded"
check "and both are in it" \
  "$(q -c "SELECT count(DISTINCT batch_date) FROM ecpipe.raw_events WHERE event_day = '2026-01-25'")" 2
q -c "DELETE FROM ecpipe.landing WHERE batch_date IN ('2026-01-26', '2026-01-27')" \
  -c "DELETE FROM ecpipe.validations WHERE batch_date IN ('2026-01-26', '2026-01-27')" \
  -c "DROP TABLE ecpipe.raw_events_20260125" \
  -c "DELETE FROM ecpipe.quarantine WHERE batch_date IN ('2026-01-26', '2026-01-27')" \
  -c "DELETE FROM ecpipe.mart_user_daily WHERE activity_date = '2026-01-25'" \
  -c "DELETE FROM ecpipe.mart_funnel_daily WHERE funnel_date = '2026-01-25'" \
  -c "DELETE FROM ecpipe.mart_product_daily WHERE activity_date = '2026-01-25'" \
  -c "DELETE FROM ecpipe.mart_orders WHERE order_date = '2026-01-25'" >/dev/null

users=$(q -c "SELECT count(*) FROM ecpipe.mart_user_daily WHERE activity_date = '$D1'")
orders=$(q -c "SELECT count(*) FROM ecpipe.mart_orders WHERE order_date = '$D1'")
cat >"$WORK/readers.sql" <<SQL
SELECT 1 / (CASE WHEN (SELECT count(*) FROM ecpipe.mart_user_daily WHERE activity_date = '$D1') = $users
                  AND (SELECT count(*) FROM ecpipe.mart_orders WHERE order_date = '$D1') = $orders
                  AND (SELECT sum(step1_viewers) FROM ecpipe.mart_funnel_daily WHERE funnel_date = '$D1') > 0
                 THEN 1 ELSE 0 END);
SQL
as_pg "$PG_BIN/pgbench" -h "$CLUSTER_DIR" -U postgres -n -c 20 -j 2 -T 30 -R 400 -f "$WORK/readers.sql" faults \
  >"$WORK/pgbench.out" 2>&1 &
bench=$!
reruns=0
while kill -0 $bench 2>/dev/null; do
  [ "$(q -c "SELECT ecpipe_run('$D1')->>'status'")" = succeeded ] && reruns=$((reruns + 1))
done
rc=0
wait $bench || rc=$?
tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")
if [ $rc = 0 ] && ! grep -q "aborted" "$WORK/pgbench.out"; then
  ok "20 readers, $tx queries during $reruns re-runs of the day: none saw a half-built day or an error"
else
  not_ok "readers during re-runs (pgbench exit $rc): $(grep -m3 -E "ERROR|aborted" "$WORK/pgbench.out" | tr '\n' ' ')"
fi

# --- a backfill: every day succeeds, memory stays flat --------------------------------------------------------------
hwm='SELECT (regexp_match(pg_read_file($$/proc/self/status$$), $$VmHWM:\s+(\d+)$$))[1]::bigint
            - (regexp_match(pg_read_file($$/proc/self/status$$), $$RssShmem:\s+(\d+)$$))[1]::bigint'
first=2026-02-01
last=$(date -d "$first + $((BACKFILL_DAYS - 1)) days" +%F)
for i in $(seq 0 $((BACKFILL_DAYS - 1))); do
  d=$(date -d "$first + $i days" +%F)
  gen_day "$d" "$BACKFILL_EVENTS" "$WORK/events_$(date -d "$d" +%Y%m%d).jsonl"
done
# backfill <from> <to>: in a fresh session; prints "<days succeeded> <events loaded> <peak private KiB>"
backfill() {
  q -c "SET ecpipe.landing_dir = '$WORK'" \
    -c "SELECT count(*) FILTER (WHERE s->>'status' = 'succeeded') || ' ' || sum((s->>'loaded')::bigint)
        FROM ecpipe_backfill('$1', '$2') s" -c "$hwm" | tr '\n' ' '
}
# The first 3 days, then the rest: both load new days only, so their peaks compare like for like.
third=$(date -d "$first + 2 days" +%F)
fourth=$(date -d "$first + 3 days" +%F)
start=$(date +%s.%N)
set -- $(backfill "$first" "$third") $(backfill "$fourth" "$last")
seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b - a}')
check "backfill of $BACKFILL_DAYS days x $BACKFILL_EVENTS events: every day succeeds" "$(($1 + $4))" "$BACKFILL_DAYS"
ratio=$(awk -v a="$6" -v b="$3" 'BEGIN{printf "%.2f", a / b}')
if awk -v r="$ratio" 'BEGIN{exit !(r <= 1.5)}'; then
  ok "backfill memory is flat: peak private memory $(( $6 / 1024 )) MiB over $((BACKFILL_DAYS - 3)) days vs $(( $3 / 1024 )) MiB over 3 (x$ratio); $(($2 + $5)) events in $seconds s"
else
  not_ok "backfill memory grows: $(( $6 / 1024 )) MiB over $((BACKFILL_DAYS - 3)) days vs $(( $3 / 1024 )) MiB over 3"
fi

# --- nothing lost -------------------------------------------------------------------------------------------------
lost=$(q -c "SELECT coalesce(sum(l.n - coalesce(r.n, 0) - coalesce(x.n, 0)), 0) FROM
  (SELECT batch_date, count(*) n FROM ecpipe.landing WHERE line ~ '\S' OR line IS NULL GROUP BY 1) l
  LEFT JOIN (SELECT batch_date, count(*) n FROM ecpipe.raw_events GROUP BY 1) r USING (batch_date)
  LEFT JOIN (SELECT batch_date, count(*) n FROM ecpipe.quarantine GROUP BY 1) x USING (batch_date)")
check "rows lost across all landed batches (landing = raw + quarantine)" "$lost" 0
# A batch read from its file is in no table: its latest validation counted its lines.
lost_files=$(q -c "SELECT coalesce(sum(v.lines - v.blank_lines - coalesce(r.n, 0) - coalesce(x.n, 0)), 0) FROM
  (SELECT DISTINCT ON (batch_date) * FROM ecpipe.validations ORDER BY batch_date, run_id DESC) v
  LEFT JOIN (SELECT batch_date, count(*) n FROM ecpipe.raw_events GROUP BY 1) r USING (batch_date)
  LEFT JOIN (SELECT batch_date, count(*) n FROM ecpipe.quarantine GROUP BY 1) x USING (batch_date)
  WHERE v.source = 'file'")
check "rows lost across all batches read from files (validated lines = raw + quarantine)" "$lost_files" 0
lost=$((lost + lost_files))

export CLUSTER_KILLED_PIDS
echo "faults: $((passed + failed)) assertions, $failed failed, rows lost $lost, backends killed on purpose:$(echo $CLUSTER_KILLED_PIDS | wc -w)"
[ $failed = 0 ]
