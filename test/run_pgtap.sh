#!/usr/bin/env bash
# Runs the pgTAP suites (test/installcheck.sh) against a throwaway cluster with pg_cron and ecpipe preloaded (so the
# notification worker runs); then checks the server log for crashes.
#   test/pgtap/*.sql            each in one transaction, rolled back
#   test/pgtap_committed/*.sql  tests that need committed state (worker, pg_cron); they clean up after themselves
# CLUSTER_PRELOAD and PGTAP_FILES override what is preloaded and run (make test also runs a set without ecpipe
# preloaded, the way many installations load it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
CLUSTER_DB=ecpipe_test CLUSTER_PRELOAD=${CLUSTER_PRELOAD:-pg_cron,ecpipe} CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'ecpipe_test'
client_min_messages = warning
cron.use_background_workers = on" \
  cluster_start
ECPIPE_TEST_DB=ecpipe_test PGTAP_FILES="${PGTAP_FILES:-test/pgtap/*.sql test/pgtap_committed/*.sql}" test/installcheck.sh
