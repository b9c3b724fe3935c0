#!/usr/bin/env bash
# make demo: install, start a throwaway cluster, generate a clean and an anomalous day into a landing directory,
# run both through ecpipe_run, and show the quality report, the marts and why the blocked day was blocked.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_extension.sh
. scripts/cluster.sh
CLUSTER_PRELOAD='pg_cron,ecpipe' CLUSTER_EXTRA_CONF="ecpipe.worker_database = 'ecpipe'" cluster_start
CLEAN=${CLEAN_DAY:-2026-01-17}
DIRTY=${DIRTY_DAY:-2026-01-18}
LANDING="$CLUSTER_DIR/landing"
mkdir -p "$LANDING" && chmod 777 "$LANDING"
export PGOPTIONS="-c ecpipe.landing_dir=$LANDING"
q() { psql -X -P footer=off "$@"; }

q -q -c "CREATE EXTENSION ecpipe"
echo "== generating $CLEAN (clean) and $DIRTY (2% anomalies), 500 users, into $LANDING"
for spec in "$CLEAN 0" "$DIRTY 0.02"; do
  set -- $spec
  # CSV with delimiter and quote bytes that never occur in JSON text writes each line exactly as it is.
  q -q -c "COPY (SELECT line FROM ecpipe_generate('$1', 500, 1, $2) AS line)
           TO '$LANDING/events_${1//-/}.jsonl' WITH (FORMAT csv, DELIMITER E'\x02', QUOTE E'\x01')"
done

for day in "$CLEAN" "$DIRTY"; do
  echo
  echo "== SELECT ecpipe_run('$day')"
  q -At -c "SELECT format('status %s (read from its %s): %s loaded, %s quarantined, %s users, %s orders, revenue %s, %s s',
                          r->>'status', r->>'source', r->>'loaded', r->>'quarantined', r->>'users', r->>'orders', r->>'revenue', r->>'seconds')
            FROM ecpipe_run('$day') r"
  q -c "SELECT check_no AS \"#\", check_name, population, failed, pass_rate, status
        FROM ecpipe.quality_trend WHERE batch_date = '$day' ORDER BY check_no"
done

echo
echo "== run steps"
q -c "SELECT r.ds, s.name AS step, s.status, s.rows, round(extract(epoch FROM s.finished_at - s.started_at)::numeric, 3) AS seconds
      FROM ecpipe.run_steps s JOIN ecpipe.runs r USING (run_id) ORDER BY s.run_id, s.step_no"
echo "== mart_funnel_daily ($CLEAN)"
q -c "SELECT platform, step1_viewers, step2_clickers, step3_cart_adders, step4_purchasers, view_to_click_rate,
             click_to_cart_rate, cart_to_purchase_rate, overall_conversion_rate
      FROM ecpipe.mart_funnel_daily WHERE funnel_date = '$CLEAN' ORDER BY platform"
echo "== mart_user_daily ($CLEAN, most active)"
q -c "SELECT user_id, session_count, page_view_count, click_count, add_to_cart_count, purchase_count,
             total_purchase_amount, session_duration_total
      FROM ecpipe.mart_user_daily WHERE activity_date = '$CLEAN' ORDER BY page_view_count DESC, user_id LIMIT 5"
echo "== mart_product_daily ($CLEAN, top clicked)"
q -c "SELECT product_id, click_count, cart_add_count, purchase_count, units_sold, revenue, unique_viewers, conversion_rate
      FROM ecpipe.mart_product_daily WHERE activity_date = '$CLEAN' ORDER BY click_count DESC, product_id LIMIT 5"
echo "== mart_orders ($CLEAN)"
q -c "SELECT order_id, order_timestamp, user_id, platform, payment_method, total_amount, discount_amount, shipping_fee,
             coupon_code, item_count, items_amount FROM ecpipe.mart_orders WHERE order_date = '$CLEAN' ORDER BY order_id"
echo "== why $DIRTY was blocked: the lines that would be quarantined, by reason"
q -c "SELECT array_to_string(reasons, ',') AS reasons, count(*) AS lines, min(detail) AS example
      FROM ecpipe.line_verdicts WHERE batch_date = '$DIRTY' GROUP BY 1 ORDER BY 2 DESC"
echo "== Slack outbox (no webhook URL is set, so messages stay queued)"
q -c "SELECT id, kind, status, payload->>'text' AS text FROM ecpipe.notifications ORDER BY id"
echo "== summary"
q -At -c "SELECT format('%s  %-9s %s loaded, %s quarantined%s', r.ds, r.status, r.loaded, r.quarantined,
                        (SELECT ', under the bar: ' || string_agg(t.check_name || ' ' || t.pass_rate || '%', ', ' ORDER BY t.check_no)
                         FROM ecpipe.quality_trend t WHERE t.batch_date = r.ds AND t.status = 'FAIL'))
          FROM ecpipe.runs r ORDER BY r.run_id"
echo "(a throwaway cluster: it is removed now; see README.md for the tour and docs/OPERATIONS.md to set up a server)"
