#!/usr/bin/env bash
# make test-citus: a throwaway Citus coordinator and two workers (private sockets, as the other test clusters), then
# the suites of test/pgtap_citus against the coordinator, then every server log checked for crashes. Says clearly
# that it skipped when Citus is not installed (scripts/install_citus.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f "$(pg_config --pkglibdir)/citus.so" ]; then
  echo "test-citus: SKIPPED: Citus is not installed (scripts/install_citus.sh, or Citus's packages)"
  exit 0
fi
. scripts/cluster.sh
CLUSTER_DB=ecpipe_citus CLUSTER_PRELOAD=ecpipe CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'ecpipe_citus'
client_min_messages = warning" cluster_start_citus 2
psql -X -q -c "CREATE EXTENSION pgtap" >/dev/null
FIXTURES=$(mktemp -d /tmp/ecpipe-fixtures.XXXXXX)
trap 'rm -rf "$FIXTURES"; cluster_stop' EXIT
test/fixtures/make_fixtures.sh "$FIXTURES"
chmod -R a+rX "$FIXTURES"
PGOPTIONS="-c client_min_messages=warning" pg_prove --failures -S fixtures="$FIXTURES" \
  -S workers="$(echo $CITUS_WORKER_PORTS | tr ' ' ,)" test/pgtap_citus/*.sql
