#!/usr/bin/env bash
# Runs the pgTAP suites against a throwaway cluster with pg_cron and ecpipe preloaded (so the notification worker
# runs), with a local webhook receiver; then checks the server log for crashes.
#   test/pgtap/*.sql            each in one transaction, rolled back
#   test/pgtap_committed/*.sql  tests that need committed state (worker, pg_cron); they clean up after themselves
# CLUSTER_PRELOAD and PGTAP_FILES override what is preloaded and run (make test also runs a set without ecpipe
# preloaded, the way many installations load it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
FIXTURES=$(mktemp -d /tmp/ecpipe-fixtures.XXXXXX)
test/fixtures/make_fixtures.sh "$FIXTURES"
chmod -R a+rX "$FIXTURES"
chmod 777 "$FIXTURES"  # the server writes generated days here

python3 test/webhook_receiver.py --log "$FIXTURES/receiver.log" --port-file "$FIXTURES/receiver.port" &
RECEIVER=$!
for _ in $(seq 50); do [ -s "$FIXTURES/receiver.port" ] && break; sleep 0.1; done
chmod a+r "$FIXTURES/receiver.log"

CLUSTER_DB=ecpipe_test CLUSTER_PRELOAD=${CLUSTER_PRELOAD:-pg_cron,ecpipe} CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'ecpipe_test'
client_min_messages = warning
cron.use_background_workers = on" \
  cluster_start
trap 'rc=$?; set +e; kill $RECEIVER 2>/dev/null; rm -rf "$FIXTURES"; (exit $rc); cluster_stop' EXIT
psql -q -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION pg_cron" -c "CREATE EXTENSION dblink" >/dev/null
pg_prove --failures -S fixtures="$FIXTURES" -S receiver="http://127.0.0.1:$(cat "$FIXTURES/receiver.port")" \
  ${PGTAP_FILES:-test/pgtap/*.sql test/pgtap_committed/*.sql}
