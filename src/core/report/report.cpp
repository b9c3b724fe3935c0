// ecpipe_report_html's page: report data (JSON) in, one self-contained HTML document out.
#include "ecpipe/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "ecpipe/error.hpp"
#include "svg_chart.hpp"
#include "day_grid.hpp"
#include "page_words.hpp"
#include "ecpipe/marts.hpp"
#include "ecpipe/notify/wording.hpp"
#include "../json_text.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using detail::grouped;
using detail::PageWords;
using detail::Series;
using nlohmann::json;

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    // bidirectional marks, embeddings, overrides and isolates (U+200E/F, U+202A-E, U+2066-9) would make a value from
    // data read backwards, and the text after it: shown as a space, as in the Slack messages
    if (c == '\xE2' && i + 2 < text.size()) {
      const unsigned char b1 = static_cast<unsigned char>(text[i + 1]), b2 = static_cast<unsigned char>(text[i + 2]);
      if ((b1 == 0x80 && (b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE))) ||
          (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9)) {
        out += ' ';
        i += 2;
        continue;
      }
    }
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
<html lang="%LANG%"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,-apple-system,"Noto Sans KR",sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px} .sub{color:#666;margin:0 0 16px}
.cards{display:flex;gap:12px;flex-wrap:wrap} .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px}
.card b{display:block;font-size:20px} section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin-top:14px}
svg text{font-size:11px;fill:#333} svg .category,svg .value{text-anchor:middle} svg .axis{stroke:#999}
svg .threshold{stroke:#e15759;stroke-dasharray:5 4} svg .line{stroke-width:2} svg .grid{stroke:#eee}
svg .category.last{text-anchor:end} svg text.note{fill:#8a6d3b;font-style:italic} svg rect.note{fill:#f3ead9}
svg .bar.noted{fill-opacity:.45} .multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:8px}
table{border-collapse:collapse;font-size:13px} td,th{border-bottom:1px solid #eee;padding:4px 10px;text-align:left}
td{overflow-wrap:anywhere;max-width:40em} table.funnel td:first-child{max-width:14em}
td.n{text-align:right} td.lowered{color:#b26a00;font-weight:bold} .succeeded{color:#2e7d32} .blocked{color:#b26a00} .failed{color:#c62828} .no_data{color:#666}
.empty{color:#888;font-style:italic}
svg.chart{width:100%;height:auto;display:block} .facts{color:#555;font-size:13px;margin:0 0 16px}
.facts span{margin-right:18px} .scroll{overflow-x:auto}
table.grid{font-size:12px} table.grid th{white-space:nowrap;font-weight:normal;color:#444}
table.grid td.cell{text-align:center;white-space:nowrap;border:1px solid #fff;min-width:64px}
td.cell.succeeded,td.cell.pass{background:#e6f4ea;color:#1e5e2b} td.cell.blocked{background:#fff1d6;color:#7a4a00}
td.cell.fail{background:#fde2e1;color:#8e1b17} td.cell.failed{background:#f8c9c7;color:#7a0f0b;font-weight:bold}
td.cell.no_data,td.cell.not_run,td.cell.none,td.cell.running{background:#f0f0f0;color:#555}
div.why{margin:10px 0 16px;color:#222} .why h3{font-size:14px;margin:0 0 6px} div.why.blocked h3{color:#b26a00}
div.why.failed h3{color:#c62828} .why pre{white-space:pre-wrap;background:#f6f6f6;padding:6px}
table.samples td{font-size:12px;color:#444}
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
std::string empty_note(const PageWords& w) { return "<p class=\"empty\">" + html_escape(w.empty) + "</p>"; }

// Platforms are values from data: the kFunnelBars with the most viewers get a group each (in the given order),
// the rest one summed group, so a day of many made-up platforms still draws a readable, bounded chart.
constexpr size_t kFunnelBars = 12;

// The funnel's step counts and step-to-step conversion per platform, as the mart defines its rates.
std::string funnel_table(const std::vector<std::string>& platforms, const std::vector<Series>& steps,
                         const PageWords& w) {
  std::string rows = "<table class=\"funnel\"><tr><th>" + html_escape(w.platform) + "</th><th>" + html_escape(w.view) +
                     "</th><th>" + html_escape(w.click) + "</th><th>" + html_escape(w.cart) + "</th><th>" +
                     html_escape(w.purchase) + "</th><th>" + html_escape(w.view_to_click) + "</th><th>" +
                     html_escape(w.click_to_cart) + "</th><th>" + html_escape(w.cart_to_purchase) + "</th><th>" +
                     html_escape(w.overall) + "</th></tr>";
  for (size_t p = 0; p < platforms.size(); ++p) {
    int64_t n[4];
    for (size_t s = 0; s < 4; ++s) n[s] = std::llround(steps[s].values[p]);
    const auto r = [](int64_t a, int64_t b) {
      const auto t = a >= 0 && b >= 0 ? rate_text(a, b) : std::nullopt;
      return t ? *t + "%" : std::string("\xE2\x80\x94");
    };
    rows += "<tr>" + cell(platforms[p]);
    for (size_t s = 0; s < 4; ++s) rows += "<td class=\"n\">" + thousands(n[s]) + "</td>";
    rows += "<td class=\"n\">" + r(n[1], n[0]) + "</td><td class=\"n\">" + r(n[2], n[1]) + "</td><td class=\"n\">" +
            r(n[3], n[2]) + "</td><td class=\"n\">" + r(n[3], n[0]) + "</td></tr>";
  }
  return rows + "</table>";
}

std::string funnel_section(const json& doc, const PageWords& w) {
  const json& rows = list(doc, "funnel");
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return number(rows[a], "step1") > number(rows[b], "step1"); });
  std::vector<bool> own(rows.size(), rows.size() <= kFunnelBars);
  for (size_t k = 0; k < order.size() && k + 1 < kFunnelBars; ++k) own[order[k]] = true;
  std::vector<std::string> platforms;
  std::vector<Series> steps = {{w.view, {}}, {w.click, {}}, {w.cart, {}}, {w.purchase, {}}};
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
    char label[64];
    std::snprintf(label, sizeof label, w.other_platforms, others);
    platforms.push_back(label);
    for (int s = 0; s < 4; ++s) steps[static_cast<size_t>(s)].values.push_back(rest[s]);
  }
  return section(w.funnel_title, platforms.empty() ? empty_note(w)
                                                   : detail::bar_chart(platforms, steps, "funnel", 960, 260) +
                                                         funnel_table(platforms, steps, w));
}

std::string orders_section(const json& doc, const PageWords& w) {
  std::vector<std::string> days, notes;
  Series orders{w.orders, {}}, revenue{w.revenue_won, {}};
  bool earlier = false;
  for (const auto& row : list(doc, "orders")) {
    const std::string day = str(row, "day");
    // a day whose latest run loaded nothing has no orders to show: it says why (not loaded, no data, not run),
    // never 0; one whose latest run loaded nothing but that has orders shows an earlier run's, and says so
    const char* why = detail::day_unloaded_word(doc, day, w);
    const bool missing = why && number(row, "orders") == 0;
    days.push_back(day);
    notes.push_back(!why ? "" : missing ? why : w.earlier_load);
    earlier = earlier || (why && !missing);
    orders.values.push_back(missing ? NAN : number(row, "orders"));
    revenue.values.push_back(missing ? NAN : number(row, "revenue"));
  }
  if (days.empty()) return section(w.orders_title, empty_note(w));
  double top = 0;
  for (double v : revenue.values)
    if (std::isfinite(v)) top = std::max(top, v);
  return section(w.orders_title,
                 detail::bar_chart(days, {orders}, "orders", 960, 220, notes) +
                     (earlier ? "<p class=\"empty\">" + html_escape(w.earlier_load_note) + "</p>" : "") +
                     detail::line_chart(days, {revenue}, "revenue", 0, top > 0 ? top * 1.1 : 1, nullptr, 960, 200));
}

// One small chart per check, each with its own y range down to its lowest rate or the threshold: lines of different
// checks never overlap, and the dashed threshold stays apart from a line at 100.
std::string quality_section(const json& doc, const PageWords& w) {
  std::set<std::string> day_set;  // every day of the range, so that a day without a value breaks the lines
  for (const auto& d : list(doc, "days")) day_set.insert(str(d, "day"));
  std::map<int, std::pair<std::string, std::map<std::string, double>>> checks;
  for (const auto& row : list(doc, "quality")) {
    const std::string day = str(row, "day");
    day_set.insert(day);
    auto& c = checks[static_cast<int>(number(row, "check_no"))];
    c.first = str(row, "check_name");
    c.second[day] = number(row, "pass_rate");
  }
  const double threshold = doc.value("min_pass_rate", 99.0);
  const std::vector<std::string> days(day_set.begin(), day_set.end());
  if (checks.empty()) return section(w.quality_title, empty_note(w));
  std::string charts = "<div class=\"multiples\">";
  for (const auto& [no, c] : checks) {
    Series s{std::to_string(no) + " " + c.first, {}};
    double lowest = 100;
    for (const auto& d : days) {
      const auto it = c.second.find(d);
      s.values.push_back(it == c.second.end() ? NAN : it->second);
      if (it != c.second.end()) lowest = std::min(lowest, it->second);
    }
    // the threshold sits a fifth of the way up, at least: room below it for what fails, above it for what passes
    const double span = std::max(100 - std::min(lowest, threshold), 1.0);
    const double y_min = std::max(0.0, std::min(lowest, threshold) - span * 0.25);
    charts += detail::line_chart(days, {s}, "quality", y_min, 100, &threshold, 320, 150);
  }
  return section(w.quality_title, charts + "</div>");
}

std::string products_section(const json& doc, const PageWords& w) {
  std::vector<std::string> labels;
  std::vector<double> values;
  for (const auto& row : list(doc, "products")) {
    labels.push_back(str(row, "product_id") + " (" + grouped(number(row, "units")) + ")");
    values.push_back(number(row, "revenue"));
  }
  return section(w.products_title, labels.empty() ? empty_note(w) : detail::hbar_chart(labels, values, "product", 960));
}

std::string runs_section(const json& doc, const PageWords& w) {
  std::string rows;
  for (const auto& r : list(doc, "runs")) {
    const std::string status = detail::clip(str(r, "status"), detail::kLabelChars);
    rows += "<tr>" + cell(str(r, "run_id"), true) + cell(str(r, "ds")) + "<td class=\"" + html_escape(status) + "\">" +
            html_escape(detail::status_word(w, status)) + "</td>" + cell(str(r, "started_at")) +
            cell(str(r, "seconds") + " s", true) + cell(str(r, "failed_step")) + "</tr>";
  }
  return section(w.runs_title, rows.empty()
                                   ? empty_note(w)
                                   : "<table><tr><th>" + html_escape(w.run) + "</th><th>" + html_escape(w.day) +
                                         "</th><th>" + html_escape(w.status) + "</th><th>" + html_escape(w.started) +
                                         "</th><th>" + html_escape(w.duration) + "</th><th>" +
                                         html_escape(w.failed_step) + "</th></tr>" + rows + "</table>");
}

std::string quarantine_section(const json& doc, const PageWords& w) {
  std::string rows;
  for (const auto& r : list(doc, "quarantine"))
    rows +=
        "<tr>" + cell(str(r, "reason")) + cell(grouped(number(r, "lines")), true) + cell(str(r, "example")) + "</tr>";
  return section(w.quarantine_title, rows.empty() ? "<p class=\"empty\">" + html_escape(w.no_quarantine) + "</p>"
                                                  : "<table><tr><th>" + html_escape(w.reason) + "</th><th>" +
                                                        html_escape(w.lines) + "</th><th>" + html_escape(w.example) +
                                                        "</th></tr>" + rows + "</table>");
}

// The range's totals; days are counted once each, by their latest run, and only loaded days' orders count.
std::string cards(const json& doc, const PageWords& w, Language language) {
  double orders = 0, revenue = 0, quarantined = 0;
  for (const auto& r : list(doc, "orders")) orders += number(r, "orders"), revenue += number(r, "revenue");
  for (const auto& r : list(doc, "quarantine")) quarantined += number(r, "lines");
  std::map<std::string, int> days;
  for (const auto& d : list(doc, "days")) ++days[str(d, "status")];
  auto card = [](const std::string& label, const std::string& value, const char* css = "") {
    return "<div class=\"card " + std::string(css) + "\">" + html_escape(label) + "<b>" + html_escape(value) +
           "</b></div>";
  };
  const auto cents = hundredths_of(revenue);
  std::string out = "<div class=\"cards\">";
  if (!list(doc, "days").empty())
    out += card(w.days_succeeded, std::to_string(days["succeeded"]), "succeeded") +
           card(w.days_blocked, std::to_string(days["blocked"]), "blocked") +
           card(w.days_failed, std::to_string(days["failed"]), "failed") +
           card(w.days_no_data, std::to_string(days["no_data"]), "no_data") +
           (days[""] > 0 ? card(w.days_not_run, std::to_string(days[""]), "not_run") : "");
  return out + card(w.orders, grouped(orders)) + card(w.revenue, cents ? won(*cents, language) : grouped(revenue)) +
         card(w.quarantined, grouped(quarantined)) + "</div>\n";
}

}  // namespace

std::string render_report_html(const std::string& report_json) {
  std::string finite;
  const json doc = json::parse(detail::with_finite_numbers(report_json, finite), nullptr, false);
  if (!doc.is_object()) throw Error(ErrorKind::InvalidArgument, "report data is not a JSON object");
  const Language language = detail::page_language(doc);
  const PageWords& w = detail::page_words(language);
  const std::string range = str(doc, "from") + " – " + str(doc, "to");
  std::string page = kHead;
  page.replace(page.find("%LANG%"), 6, w.lang);
  page += "<title>" + html_escape(w.title) + " " + html_escape(range) + "</title></head><body>\n";
  page += "<h1>" + html_escape(w.title) + "</h1><p class=\"facts\"><span>" + html_escape(w.range) + ": " +
          html_escape(range) + "</span>";
  if (doc.contains("timezone"))
    page += "<span>" + html_escape(w.timezone) + ": " + html_escape(detail::clip(str(doc, "timezone"), 64)) + "</span>";
  if (doc.contains("generated_at"))
    page += "<span>" + html_escape(w.generated_at) + ": " + html_escape(detail::clip(str(doc, "generated_at"), 64)) +
            "</span>";
  if (doc.contains("database"))
    page += "<span>" + html_escape(w.database) + ": " + html_escape(detail::clip(str(doc, "database"), 64)) + "</span>";
  page += "</p>\n";
  page += cards(doc, w, language) + detail::day_grid_section(doc, w) + detail::why_section(doc, w) +
          funnel_section(doc, w) + orders_section(doc, w) + quality_section(doc, w) + products_section(doc, w) +
          runs_section(doc, w) + quarantine_section(doc, w);
  return page + "</body></html>\n";
}

}  // namespace ecpipe
