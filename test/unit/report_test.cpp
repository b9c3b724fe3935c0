// The HTML report: escaping, and the number of bars and points for given data.
#include <gtest/gtest.h>

#include "ecpipe/error.hpp"
#include "ecpipe/report/report.hpp"

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
  EXPECT_EQ(count(page, "class=\"threshold\""), 1u);
  EXPECT_EQ(count(page, "class=\"bar product\""), 2u);
  EXPECT_EQ(count(page, "<tr><td class=\"n\">"), 2u) << "two runs";
  EXPECT_NE(page.find("<td class=\"blocked\">blocked</td>"), std::string::npos);
  EXPECT_NE(page.find("<b>219,001</b>"), std::string::npos) << "revenue card: 120000 + 0 + 99000.5, rounded half up";
}

TEST(Report, EmptyRangeAndBadInput) {
  const std::string page = render_report_html(R"({"from": "2024-02-01", "to": "2024-02-02"})");
  EXPECT_EQ(count(page, "class=\"bar"), 0u);
  EXPECT_EQ(count(page, "no data in this range"), 5u) << "funnel, orders, quality, products, runs";
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
  EXPECT_EQ(count(page, "기타 · 29 other platforms"), 6u) << "its axis label, its title and four bar titles";
  EXPECT_EQ(count(page, "&lt;!channel&gt; " + std::string(20, 'x') + "\xE2\x80\xA6<"), 1u)
      << "32 characters on the axis";
  EXPECT_EQ(count(page, "&lt;!channel&gt; " + std::string(188, 'x') + "\xE2\x80\xA6"), 5u) << "200 in titles";
  EXPECT_EQ(count(page, std::string(201, 'x')), 0u);
  EXPECT_EQ(count(page, "<td>" + std::string(199, 'd') + "\xE2\x80\xA6</td>"), 1u);
  EXPECT_EQ(count(page, "<td class=\"&lt;b&gt;" + std::string(28, 's') + "\xE2\x80\xA6\">"), 1u);
  EXPECT_LT(page.size(), 60000u);
}
