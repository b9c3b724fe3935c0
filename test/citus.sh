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
psql -X -q -c "CREATE EXTENSION pgtap" -c "CREATE EXTENSION dblink" >/dev/null
# the single-node twin the distributed results are compared with: ecpipe in another database of the coordinator's
# server, without Citus
psql -X -q -d postgres -c "CREATE DATABASE ecpipe_single" >/dev/null
psql -X -q -d ecpipe_single -c "CREATE EXTENSION ecpipe" >/dev/null
FIXTURES=$(mktemp -d /tmp/ecpipe-fixtures.XXXXXX)
trap 'rm -rf "$FIXTURES"; cluster_stop' EXIT
test/fixtures/make_fixtures.sh "$FIXTURES"
chmod -R a+rX "$FIXTURES"
chmod 777 "$FIXTURES"  # the server writes generated days here
PGOPTIONS="-c client_min_messages=warning" pg_prove --failures -S fixtures="$FIXTURES" \
  -S fixtures_day1="$FIXTURES/day1.jsonl" -S fixtures_day2="$FIXTURES/day2.jsonl" \
  -S fixtures_day5="$FIXTURES/day5.jsonl" -S fixtures_split="$FIXTURES/split.jsonl" -S fixtures_day7="$FIXTURES/events_20240607.jsonl" test/pgtap_citus/*.sql
