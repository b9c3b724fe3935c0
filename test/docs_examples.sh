#!/usr/bin/env bash
# Runs every ```sql block of docs/SQL_REFERENCE.md and docs/OPERATIONS.md, in order, in one superuser session of a
# fresh database (throwaway cluster, pg_cron and ecpipe preloaded); fails on the first error. /tmp/ecpipe_docs is
# the directory the examples write to and read from.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
rm -rf /tmp/ecpipe_docs && mkdir -m 777 /tmp/ecpipe_docs
CLUSTER_DB=docs CLUSTER_PRELOAD=pg_cron,ecpipe CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'docs'
client_min_messages = warning" cluster_start
trap 'rc=$?; set +e; rm -rf /tmp/ecpipe_docs; (exit $rc); cluster_stop' EXIT
for doc in docs/SQL_REFERENCE.md docs/OPERATIONS.md; do
  awk '/^```sql$/ {on = 1; next} /^```/ {on = 0} on' "$doc" >"$CLUSTER_DIR/examples.sql"
  blocks=$(grep -c '^```sql$' "$doc" || true)
  if psql -X -q -v ON_ERROR_STOP=1 -f "$CLUSTER_DIR/examples.sql" >"$CLUSTER_DIR/examples.out" 2>&1; then
    echo "ok - the $blocks sql examples of $doc run"
  else
    cat "$CLUSTER_DIR/examples.out"
    echo "not ok - an sql example of $doc fails"
    exit 1
  fi
  [ -n "${SHOW_OUTPUT:-}" ] && cat "$CLUSTER_DIR/examples.out"
done
exit 0
