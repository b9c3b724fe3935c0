-- ecpipe_report_html: the page holds a bar or point per value of the range, escapes values, and readers may use it.
BEGIN;
SELECT plan(11);
CREATE EXTENSION ecpipe;
CREATE FUNCTION pg_temp.occurrences(page text, what text) RETURNS int LANGUAGE sql AS $$
  SELECT (length(page) - length(replace(page, what, ''))) / length(what)
$$;
SET ecpipe.min_pass_rate = 90;  -- mart_day.jsonl has one bad line in 14
SELECT ecpipe_ingest('2024-04-02', :'fixtures' || '/mart_day.jsonl');
-- a quarantined line whose value is markup
INSERT INTO ecpipe.landing (batch_date, line_no, line)
VALUES ('2024-04-02', 15, '{"event_id": "<script>alert(1)</script>", "event_type": "page_view"}');
SET ecpipe.min_pass_rate = 80;
SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'succeeded', 'a day with markup in a quarantined line loads');
CREATE TEMP TABLE page AS SELECT ecpipe_report_html('2024-04-01', '2024-04-03') AS html;

SELECT is((SELECT pg_temp.occurrences(html, 'class="bar funnel"') FROM page),
          (SELECT 4 * count(DISTINCT platform)::int FROM ecpipe.mart_funnel_daily
            WHERE funnel_date BETWEEN '2024-04-01' AND '2024-04-03'), 'four funnel bars per platform');
SELECT is((SELECT pg_temp.occurrences(html, 'class="bar orders"') FROM page),
          (SELECT count(*)::int FROM generate_series(date '2024-04-01', '2024-04-03', interval '1 day') g
            WHERE EXISTS (SELECT FROM ecpipe.runs r WHERE r.ds = g::date AND r.status = 'succeeded')
               OR EXISTS (SELECT FROM ecpipe.mart_orders o WHERE o.order_date = g::date)),
          'an orders bar per day with orders or a loaded batch; the others say not loaded');
SELECT ok((SELECT html LIKE '%2024-04-03 (적재 안 됨)%' FROM page), 'a day without a loaded batch: its orders are not loaded, not 0');
SELECT is((SELECT pg_temp.occurrences(html, 'class="cell run ') FROM page), 3, 'the day grid: a run cell per day');
SELECT is((SELECT pg_temp.occurrences(html, 'class="point quality"') FROM page), 7,
          'a pass-rate point per check per validated day');
SELECT is((SELECT pg_temp.occurrences(html, '<script') FROM page), 0, 'no script element, whatever the data');
SELECT ok((SELECT html LIKE '%&lt;script&gt;alert(1)&lt;/script&gt;%' FROM page), 'the markup shows as text');

CREATE ROLE ecpipe_test_viewer IN ROLE ecpipe_reader;
SET ROLE ecpipe_test_viewer;
SELECT ok((SELECT ecpipe_report_html('2024-04-01', '2024-04-03')
             LIKE '%<tr><td>required_fields</td><td class="n">1</td><td></td></tr>%'),
          'a reader gets the page with the quarantine reasons and counts, without examples');
SELECT ok((SELECT ecpipe_report_html('2024-04-01', '2024-04-03') NOT LIKE '%alert(1)%'),
          'but not the quarantined lines themselves');
RESET ROLE;
SELECT throws_ok($$SELECT ecpipe_report_html('2024-04-03', '2024-04-01')$$, '22023', NULL, 'a backward range is refused');

SELECT * FROM finish();
ROLLBACK;
