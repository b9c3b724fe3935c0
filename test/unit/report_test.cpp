// The HTML report: escaping, and the number of bars and points for given data.
#include <gtest/gtest.h>

#include "ecpipe/error.hpp"
#include "ecpipe/report/report.hpp"
#include "../../src/core/report/svg_chart.hpp"

#include <nlohmann/json.hpp>

using namespace ecpipe;

namespace {
size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

const char* kThreeDays = R"({"from": "2024-01-01", "to": "2024-01-03", "min_pass_rate": 99.0,
  "funnel": [{"platform": "android", "step1": 10, "step2": 8, "step3": 4, "step4": 2},
             {"platform": "ios", "step1": 12, "step2": 9, "step3": 5, "step4": 1},
             {"platform": "web", "step1": 30, "step2": 20, "step3": 9, "step4": 3}],
  "orders": [{"day": "2024-01-01", "orders": 3, "revenue": 120000}, {"day": "2024-01-02", "orders": 0, "revenue": 0},
             {"day": "2024-01-03", "orders": 3, "revenue": 99000.5}],
  "quality": [{"day": "2024-01-01", "check_no": 1, "check_name": "required_fields", "pass_rate": 100},
              {"day": "2024-01-02", "check_no": 1, "check_name": "required_fields", "pass_rate": 97.5},
              {"day": "2024-01-03", "check_no": 1, "check_name": "required_fields", "pass_rate": 99.2},
              {"day": "2024-01-01", "check_no": 4, "check_name": "funnel_sequence", "pass_rate": 100},
              {"day": "2024-01-03", "check_no": 4, "check_name": "funnel_sequence", "pass_rate": 99.9}],
  "products": [{"product_id": "P1001", "units": 4, "revenue": 356000}, {"product_id": "P2001", "units": 1, "revenue": 49000}],
  "runs": [{"run_id": 3, "ds": "2024-01-03", "status": "succeeded", "started_at": "2024-01-04 02:00", "seconds": 1.2},
           {"run_id": 2, "ds": "2024-01-02", "status": "blocked", "started_at": "2024-01-03 02:00", "seconds": 0.4}],
  "quarantine": [{"reason": "value_validity", "lines": 2,
                  "example": "value_validity: search_query: \"<script>alert(1)</script>\" is too long"}]})";
}  // namespace

TEST(Report, EscapesEveryValue) {
  EXPECT_EQ(html_escape("<script>alert(\"x\") & 'y'</script>"),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;");
  const std::string page = render_report_html(kThreeDays);
  EXPECT_EQ(count(page, "<script"), 0u) << "a value holding <script> renders as text";
  EXPECT_EQ(count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"), 1u);
  EXPECT_EQ(page.find("http://"), std::string::npos) << "nothing external";
}

TEST(Report, ChartsHaveABarOrPointPerValue) {
  const std::string page = render_report_html(kThreeDays);
  EXPECT_EQ(count(page, "class=\"bar funnel\""), 12u) << "3 platforms x 4 steps";
  EXPECT_EQ(count(page, "class=\"bar orders\""), 3u) << "one bar per day";
  EXPECT_EQ(count(page, "class=\"point revenue\""), 3u);
  EXPECT_EQ(count(page, "class=\"point quality\""), 5u) << "a point per check per day it was validated";
  EXPECT_EQ(count(page, "class=\"threshold\""), 2u) << "a small chart per check, each with the threshold";
  EXPECT_EQ(count(page, "class=\"bar product\""), 2u);
  EXPECT_EQ(count(page, "<tr><td class=\"n\">"), 2u) << "two runs";
  EXPECT_NE(page.find("<td class=\"blocked\">차단</td>"), std::string::npos);
  EXPECT_NE(page.find("<b>219,000.50원</b>"), std::string::npos) << "revenue card: 120000 + 0 + 99000.5";
  EXPECT_NE(page.find("<td>web</td><td class=\"n\">30</td><td class=\"n\">20</td><td class=\"n\">9</td>"
                      "<td class=\"n\">3</td><td class=\"n\">66.67%</td><td class=\"n\">45.00%</td>"
                      "<td class=\"n\">33.33%</td><td class=\"n\">10.00%</td>"),
            std::string::npos)
      << "the funnel's counts and step-to-step rates";
}

TEST(Report, EmptyRangeAndBadInput) {
  const std::string page = render_report_html(R"({"from": "2024-02-01", "to": "2024-02-02"})");
  EXPECT_EQ(count(page, "class=\"bar"), 0u);
  EXPECT_EQ(count(page, "이 기간에 데이터 없음"), 5u) << "funnel, orders, quality, products, runs";
  EXPECT_EQ(render_report_html(R"({"from": "2024-02-01", "to": "2024-02-02", "runs": [], "n": -1e400})"), page)
      << "a number jsonb holds and a double does not is no reason to refuse the page";
  EXPECT_THROW(render_report_html("[1, 2]"), Error);
  EXPECT_THROW(render_report_html(R"({"funnel": 3})"), Error);
}

TEST(Report, ValuesFromDataAreCutAndPlatformsBounded) {
  nlohmann::json doc = {{"from", "2024-01-01"}, {"to", "2024-01-01"}};
  doc["funnel"] = nlohmann::json::array();
  for (int i = 0; i < 40; ++i)
    doc["funnel"].push_back(
        {{"platform", "p" + std::to_string(i)}, {"step1", i}, {"step2", 1}, {"step3", 0}, {"step4", 0}});
  doc["funnel"][0]["platform"] = "<!channel> " + std::string(100000, 'x');
  doc["funnel"][0]["step1"] = 1000;
  doc["runs"] = {{{"run_id", 1},
                  {"ds", std::string(5000, 'd')},
                  {"status", "<b>" + std::string(500, 's')},
                  {"started_at", "x"},
                  {"seconds", 1},
                  {"failed_step", nullptr}}};
  const std::string page = render_report_html(doc.dump());
  EXPECT_EQ(count(page, "class=\"bar funnel\""), 12u * 4) << "11 platforms and one summed group";
  EXPECT_EQ(count(page, "기타 29개 플랫폼"), 7u) << "its axis label, its title, four bar titles, its table row";
  EXPECT_EQ(count(page, "&lt;!channel&gt;\xE2\x80\xA6<"), 1u)
      << "on the axis, cut to its group's width (11 characters at 72 px)";
  EXPECT_EQ(count(page, "&lt;!channel&gt; " + std::string(188, 'x') + "\xE2\x80\xA6"), 6u)
      << "200 in titles and in the funnel table";
  EXPECT_EQ(count(page, std::string(201, 'x')), 0u);
  EXPECT_EQ(count(page, "<td>" + std::string(199, 'd') + "\xE2\x80\xA6</td>"), 1u);
  EXPECT_EQ(count(page, "<td class=\"&lt;b&gt;" + std::string(28, 's') + "\xE2\x80\xA6\">"), 1u);
  EXPECT_LT(page.size(), 60000u);
}

namespace {
// A week: a clean day, a day re-run (blocked, then succeeded), a blocked day with samples, a failed day, no data.
nlohmann::json week() {
  using nlohmann::json;
  const json pass = {{"check_no", 1},      {"check_name", "required_fields"},
                     {"population", 1000}, {"failed", 0},
                     {"pass_rate", 100.0}, {"status", "PASS"}};
  json amount_fail = {{"check_no", 6},           {"check_name", "order_amount"}, {"population", 4434},
                      {"failed", 138},           {"pass_rate", 96.89},           {"status", "FAIL"},
                      {"samples", json::array()}};
  for (int i = 1; i <= 5; ++i)
    amount_fail["samples"].push_back({{"line_no", 100 * i},
                                      {"event_id", "e-" + std::to_string(i)},
                                      {"reason", "order_amount: total 5000 above the items <b>"}});
  json amount_ok = amount_fail;
  amount_ok["failed"] = 0, amount_ok["pass_rate"] = 100.0, amount_ok["status"] = "PASS";
  amount_ok.erase("samples");
  json days =
      json::array({{{"day", "2024-01-01"}, {"status", "succeeded"}, {"run_id", 1}, {"checks", {pass, amount_ok}}},
                   {{"day", "2024-01-02"},
                    {"status", "succeeded"},
                    {"run_id", 5},
                    {"checks", {pass, amount_ok}},
                    {"earlier", {{{"run_id", 2}, {"status", "blocked"}}}}},
                   {{"day", "2024-01-03"}, {"status", "blocked"}, {"run_id", 3}, {"checks", {pass, amount_fail}}},
                   {{"day", "2024-01-04"},
                    {"status", "failed"},
                    {"run_id", 4},
                    {"failed_step", "marts"},
                    {"error", "deadlock detected <i>"},
                    {"checks", {pass, amount_ok}}},
                   {{"day", "2024-01-05"}, {"status", "no_data"}, {"run_id", 6}, {"checks", json::array()}}});
  json orders = json::array();
  for (const auto& d : days)
    orders.push_back({{"day", d["day"]},
                      {"orders", d["status"] == "succeeded" ? 10 : 0},
                      {"revenue", d["status"] == "succeeded" ? 51855000 : 0}});
  return {{"from", "2024-01-01"},
          {"to", "2024-01-05"},
          {"min_pass_rate", 99.0},
          {"timezone", "Asia/Seoul"},
          {"generated_at", "2024-01-06 09:00:00"},
          {"database", "shop"},
          {"days", days},
          {"orders", orders}};
}
}  // namespace

TEST(Report, DayGridHasACellPerDayAndCheckAndTheLatestRunDecides) {
  const std::string page = render_report_html(week().dump());
  EXPECT_EQ(count(page, "class=\"cell run "), 5u) << "a run cell per day";
  EXPECT_EQ(count(page, "class=\"cell check "), 10u) << "two checks x five days";
  EXPECT_EQ(count(page, "<td class=\"cell run succeeded\""), 2u) << "the re-run day counts as its latest run";
  EXPECT_NE(page.find("title=\"마지막 실행 5 · 이전 실행 (1): 2 차단\">성공</td>"), std::string::npos)
      << "earlier runs in the cell's title";
  EXPECT_NE(page.find("<td class=\"cell check fail\" data-check=\"6\" title=\"138 / 4,434\">\xE2\x9C\x97 96.89</td>"),
            std::string::npos)
      << "a failing check: a mark and its rate, not colour alone";
  EXPECT_EQ(count(page, "<td class=\"cell check none\""), 2u) << "no checks on the no-data day";
  EXPECT_NE(page.find("<b>2</b></div><div class=\"card blocked\">차단된 날<b>1</b>"), std::string::npos)
      << "days counted once each by outcome";
}

TEST(Report, WhyADayWasBlockedOrFailedWithSamplesAndNotLoadedOrders) {
  const std::string page = render_report_html(week().dump());
  EXPECT_NE(page.find("<tr><td>order_amount</td><td class=\"n\">4,434</td><td class=\"n\">138</td>"
                      "<td class=\"n\">96.89%</td><td class=\"n\">\xE2\x89\xA5 99.00%</td></tr>"),
            std::string::npos)
      << "population, failed, rate against the required rate";
  EXPECT_EQ(count(page, "<tr class=\"sample\">"), 5u) << "up to five sample lines";
  EXPECT_NE(page.find("<td class=\"n\">500</td><td><code>e-5</code></td>"
                      "<td>order_amount: total 5000 above the items &lt;b&gt;</td>"),
            std::string::npos);
  EXPECT_NE(page.find("<pre>deadlock detected &lt;i&gt;</pre>"), std::string::npos) << "a failed day's error";
  EXPECT_EQ(count(page, "class=\"bar orders\""), 2u) << "bars only for the days loaded";
  EXPECT_EQ(count(page, " (적재 안 됨)</title></text>"), 2u)
      << "the blocked and the failed day's orders are not loaded: said up their empty slots";
  EXPECT_NE(page.find(">데이터 없음<title>2024-01-05 (데이터 없음)</title></text>"), std::string::npos)
      << "a day without data says so";
  EXPECT_EQ(count(page, "<text class=\"category\""), count(page, "<text class=\"category\" x=\""));
  EXPECT_EQ(page.find("(적재 안 됨)</text>"), std::string::npos) << "axis labels are dates alone: they fit their slot";
  EXPECT_NE(page.find("<span>시간대: Asia/Seoul</span><span>생성 시각: 2024-01-06 09:00:00</span>"
                      "<span>데이터베이스: shop</span>"),
            std::string::npos);
  EXPECT_NE(page.find("<b>103,710,000원</b>"), std::string::npos) << "revenue in won";
}

TEST(Report, ABlockedDayIsMeasuredAgainstTheBarItsRunHad) {
  auto doc = week();
  doc["min_pass_rate"] = 95.0;             // the setting today
  doc["days"][2]["min_pass_rate"] = 99.5;  // what the blocked day's run was held to
  const std::string page = render_report_html(doc.dump());
  EXPECT_NE(page.find("<td class=\"n\">96.89%</td><td class=\"n\">\xE2\x89\xA5 99.50%</td>"), std::string::npos);
  EXPECT_EQ(page.find("\xE2\x89\xA5 95.00%"), std::string::npos) << "not today's setting";
}

TEST(Report, ADayPassedAtALoweredBarIsMarkedInTheGrid) {
  auto doc = week();
  doc["days"][0]["min_pass_rate"] = 0.0;
  doc["days"][1]["min_pass_rate"] = 99.0;
  const std::string page = render_report_html(doc.dump());
  EXPECT_NE(page.find("<tr><th>기준 통과율</th><td class=\"cell bar lowered\" title=\"지금 기준보다 낮음\">"
                      "\xE2\x86\x93 \xE2\x89\xA5 0.00</td><td class=\"cell bar\">\xE2\x89\xA5 99.00</td>"),
            std::string::npos);
  EXPECT_EQ(render_report_html(week().dump()).find("기준 통과율"), std::string::npos)
      << "no row when no bar was lowered";
}

TEST(Report, DirectionControlsFromDataAreNeutralised) {
  EXPECT_EQ(ecpipe::html_escape("web\xE2\x80\xAE fo eno"), "web  fo eno") << "U+202E RIGHT-TO-LEFT OVERRIDE";
  EXPECT_EQ(ecpipe::html_escape("a\xE2\x81\xA6"
                                "b\xE2\x80\x8F"
                                "c"),
            "a b c")
      << "an isolate, a mark";
  EXPECT_EQ(ecpipe::html_escape("\xE2\x80\x94 \xE2\x89\xA5"), "\xE2\x80\x94 \xE2\x89\xA5") << "other characters stay";
}

TEST(Report, PassRatesRunOverEveryDayOfTheRange) {
  auto doc = week();
  doc["quality"] = nlohmann::json::array(
      {{{"day", "2024-01-01"}, {"check_no", 1}, {"check_name", "required_fields"}, {"pass_rate", 100}},
       {{"day", "2024-01-04"}, {"check_no", 1}, {"check_name", "required_fields"}, {"pass_rate", 99.5}}});
  const std::string page = render_report_html(doc.dump());
  EXPECT_EQ(count(page, "class=\"point quality\""), 2u);
  const size_t quality = page.find("검사 통과율");
  ASSERT_NE(quality, std::string::npos);
  const std::string charts = page.substr(quality, page.find("</section>", quality) - quality);
  EXPECT_EQ(count(charts, "<polyline class=\"line\""), 2u) << "days 2 and 3 had no value: the line breaks";
  EXPECT_NE(page.find(">2024-01-05</text></svg>"), std::string::npos) << "the axis runs to the range's last day";
}

TEST(Report, DaysNeverRunAreNotCountedAsDaysWithoutData) {
  auto doc = week();
  doc["days"].push_back({{"day", "2025-01-06"}, {"status", nullptr}, {"run_id", nullptr}});
  const std::string page = render_report_html(doc.dump());
  EXPECT_NE(page.find("데이터 없는 날<b>1</b></div><div class=\"card not_run\">실행 안 한 날<b>1</b>"),
            std::string::npos);
  EXPECT_NE(page.find("title=\"실행 안 함\">실행 안 함</td>"), std::string::npos) << "no empty 'latest run' title";
  EXPECT_NE(page.find("<th title=\"2025-01-06\">2025-01-06</th>"), std::string::npos) << "across years: the year kept";
}

TEST(Report, EnglishPageSpeaksOnlyEnglish) {
  auto doc = week();
  doc["language"] = "en";
  const std::string page = render_report_html(doc.dump());
  EXPECT_NE(page.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(page.find("<b>KRW 103,710,000</b>"), std::string::npos);
  EXPECT_NE(page.find(">not loaded<title>2024-01-03 (not loaded)</title>"), std::string::npos);
  for (unsigned char c : page) ASSERT_FALSE(c >= 0xEA && c <= 0xED) << "a Hangul syllable in the English page";
}

TEST(Report, AxisTicksStepOneTwoFiveWithSeparators) {
  using ecpipe::detail::nice_ticks;
  EXPECT_EQ(nice_ticks(0, 962500), (std::vector<double>{0, 200000, 400000, 600000, 800000}));
  EXPECT_EQ(nice_ticks(96, 100), (std::vector<double>{96, 97, 98, 99, 100}));
  EXPECT_EQ(nice_ticks(71, 100), (std::vector<double>{80, 90, 100}));
  EXPECT_EQ(ecpipe::detail::tick_label(43030900, 50000000), "43,030,900") << "not 43030900.0";
  EXPECT_EQ(ecpipe::detail::tick_label(99.5, 4), "99.5");
  EXPECT_EQ(ecpipe::detail::point_label(225000), "225,000") << "a point's title, not 225000.0";
  EXPECT_EQ(ecpipe::detail::point_label(99.333), "99.33");
  EXPECT_EQ(ecpipe::detail::point_label(-1234.5), "-1,234.50");
  EXPECT_EQ(ecpipe::detail::point_label(-0.001), "0");
}

TEST(Report, LongRangesThinTheirAxisLabelsAndGapsBreakLines) {
  nlohmann::json doc = {{"from", "2024-01-01"}, {"to", "2024-12-31"}};
  doc["orders"] = nlohmann::json::array();
  for (int d = 0; d < 366; ++d)
    doc["orders"].push_back({{"day", "2024-D" + std::to_string(1000 + d).substr(1)},
                             {"orders", d == 100 ? 0 : 5},
                             {"revenue", d == 100 ? 0 : 1000}});
  doc["days"] = nlohmann::json::array();
  for (int d = 0; d < 366; ++d)
    doc["days"].push_back({{"day", doc["orders"][d]["day"]}, {"status", d == 100 ? "blocked" : "succeeded"}});
  const std::string page = render_report_html(doc.dump());
  const size_t labels = count(page, "class=\"category");
  EXPECT_GT(labels, 10u);
  EXPECT_LT(labels, 120u) << "a year of days labels every k-th day in each of the two charts, not 732 labels";
  EXPECT_EQ(count(page, "class=\"value\""), 0u) << "no value label fits over a bar 2 px wide";
  EXPECT_EQ(count(page, "<polyline class=\"line\""), 2u) << "the revenue line breaks at the day not loaded";
}

TEST(Report, ADayWithoutDataIsNoPass) {
  auto doc = week();
  doc["days"][4]["checks"] = {{{"check_no", 1},
                               {"check_name", "required_fields"},
                               {"population", 0},
                               {"failed", 0},
                               {"pass_rate", 100.0},
                               {"status", "no_data"}}};
  const std::string page = render_report_html(doc.dump());
  EXPECT_EQ(count(page, "<td class=\"cell check none\""), 2u) << "nothing was checked: a dash, not a pass at 100";
  EXPECT_EQ(count(page, "<td class=\"cell check pass\""), 7u);
}
