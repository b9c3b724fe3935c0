// ecpipe_report_html's page: report data (JSON) in, one self-contained HTML document out.
#include "ecpipe/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ecpipe/error.hpp"
#include "svg_chart.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using detail::grouped;
using detail::Series;
using nlohmann::json;

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// No script, nothing fetched: the policy makes any accident (an external URL in a value) a blocked, visible error.
constexpr const char* kHead = R"(<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Noto Sans KR",sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px} .sub{color:#666;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap} .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px}
.card b{display:block;font-size:20px} section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin-top:14px}
svg text{font-size:11px;fill:#333} svg .category,svg .value{text-anchor:middle} svg .axis{stroke:#999}
svg .threshold{stroke:#e15759;stroke-dasharray:5 4} svg .line{stroke-width:2}
table{border-collapse:collapse;font-size:13px} td,th{border-bottom:1px solid #eee;padding:4px 10px;text-align:left}
td.n{text-align:right} .succeeded{color:#2e7d32} .blocked{color:#b26a00} .failed{color:#c62828} .no_data{color:#666}
.empty{color:#888;font-style:italic}
</style>)";

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}
double number(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}
const json& list(const json& doc, const char* key) {
  static const json empty = json::array();
  const auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return empty;
  if (!it->is_array()) throw Error(ErrorKind::InvalidArgument, std::string("report data: ") + key + " is not an array");
  return *it;
}
std::string cell(const std::string& text, bool numeric = false) {
  return std::string(numeric ? "<td class=\"n\">" : "<td>") + html_escape(detail::clip(text, detail::kCellChars)) +
         "</td>";
}
std::string section(const std::string& title, const std::string& body) {
  return "<section><h2>" + html_escape(title) + "</h2>" + body + "</section>\n";
}
std::string empty_note() { return "<p class=\"empty\">데이터 없음 · no data in this range</p>"; }

// Platforms are values from data: the kFunnelBars with the most viewers get a group each (in the given order),
// the rest one summed group, so a day of many made-up platforms still draws a readable, bounded chart.
constexpr size_t kFunnelBars = 12;

std::string funnel_section(const json& doc) {
  const json& rows = list(doc, "funnel");
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return number(rows[a], "step1") > number(rows[b], "step1"); });
  std::vector<bool> own(rows.size(), rows.size() <= kFunnelBars);
  for (size_t k = 0; k < order.size() && k + 1 < kFunnelBars; ++k) own[order[k]] = true;
  std::vector<std::string> platforms;
  std::vector<Series> steps = {{"page_view", {}}, {"click", {}}, {"add_to_cart", {}}, {"purchase", {}}};
  const char* keys[] = {"step1", "step2", "step3", "step4"};
  double rest[4] = {0, 0, 0, 0};
  size_t others = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!own[i]) {
      ++others;
      for (int s = 0; s < 4; ++s) rest[s] += number(rows[i], keys[s]);
      continue;
    }
    platforms.push_back(str(rows[i], "platform"));
    for (int s = 0; s < 4; ++s) steps[static_cast<size_t>(s)].values.push_back(number(rows[i], keys[s]));
  }
  if (others > 0) {
    platforms.push_back("기타 · " + std::to_string(others) + " other platforms");
    for (int s = 0; s < 4; ++s) steps[static_cast<size_t>(s)].values.push_back(rest[s]);
  }
  return section("플랫폼별 퍼널 · Funnel per platform (distinct users, summed over days)",
                 platforms.empty() ? empty_note() : detail::bar_chart(platforms, steps, "funnel", 760, 260));
}

std::string orders_section(const json& doc) {
  std::vector<std::string> days;
  Series orders{"orders", {}}, revenue{"revenue", {}};
  for (const auto& row : list(doc, "orders")) {
    days.push_back(str(row, "day"));
    orders.values.push_back(number(row, "orders"));
    revenue.values.push_back(number(row, "revenue"));
  }
  if (days.empty()) return section("일별 주문 · Daily orders and revenue", empty_note());
  double top = 0;
  for (double v : revenue.values) top = std::max(top, v);
  return section("일별 주문 · Daily orders and revenue",
                 detail::bar_chart(days, {orders}, "orders", 760, 220) +
                     detail::line_chart(days, {revenue}, "revenue", 0, top > 0 ? top * 1.1 : 1, nullptr, 760, 200));
}

std::string quality_section(const json& doc) {
  std::set<std::string> day_set;
  std::map<int, std::pair<std::string, std::map<std::string, double>>> checks;
  double lowest = 100;
  for (const auto& row : list(doc, "quality")) {
    const std::string day = str(row, "day");
    day_set.insert(day);
    auto& c = checks[static_cast<int>(number(row, "check_no"))];
    c.first = str(row, "check_name");
    c.second[day] = number(row, "pass_rate");
    lowest = std::min(lowest, number(row, "pass_rate"));
  }
  const double threshold = doc.value("min_pass_rate", 99.0);
  const std::vector<std::string> days(day_set.begin(), day_set.end());
  std::vector<Series> series;
  for (const auto& [no, c] : checks) {
    Series s{std::to_string(no) + " " + c.first, {}};
    for (const auto& d : days) {
      const auto it = c.second.find(d);
      s.values.push_back(it == c.second.end() ? NAN : it->second);
    }
    series.push_back(std::move(s));
  }
  const double y_min = std::floor(std::min(lowest, threshold) - 1);
  return section("품질 검사 통과율 · Pass rate of the seven checks (dashed: ecpipe.min_pass_rate)",
                 days.empty()
                     ? empty_note()
                     : detail::line_chart(days, series, "quality", std::max(0.0, y_min), 100, &threshold, 760, 300));
}

std::string products_section(const json& doc) {
  std::vector<std::string> labels;
  std::vector<double> values;
  for (const auto& row : list(doc, "products")) {
    labels.push_back(str(row, "product_id") + " (" + grouped(number(row, "units")) + ")");
    values.push_back(number(row, "revenue"));
  }
  return section("상위 상품 · Top products by revenue (units sold)",
                 labels.empty() ? empty_note() : detail::hbar_chart(labels, values, "product", 760));
}

std::string runs_section(const json& doc) {
  std::string rows;
  for (const auto& r : list(doc, "runs")) {
    const std::string status = detail::clip(str(r, "status"), detail::kLabelChars);
    rows += "<tr>" + cell(str(r, "run_id"), true) + cell(str(r, "ds")) + "<td class=\"" + html_escape(status) + "\">" +
            html_escape(status) + "</td>" + cell(str(r, "started_at")) + cell(str(r, "seconds") + " s", true) +
            cell(str(r, "failed_step")) + "</tr>";
  }
  return section("실행 이력 · Runs",
                 rows.empty() ? empty_note()
                              : "<table><tr><th>run</th><th>ds</th><th>status</th><th>started</th><th>duration</th>"
                                "<th>failed step</th></tr>" +
                                    rows + "</table>");
}

std::string quarantine_section(const json& doc) {
  std::string rows;
  for (const auto& r : list(doc, "quarantine"))
    rows +=
        "<tr>" + cell(str(r, "reason")) + cell(grouped(number(r, "lines")), true) + cell(str(r, "example")) + "</tr>";
  return section("격리 사유 · Quarantine reasons",
                 rows.empty() ? "<p class=\"empty\">격리된 줄 없음 · no quarantined lines</p>"
                              : "<table><tr><th>reason</th><th>lines</th><th>example</th></tr>" + rows + "</table>");
}

std::string cards(const json& doc) {
  double orders = 0, revenue = 0, quarantined = 0;
  for (const auto& r : list(doc, "orders")) orders += number(r, "orders"), revenue += number(r, "revenue");
  for (const auto& r : list(doc, "quarantine")) quarantined += number(r, "lines");
  std::map<std::string, int> runs;
  for (const auto& r : list(doc, "runs")) ++runs[str(r, "status")];
  auto card = [](const std::string& label, const std::string& value) {
    return "<div class=\"card\">" + html_escape(label) + "<b>" + html_escape(value) + "</b></div>";
  };
  return "<div class=\"cards\">" + card("주문 · orders", grouped(orders)) + card("매출 · revenue", grouped(revenue)) +
         card("격리 · quarantined lines", grouped(quarantined)) +
         card("실행 · runs ok / blocked / failed", std::to_string(runs["succeeded"]) + " / " +
                                                       std::to_string(runs["blocked"]) + " / " +
                                                       std::to_string(runs["failed"])) +
         "</div>\n";
}

}  // namespace

std::string render_report_html(const std::string& report_json) {
  const json doc = json::parse(report_json, nullptr, false);
  if (!doc.is_object()) throw Error(ErrorKind::InvalidArgument, "report data is not a JSON object");
  const std::string range = str(doc, "from") + " – " + str(doc, "to");
  std::string page = kHead;
  page += "<title>ecpipe report " + html_escape(range) + "</title></head><body>\n";
  page += "<h1>ecpipe 일일 리포트 · daily report</h1><p class=\"sub\">" + html_escape(range) + "</p>\n";
  page += cards(doc) + funnel_section(doc) + orders_section(doc) + quality_section(doc) + products_section(doc) +
          runs_section(doc) + quarantine_section(doc);
  return page + "</body></html>\n";
}

}  // namespace ecpipe
