#!/usr/bin/env bash
# Follows the documentation as a new user would, each part in a fresh throwaway cluster; fails on the first error.
#  0. every command block of README.md, README.ko.md and docs/*.md runs here or is marked as not run, and the blocks
#     that print a repository file print it exactly (test/doc_blocks.py check).
#  1. setup: a cluster configured with the postgresql.conf block of docs/OPERATIONS.md "Setup" (ecpipe.landing_dir
#     pointed at a temp dir), its psql blocks run as superuser and as etl; then the operator etl schedules the job every
#     minute, and within 80 s pg_cron's run of it must have succeeded, as etl, leaving a succeeded ecpipe.runs row
#     that loaded the file it collected. Parts 2 and 3 run while the job waits for its minute.
#  2. the tour: docs/tour.sql, printed in README.md, run with psql -f as printed, in the same kind of cluster; then
#     README.md's other sql blocks in that database, with the landing directory as psql's working directory.
#  3. the sql and psql blocks of docs/SQL_REFERENCE.md, docs/OPERATIONS.md, docs/MIGRATING.md and docs/CHECKS.md, in
#     order, one superuser session per document, in one database; /tmp/ecpipe_docs is where they write and read files.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
REPO=$PWD
T0=$(date +%s)
ok() { echo "ok - $* [$(($(date +%s) - T0)) s]"; }
fail() { echo "not ok - $*"; exit 1; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# 0. The blocks.
python3 test/doc_blocks.py check README.md README.ko.md docs/*.md || fail "a doc block is neither run nor marked"
ok "every command block of the docs is run or marked as not run"

# docker/docker-compose.yml starts the server with the same settings as docs/OPERATIONS.md "Setup".
python3 - <<'PY' || fail "docker/docker-compose.yml's settings differ from docs/OPERATIONS.md Setup"
import re, subprocess
doc = subprocess.run(["python3", "test/doc_blocks.py", "setup", "docs/OPERATIONS.md", "text"],
                     capture_output=True, text=True, check=True).stdout
want = {k: v.strip("'") for k, v in re.findall(r"^([a-z_.]+) *= *('[^']*'|\S+)", doc, re.M)}
have = dict(re.findall(r"^ +- ([a-z_.]+)=(\S+)$", open("docker/docker-compose.yml").read(), re.M))
want.pop("ecpipe.landing_dir"); have.pop("ecpipe.landing_dir", None)
if want != have:
    print("docs:", want, "\ncompose:", have)
    raise SystemExit(1)
PY
ok "docker/docker-compose.yml starts the server with the settings of docs/OPERATIONS.md Setup"

WORK=$(mktemp -d /tmp/ecpipe-docs.XXXXXX)
chmod 755 "$WORK"
# The server settings of docs/OPERATIONS.md "Setup", with its landing directory replaced by a fresh one.
doc_conf() {  # $1: landing directory
  python3 test/doc_blocks.py setup docs/OPERATIONS.md text | sed "s|'/srv/landing'|'$1'|"
}
doc_conf /x >"$WORK/conf"
DOC_DB=$(sed -n "s/^cron.database_name *= *'\([^']*\)'.*/\1/p" "$WORK/conf")
[ -n "$DOC_DB" ] || fail "docs/OPERATIONS.md Setup names no cron.database_name"

# 2. The tour, in a cluster of its own.
tour() {
  mkdir -m 777 "$WORK/tour_landing"
  CLUSTER_DB=$DOC_DB CLUSTER_EXTRA_CONF="$(doc_conf "$WORK/tour_landing")" cluster_start
  cd "$WORK/tour_landing"
  if psql -X -v ON_ERROR_STOP=1 -f "$REPO/docs/tour.sql" >"$WORK/tour.out" 2>&1; then
    ok "docs/tour.sql (README's tour) runs as printed"
  else
    cat "$WORK/tour.out"; fail "docs/tour.sql fails"
  fi
  [ "$(head -c 15 report.html)" = '<!DOCTYPE html>' ] && tail -c 20 report.html | grep -q '</html>' \
    || { head -c 300 report.html; fail "the tour's report.html is not an HTML page"; }
  ok "the tour writes report.html as one HTML page"
  [ "$(q -c "SELECT count(*) FROM cron.job WHERE jobname = 'ecpipe-daily' AND schedule = '0 17 * * *'")" = 1 ] \
    || fail "the tour scheduled no daily job"
  python3 "$REPO/test/doc_blocks.py" run "$REPO/README.md" >"$WORK/readme.sql"
  if psql -X -q -v ON_ERROR_STOP=1 -f "$WORK/readme.sql" >"$WORK/readme.out" 2>&1; then
    ok "the $(grep -c . "$WORK/readme.sql") lines of README.md's other sql blocks run after the tour"
  else
    cat "$WORK/readme.out"; fail "a sql block of README.md fails"
  fi
}

# 3. The reference documents' examples.
examples() {
  rm -rf /tmp/ecpipe_docs && mkdir -m 777 /tmp/ecpipe_docs
  CLUSTER_DB=docs CLUSTER_PRELOAD=pg_cron,ecpipe CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'docs'
client_min_messages = warning
cron.use_background_workers = on" cluster_start
  trap 'rc=$?; set +e; rm -rf /tmp/ecpipe_docs; (exit $rc); cluster_stop' EXIT
  cd /tmp/ecpipe_docs
  for doc in docs/SQL_REFERENCE.md docs/OPERATIONS.md docs/MIGRATING.md docs/CHECKS.md; do
    python3 "$REPO/test/doc_blocks.py" run "$REPO/$doc" >"$WORK/examples.sql"
    if psql -X -q -v ON_ERROR_STOP=1 -f "$WORK/examples.sql" >"$WORK/examples.out" 2>&1; then
      ok "the sql and psql examples of $doc run ($(grep -c . "$WORK/examples.sql") lines)"
    else
      cat "$WORK/examples.out"; fail "an example of $doc fails"
    fi
    if [ -n "${SHOW_OUTPUT:-}" ]; then cat "$WORK/examples.out"; fi
  done
}

# 1. The documented setup, and the operator's scheduled job.
mkdir -m 777 "$WORK/landing"
CLUSTER_DB=$DOC_DB CLUSTER_EXTRA_CONF="$(doc_conf "$WORK/landing")" cluster_start
trap 'rc=$?; set +e; rm -rf "$WORK"; (exit $rc); cluster_stop' EXIT
python3 test/doc_blocks.py setup docs/OPERATIONS.md psql | sed "s|/etc/ecpipe/slack_webhook|$WORK/slack_webhook|" \
  >"$WORK/setup.sql"
psql -X -q -v ON_ERROR_STOP=1 -f "$WORK/setup.sql" >"$WORK/setup.out" 2>&1 || { cat "$WORK/setup.out"; fail "docs/OPERATIONS.md Setup fails"; }
python3 test/doc_blocks.py setup docs/OPERATIONS.md psql etl >"$WORK/setup_etl.sql"
psql -X -q -U etl -v ON_ERROR_STOP=1 -f "$WORK/setup_etl.sql" >"$WORK/setup.out" 2>&1 \
  || { cat "$WORK/setup.out"; fail "docs/OPERATIONS.md Setup fails as etl"; }
ok "docs/OPERATIONS.md Setup runs in a cluster configured as it says ($(grep -c . "$WORK/conf") lines), as superuser and etl"
# A day for the job to collect from the landing directory: yesterday, and today in case the job runs after midnight.
for day in "$(q -c "SELECT (now() AT TIME ZONE current_setting('ecpipe.timezone'))::date - 1")" \
           "$(q -c "SELECT (now() AT TIME ZONE current_setting('ecpipe.timezone'))::date")"; do
  q -c "COPY (SELECT l FROM ecpipe_generate('$day', 100, 1) l)
        TO '$WORK/landing/events_${day//-/}.jsonl' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
done
JOB=$(q -U etl -c "SELECT ecpipe_schedule('* * * * *')")
SCHEDULED=$(date +%s)
[ "$(q -c "SELECT username || ' ' || command FROM cron.job WHERE jobid = $JOB")" = "etl SELECT public.ecpipe_run()" ] \
  || fail "the job of ecpipe_schedule runs as etl with a fixed command"
ok "the operator etl scheduled job $JOB: SELECT public.ecpipe_run() as etl, every minute"

(tour)
(examples)

# pg_cron starts the job at the next minute; wait for its end, at most 80 s after scheduling.
status=
while :; do
  status=$(q -c "SELECT status || ' ' || username || ' ' || coalesce(return_message, '') FROM cron.job_run_details
                 WHERE jobid = $JOB AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
  [ -n "$status" ] || [ $(($(date +%s) - SCHEDULED)) -gt 80 ] && break
  sleep 1
done
[ "$status" = "succeeded etl SELECT 1" ] \
  || { q -c "SELECT * FROM cron.job_run_details"; fail "pg_cron's run of the job: '${status:-none within 80 s}'"; }
ok "pg_cron ran the job $(( $(date +%s) - SCHEDULED )) s after it was scheduled: succeeded, as etl"
# the job read the day's file in place: every one of its lines loaded (a generated day has no bad line)
run=$(q -c "SELECT r.status || ' ' || r.source || ' ' || r.loaded FROM ecpipe.runs r ORDER BY r.run_id LIMIT 1")
ran=$(q -c "SELECT ds FROM ecpipe.runs ORDER BY run_id LIMIT 1")
[ "$run" = "succeeded file $(wc -l <"$WORK/landing/events_${ran//-/}.jsonl")" ] \
  || { q -c "SELECT * FROM ecpipe.runs"; fail "the job's ecpipe.runs row: '$run'"; }
ok "the job's run read the day's file in place and loaded every line: $(q -c "SELECT ds || ', ' || loaded || ' lines' FROM ecpipe.runs ORDER BY run_id LIMIT 1")"
[ "$(q -U etl -c "SELECT ecpipe_unschedule()")" = t ] && [ "$(q -c "SELECT count(*) FROM cron.job")" = 0 ] \
  || fail "etl unschedules the job"
ok "the operator etl unschedules it"
