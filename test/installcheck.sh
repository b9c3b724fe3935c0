#!/usr/bin/env bash
# Runs the pgTAP suites against a running server where ecpipe is installed: `make installcheck`, and
# test/run_pgtap.sh inside its throwaway cluster. No apt, no root, no cluster of its own.
#   Connection: the libpq environment (PGHOST, PGPORT, PGUSER); the role must be a superuser, and the server local
#   (it reads fixture files written under /tmp). Database: ECPIPE_TEST_DB (default ecpipe_test), created when
#   missing; it must not have ecpipe installed (each file installs it in its own transaction).
#   Files: PGTAP_FILES (default test/pgtap/*.sql). Files that use pg_cron are skipped, with a line saying so, unless
#   the server preloads pg_cron with cron.database_name = the test database; assertions about the notification
#   worker are skipped unless it serves that database (ecpipe preloaded, ecpipe.worker_database = it).
#   Needs pgTAP, dblink and pg_prove (Debian: postgresql-15-pgtap, libtap-parser-sourcehandler-pgtap-perl).
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${ECPIPE_TEST_DB:-ecpipe_test}
FILES=${PGTAP_FILES:-test/pgtap/*.sql}

psql -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
  || psql -X -q -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null
# The server's own ecpipe settings (a landing directory, a webhook) would change what the tests see: reset here.
export PGDATABASE=$DB PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning -c ecpipe.landing_dir= -c ecpipe.slack_webhook_url="
if [ -n "$(psql -X -tAc "SELECT 1 FROM pg_extension WHERE extname = 'ecpipe'")" ]; then
  echo "database $DB already has ecpipe installed: use another ECPIPE_TEST_DB" >&2
  exit 1
fi

FIXTURES=$(mktemp -d /tmp/ecpipe-fixtures.XXXXXX)
test/fixtures/make_fixtures.sh "$FIXTURES"
chmod -R a+rX "$FIXTURES"
chmod 777 "$FIXTURES"  # the server writes generated days here
python3 test/webhook_receiver.py --log "$FIXTURES/receiver.log" --port-file "$FIXTURES/receiver.port" &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null; rm -rf "$FIXTURES"' EXIT
for _ in $(seq 50); do [ -s "$FIXTURES/receiver.port" ] && break; sleep 0.1; done
chmod a+r "$FIXTURES/receiver.log"

psql -X -q -c "CREATE EXTENSION IF NOT EXISTS pgtap" -c "CREATE EXTENSION IF NOT EXISTS dblink" >/dev/null
run=()
if psql -X -q -c "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null 2>&1; then
  run=($FILES)
else
  for f in $FILES; do
    if grep -q "cron\." "$f"; then echo "skipped $f: it needs pg_cron preloaded with cron.database_name = '$DB'"
    else run+=("$f"); fi
  done
fi
pg_prove --failures -S fixtures="$FIXTURES" -S receiver="http://127.0.0.1:$(cat "$FIXTURES/receiver.port")" "${run[@]}"
