-- ecpipe_report_html: the page holds a bar or point per value of the range, escapes values, and readers may use it.
BEGIN;
SELECT plan(16);
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
SELECT ok((SELECT html LIKE '%>실행 안 함<title>2024-04-03 (실행 안 함)</title></text>%' FROM page),
          'a day never run: its orders say so, not 0');
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
-- The day run again under a stricter bar: blocked, so the marts keep the first run's orders.
SET ecpipe.min_pass_rate = 99.5;
SELECT is((SELECT ecpipe_run('2024-04-02')->>'status'), 'blocked', 'the same day at 99.5% is blocked');
SET ecpipe.min_pass_rate = 80;
CREATE TEMP TABLE page2 AS SELECT ecpipe_report_html('2024-04-01', '2024-04-03') AS html;
SELECT ok((SELECT html LIKE '%class="bar orders noted"%<title>2024-04-02 (이전 적재분) · 주문: 2</title>%'
                    || '옅은 막대: 그날의 마지막 실행은 적재하지 않았고, 주문은 이전 실행이 적재한 것%' FROM page2),
          'its orders are the earlier load''s: a faded bar that says so, and a note under the chart');
SELECT ok((SELECT html LIKE '%<title>매출 (원) 2024-04-02: 225,000</title>%' FROM page2),
          'the revenue point: in won with separators');
SELECT ok((SELECT html LIKE '%<tr><td>value_validity</td><td class="n">15</td><td class="n">2</td><td class="n">86.67%</td><td class="n">≥ 99.50%</td></tr>%'
             FROM page2), 'why it was blocked: measured against the bar its run had, not today''s 80');
-- An operator may write the quality log: samples that are not a list do not take the page away from its readers.
UPDATE ecpipe.quality_log SET samples = '"x"' WHERE check_no = 3;
SET ROLE ecpipe_test_viewer;
SELECT ok((SELECT ecpipe_report_html('2024-04-01', '2024-04-03') LIKE '%value_validity%'),
          'a quality log row whose samples are not a list: the page still renders, without them');
RESET ROLE;
SELECT throws_ok($$SELECT ecpipe_report_html('2024-04-03', '2024-04-01')$$, '22023', NULL, 'a backward range is refused');

SELECT * FROM finish();
ROLLBACK;
