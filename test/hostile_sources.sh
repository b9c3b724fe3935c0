#!/usr/bin/env bash
# Hostile data sources against a throwaway cluster, every statement under `timeout` so that a hang fails the test
# instead of hanging CI: a FIFO and /dev/zero and symbolic links as landing files, cancel and statement_timeout
# while a huge file is read and while a big day is validated, validate's peak memory on a 1 MB platform opening a
# 1,500-event session, and repeated values (one event_id, one order_id, one session for 100,000 events).
# Prints one "ok"/"not ok" line per assertion and a summary (docs/RELIABILITY.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
WORK=$(mktemp -d /tmp/ecpipe-hostile.XXXXXX)
chmod 777 "$WORK"
CLUSTER_DB=hostile CLUSTER_EXTRA_CONF="client_min_messages = warning" cluster_start
trap 'rc=$?; set +e; rm -rf "$WORK"; (exit $rc); cluster_stop' EXIT

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; failed=$((failed + 1)); }
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', want '$3')"; fi; }
q() { timeout 120 psql -X -q -At -v VERBOSITY=default "$@"; }
# timed <seconds> <psql args...>: runs psql with a timeout; sets OUT (stdout + stderr, one line) and SECS.
timed() {
  local limit=$1 start
  shift
  start=$(date +%s.%N)
  OUT=$(timeout "$limit" psql -X -q -At -v VERBOSITY=verbose "$@" 2>&1 | tr '\n' ' ' | sed 's/ *$//') || true
  SECS=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
}
within() { awk -v s="$1" -v m="$2" 'BEGIN{exit !(s <= m)}'; }
hwm='SELECT (regexp_match(pg_read_file($$/proc/self/status$$), $$VmHWM:\s+(\d+)$$))[1]::bigint
            - (regexp_match(pg_read_file($$/proc/self/status$$), $$RssShmem:\s+(\d+)$$))[1]::bigint'
lost() {
  q -c "SELECT (SELECT count(*) FROM ecpipe.landing WHERE batch_date = '$1' AND (line ~ '\S' OR line IS NULL))
             - (SELECT count(*) FROM ecpipe.raw_events WHERE batch_date = '$1')
             - (SELECT count(*) FROM ecpipe.quarantine WHERE batch_date = '$1')"
}
q -c "CREATE EXTENSION ecpipe"

# --- files that are not regular files ------------------------------------------------------------------------------
mkfifo -m 666 "$WORK/events_20240510.jsonl"
timed 30 -c "SET ecpipe.landing_dir = '$WORK'" -c "SELECT ecpipe_run('2024-05-10')->>'status'"
check "a FIFO as the day's landing file: the run fails at once (${SECS}s)" "$OUT" failed
check "  and its error names the FIFO" \
  "$(q -c "SELECT error LIKE '%\"$WORK/events_20240510.jsonl\" is a FIFO: ecpipe reads regular files only%'
           FROM ecpipe.runs ORDER BY run_id DESC LIMIT 1")" t
timed 30 -c "SELECT ecpipe_ingest('2024-05-10', '$WORK/events_20240510.jsonl')"
check "ecpipe_ingest of a FIFO: a clear error (${SECS}s)" "${OUT%% LOCATION*}" \
  "ERROR:  58030: ecpipe: \"$WORK/events_20240510.jsonl\" is a FIFO: ecpipe reads regular files only CONTEXT:  ecpipe function ecpipe_ingest"
timed 30 -c "SELECT ecpipe_ingest('2024-05-10', '/dev/zero')"
check "ecpipe_ingest of /dev/zero: a clear error (${SECS}s)" "${OUT%% CONTEXT*}" \
  "ERROR:  58030: ecpipe: \"/dev/zero\" is a character device: ecpipe reads regular files only"
timed 30 -c "SELECT ecpipe_ingest('2024-05-10', '$WORK')"
check "ecpipe_ingest of a directory: a clear error" "${OUT%% CONTEXT*}" \
  "ERROR:  58030: ecpipe: \"$WORK\" is a directory: ecpipe reads regular files only"
ln -s /dev/zero "$WORK/events_20240511.jsonl"
timed 30 -c "SELECT ecpipe_ingest('2024-05-11', '$WORK/events_20240511.jsonl')"
check "a symbolic link to /dev/zero: refused as the device it leads to" "${OUT%% CONTEXT*}" \
  "ERROR:  58030: ecpipe: \"/dev/zero\" is a character device: ecpipe reads regular files only"
timed 30 -c "SET ecpipe.landing_dir = '$WORK'" -c "SELECT ecpipe_ingest('2024-05-11', 'events_20240511.jsonl')"
check "  with ecpipe.landing_dir set, a link leading outside it is refused" "${OUT%% CONTEXT*}" \
  "ERROR:  42501: \"events_20240511.jsonl\" is outside ecpipe.landing_dir ($WORK)"
printf '{"a": 1}\n{"b": 2}\n' >"$WORK/real.jsonl"
ln -s "$WORK/real.jsonl" "$WORK/events_20240512.jsonl"
chmod 644 "$WORK/real.jsonl"
timed 30 -c "SET ecpipe.landing_dir = '$WORK'" -c "SELECT ecpipe_ingest('2024-05-12', 'events_20240512.jsonl')"
check "  a link to a regular file inside ecpipe.landing_dir is read" "$OUT" 2

# --- cancel and statement_timeout while a huge file is read ----------------------------------------------------------
truncate -s 64G "$WORK/huge.jsonl"  # sparse: 64 GB of NUL bytes and no newline, no disk used
chmod 644 "$WORK/huge.jsonl"
timed 60 -c "SET statement_timeout = '1s'" -c "SELECT ecpipe_ingest('2024-05-13', '$WORK/huge.jsonl')"
check "statement_timeout stops ecpipe_ingest of a 64 GB line" "${OUT%% LOCATION*}" \
  "ERROR:  57014: canceling statement due to statement timeout"
within "$SECS" 5 && ok "  within seconds (${SECS}s)" || not_ok "  within seconds (${SECS}s)"
start=$(date +%s.%N)
(PGAPPNAME=hostile_ingest timeout 60 psql -X -q -At -v VERBOSITY=verbose \
  -c "SELECT ecpipe_ingest('2024-05-13', '$WORK/huge.jsonl')" >"$WORK/cancel.out" 2>&1 || true) &
reader=$!
sleep 1.5
q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'hostile_ingest'" >/dev/null
wait $reader
SECS=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
check "pg_cancel_backend stops ecpipe_ingest of a 64 GB line" "$(head -1 "$WORK/cancel.out")" \
  "ERROR:  57014: canceling statement due to user request"
within "$SECS" 5 && ok "  within seconds (${SECS}s)" || not_ok "  within seconds (${SECS}s)"
rm -f "$WORK/huge.jsonl"

# --- statement_timeout stops a long validate -----------------------------------------------------------------------
q -c "INSERT INTO ecpipe.landing (batch_date, line_no, line)
      SELECT '2024-06-01', n, l FROM ecpipe_generate('2024-06-01', 52632, 1) WITH ORDINALITY AS g(l, n)"
events=$(q -c "SELECT count(*) FROM ecpipe.landing WHERE batch_date = '2024-06-01'")
timed 60 -c "SET statement_timeout = '200ms'" -c "SELECT count(*) FROM ecpipe_validate('2024-06-01')"
check "statement_timeout = 200ms stops ecpipe_validate of a generated day ($events events)" "${OUT%% CONTEXT*}" \
  "ERROR:  57014: canceling statement due to statement timeout"
within "$SECS" 3 && ok "  within seconds (${SECS}s)" || not_ok "  within seconds (${SECS}s)"
check "  and the server is up" "$(q -c "SELECT 1")" 1
# the same day validated and loaded once (timed), then its load cut short at 20 points across that time (some land
# while rows are being written): every error is the server's own, and no line of the batch is blamed for it
q -c "SELECT count(*) FROM ecpipe_validate('2024-06-01')" >/dev/null
timed 120 -c "SELECT ecpipe_load('2024-06-01')->>'status'"
load_ms=$(awk -v s="$SECS" 'BEGIN{printf "%d", s * 1000}')
errors=$(for pct in $(seq 5 5 100); do
  timeout 60 psql -X -q -At -c "SET statement_timeout = $((load_ms * pct / 100 + 1))" \
    -c "SELECT ecpipe_load('2024-06-01')->>'status'" 2>&1 | head -1
done | grep -v '^loaded$' | sort -u || true)
check "statement_timeout anywhere in ecpipe_load (${load_ms} ms) gives the server's own error" "$errors" \
  "ERROR:  canceling statement due to statement timeout"

# --- memory: a 1 MB platform opening a session, then 1,500 events of it ----------------------------------------------
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
def ev(i, sec, platform):
    return json.dumps({"event_id": "00000000-0000-4000-8000-%012d" % i, "event_type": "page_view", "user_id": "U000001",
                       "session_id": "00000000-0000-4000-8000-000000900001",
                       "timestamp": "2024-05-14T10:%02d:%02dZ" % (sec // 60 % 60, sec % 60), "platform": platform,
                       "device_type": "desktop", "page_url": "https://shop.example.com/home", "page_type": "home"})
with open(work + "/amplify.jsonl", "w") as f:
    f.write(ev(1, 0, "p" * (1 << 20)) + "\n")
    for i in range(1500): f.write(ev(2 + i, 1 + i, "web") + "\n")
with open(work + "/plain.jsonl", "w") as f:
    for i in range(1501): f.write(ev(1 + i, i, "web") + "\n")
# Repeated values: 100,000 events of one session, every one with the same event_id; a third are purchases of one
# order_id without a cart before them.
with open(work + "/repeated.jsonl", "w") as f:
    for i in range(100000):
        e = json.loads(ev(1, i % 3600, "web"))
        if i % 3 == 0:
            e.update(event_type="purchase", order_id="ORD2024051400001", total_amount=89000, payment_method="credit_card",
                     extra_data='{"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}]}')
        f.write(json.dumps(e) + "\n")
PY
chmod 644 "$WORK"/*.jsonl
size_kib=$(( $(stat -c %s "$WORK/amplify.jsonl") / 1024 ))
q -c "SELECT ecpipe_ingest('2024-05-14', '$WORK/amplify.jsonl'), ecpipe_ingest('2024-05-15', '$WORK/plain.jsonl')" >/dev/null
plain=$(q -c "SELECT count(*) FROM ecpipe_validate('2024-05-15')" -c "$hwm" | tail -1)
start=$(date +%s.%N)
hostile=$(q -c "SELECT count(*) FROM ecpipe_validate('2024-05-14')" -c "$hwm" | tail -1)
SECS=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
extra=$((hostile - plain))
if [ "$extra" -le $((2 * size_kib + 16384)) ]; then
  ok "validate's peak private memory: $((hostile / 1024)) MiB, $((extra / 1024)) MiB above a plain day of as many lines (file $((size_kib / 1024)) MiB; bound 2 x file + 16 MiB), ${SECS}s"
else
  not_ok "validate's peak private memory: $((hostile / 1024)) MiB, $((extra / 1024)) MiB above a plain day (bound 2 x $((size_kib / 1024)) MiB + 16 MiB)"
fi
check "  check 7 counts every switch" \
  "$(q -c "SELECT population || '/' || failed FROM ecpipe.quality_log WHERE batch_date = '2024-05-14' AND check_no = 7")" 1501/1500
written=$(q -c "SELECT (SELECT sum(length(detail)) FROM ecpipe.line_verdicts WHERE batch_date = '2024-05-14')
                       + (SELECT sum(length(samples::text)) FROM ecpipe.quality_log WHERE batch_date = '2024-05-14')")
if [ "$written" -lt 1000000 ]; then ok "  line_verdicts.detail + quality_log samples: $written bytes"; else not_ok "  $written bytes of details and samples"; fi

# --- repeated values --------------------------------------------------------------------------------------------------
q -c "SELECT ecpipe_ingest('2024-05-16', '$WORK/repeated.jsonl')" >/dev/null
timed 120 -c "SET ecpipe.min_pass_rate = 0" -c "SET statement_timeout = '60s'" -c "SELECT ecpipe_run('2024-05-16')->>'status'"
check "100,000 events with one event_id, one order_id and one session: the run ends (${SECS}s)" "$OUT" succeeded
check "  counts: check 2 fails all but the first, check 4 the one session, check 6 none (one event_id owns the order)" \
  "$(q -c "SELECT string_agg(failed::text, ' ' ORDER BY check_no) FROM ecpipe.quality_log WHERE batch_date = '2024-05-16'")" \
  "0 99999 0 1 0 0 0"
check "  landing = raw + quarantine" "$(lost 2024-05-16)" 0
within "$SECS" 30 && ok "  within 30 s (${SECS}s)" || not_ok "  within 30 s (${SECS}s)"

echo "hostile sources: $((passed + failed)) assertions, $failed failed"
[ $failed = 0 ]
