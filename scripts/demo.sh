#!/usr/bin/env bash
# make demo: install, start a throwaway cluster, generate one day, land it, and show what landed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_extension.sh
. scripts/cluster.sh
cluster_start
DAY=${DAY:-2026-01-17}
FILE="$CLUSTER_DIR/events_${DAY//-/}.jsonl"

psql -q -c "CREATE EXTENSION ecpipe"
echo "== generating $DAY (500 users) into $FILE"
# CSV with delimiter and quote bytes that never occur in JSON text writes each line exactly as it is.
psql -q -c "COPY (SELECT line FROM ecpipe_generate('$DAY', 500, 1) AS line)
            TO '$FILE' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
echo "== landing it with ecpipe_ingest"
psql -At -c "SELECT ecpipe_ingest('$DAY', '$FILE') || ' lines landed'"
echo "== what landed"
psql -P footer=off -c "
  WITH e AS (SELECT line::jsonb AS j FROM ecpipe.landing WHERE batch_date = '$DAY')
  SELECT j->>'event_type' AS event_type, count(*) AS events FROM e GROUP BY 1 ORDER BY 2 DESC"
psql -P footer=off -c "
  WITH e AS (SELECT line::jsonb AS j FROM ecpipe.landing WHERE batch_date = '$DAY')
  SELECT count(*) AS events, count(DISTINCT j->>'user_id') AS users, count(DISTINCT j->>'session_id') AS sessions,
         min(j->>'timestamp') AS first, max(j->>'timestamp') AS last FROM e"
