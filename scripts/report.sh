#!/usr/bin/env bash
# make report: a throwaway cluster runs a demo of REPORT_DAYS days (3: clean, a few anomalies, blocked) through
# ecpipe_backfill and writes ecpipe_report_html of those days to $REPORT (default build/report.html), in
# $REPORT_LANGUAGE (ko or en). REPORT_EXTRA_DAYS days not run may follow them in the page's range; REPORT_LONG names a
# second page, of the 60 days from the first.
set -euo pipefail
cd "$(dirname "$0")/.."
REPORT=${REPORT:-build/report.html}
FIRST=${FIRST_DAY:-2026-01-17}
scripts/install_extension.sh >/dev/null
. scripts/cluster.sh
CLUSTER_PRELOAD='pg_cron,ecpipe' CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'ecpipe'
client_min_messages = warning" cluster_start
LANDING="$CLUSTER_DIR/landing"
mkdir -p "$LANDING" "$(dirname "$REPORT")" && chmod 777 "$LANDING"
export PGOPTIONS="-c ecpipe.landing_dir=$LANDING -c ecpipe.language=${REPORT_LANGUAGE:-ko}"
psql -X -q -c "CREATE EXTENSION ecpipe"
# REPORT_DAYS=3 (the default): a day that passes, one with a few quarantined lines, one blocked. REPORT_DAYS=7 adds
# four more clean days, and the fifth day is run a second time (its cell then lists the earlier run).
rates=(0 0.001 0.02 0 0 0.001 0)
days=${REPORT_DAYS:-3}
for ((i = 0; i < days; i++)); do
  day=$(date -d "$FIRST + $i days" +%F)
  psql -X -q -c "COPY (SELECT l FROM ecpipe_generate('$day', 500, $((i + 1)), ${rates[i]:-0}) l)
                 TO '$LANDING/events_$(date -d "$day" +%Y%m%d).jsonl' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
done
last=$(date -d "$FIRST + $((days - 1)) days" +%F)
psql -X -At -c "SELECT ds || ' ' || status FROM (SELECT s->>'ds' AS ds, s->>'status' AS status
                FROM ecpipe_backfill('$FIRST', '$last') s) b"
if [ "$days" -ge 5 ]; then
  psql -X -At -c "SELECT 're-run ' || (s->>'ds') || ' ' || (s->>'status') FROM ecpipe_run('$(date -d "$FIRST + 4 days" +%F)') s"
fi
to=$(date -d "$last + ${REPORT_EXTRA_DAYS:-0} days" +%F)
psql -X -At -c "SELECT ecpipe_report_html('$FIRST', '$to')" >"$REPORT"
echo "report of $FIRST to $to written to $REPORT ($(wc -c <"$REPORT") bytes)"
if [ -n "${REPORT_LONG:-}" ]; then
  psql -X -At -c "SELECT ecpipe_report_html('$FIRST', date '$FIRST' + 59)" >"$REPORT_LONG"
  echo "report of 60 days from $FIRST written to $REPORT_LONG ($(wc -c <"$REPORT_LONG") bytes)"
fi
