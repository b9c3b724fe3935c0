#!/usr/bin/env bash
# pg_dump / pg_restore round trip: every ecpipe table keeps its rows, the restore reports no error, and the
# pipeline runs in the restored database. Uses its own throwaway cluster (ecpipe not preloaded).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cluster.sh
CLUSTER_PRELOAD=pg_cron cluster_start
psql -q -c "CREATE EXTENSION ecpipe"
psql -q -c "COPY (SELECT l FROM ecpipe_generate('2026-01-17', 300, 1) l) TO '$CLUSTER_DIR/d.jsonl'
            WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
psql -q -c "SELECT ecpipe_ingest('2026-01-17', '$CLUSTER_DIR/d.jsonl')" >/dev/null
# a client-landed batch too: its rows are restored into landing_import, and its statement trigger removes nothing
psql -q -c "SET ecpipe.landing_date = '2026-01-18'" \
     -c "\\copy ecpipe.landing_import (line) FROM '$CLUSTER_DIR/d.jsonl' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02', FORCE_NOT_NULL (line))"
first=$(psql -Atc "SELECT ecpipe_run('2026-01-17')->>'status'")
[ "$first" = succeeded ] || { echo "not ok: the first run says $first"; exit 1; }
as_pg pg_dump -Fc -f "$CLUSTER_DIR/dump.fc" "$CLUSTER_DB"
psql -q -d postgres -c "CREATE DATABASE restored"
as_pg pg_restore --exit-on-error -d restored "$CLUSTER_DIR/dump.fc"
failed=0
for t in landing landing_import validations quality_log line_verdicts raw_events batch_days quarantine runs run_steps notifications \
         mart_user_daily mart_funnel_daily mart_product_daily mart_orders; do
  a=$(psql -Atc "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ecpipe.$t t")
  b=$(psql -d restored -Atc "SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ecpipe.$t t")
  if [ "$a" != "$b" ]; then echo "not ok: ecpipe.$t differs after restore ($a vs $b)"; failed=1; fi
done
status=$(psql -d restored -Atc "SELECT ecpipe_run('2026-01-17')->>'status'")
[ "$status" = succeeded ] || { echo "not ok: ecpipe_run after restore says $status"; failed=1; }
[ $failed = 0 ] && echo "ok: pg_dump/pg_restore keeps all 15 ecpipe tables and the pipeline runs after restore"
exit $failed
