#!/usr/bin/env bash
# Runs test/pgtap/*.sql with pg_prove against a throwaway cluster, then checks the server log for crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
FIXTURES=$(mktemp -d /tmp/ecpipe-fixtures.XXXXXX)
test/fixtures/make_fixtures.sh "$FIXTURES"
chmod -R a+rX "$FIXTURES"
chmod 777 "$FIXTURES"  # the server writes generated days here
CLUSTER_DB=ecpipe_test cluster_start
trap 'rc=$?; rm -rf "$FIXTURES"; (exit $rc); cluster_stop' EXIT
psql -q -c "CREATE EXTENSION pgtap" >/dev/null
pg_prove --failures -S fixtures="$FIXTURES" ${PGTAP_FILES:-test/pgtap/*.sql}
