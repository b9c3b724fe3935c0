// The day grid (Airflow's grid view, for ecpipe's days and checks) and the blocked / failed days' reasons.
#include "day_grid.hpp"

#include <cstdio>
#include <map>

#include "ecpipe/report/report.hpp"
#include "ecpipe/core_only.hpp"
#include "svg_chart.hpp"

namespace ecpipe::detail {

using nlohmann::json;

namespace {

constexpr size_t kSamples = 5;  // sample lines shown per failing check

std::string str(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

const json& days_of(const json& doc) {
  static const json empty = json::array();
  const auto it = doc.find("days");
  return it != doc.end() && it->is_array() ? *it : empty;
}

std::string esc(const std::string& s, size_t chars = kCellChars) { return html_escape(clip(s, chars)); }

std::string rate(const json& check) {
  const auto it = check.find("pass_rate");
  if (it == check.end() || !it->is_number()) return esc(str(check, "pass_rate"), kLabelChars);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", it->get<double>());
  return buf;
}

std::string count(const json& check, const char* key) {
  const auto it = check.find(key);
  return it != check.end() && it->is_number_integer() ? thousands(it->get<int64_t>()) : esc(str(check, key), 20);
}

bool passed(const json& check) { return str(check, "status") == "PASS"; }
bool checked_nothing(const json& check) { return str(check, "status") == "no_data"; }

constexpr size_t kEarlierListed = 10;  // earlier runs named in a day's cell title (the latest ones)

// The CSS class of a status: a fixed word, never a value from data.
const char* status_class(const std::string& status) {
  if (status == "succeeded") return "succeeded";
  if (status == "blocked") return "blocked";
  if (status == "failed") return "failed";
  if (status == "no_data") return "no_data";
  if (status == "running") return "running";
  return "not_run";
}

}  // namespace

const char* day_unloaded_word(const json& doc, const std::string& day, const PageWords& w) {
  for (const auto& d : days_of(doc)) {
    if (str(d, "day") != day) continue;
    const std::string status = str(d, "status");
    if (status == "succeeded") return nullptr;
    return status == "no_data" ? w.no_data : status.empty() ? w.not_run : w.not_loaded;
  }
  return nullptr;  // no grid data (an older caller): nothing to say
}

std::string day_grid_section(const json& doc, const PageWords& w) {
  const json& days = days_of(doc);
  if (days.empty()) return "";
  std::map<int, std::string> checks;  // check_no -> name, over every day
  for (const auto& d : days)
    if (d.contains("checks") && d["checks"].is_array())
      for (const auto& c : d["checks"])
        if (c.contains("check_no") && c["check_no"].is_number_integer())
          checks[c["check_no"].get<int>()] = str(c, "check_name");
  // columns name their day as MM-DD within one year; a range across years keeps the year
  const bool one_year = str(days.front(), "day").substr(0, 4) == str(days.back(), "day").substr(0, 4);
  const double current = doc.value("min_pass_rate", 99.0);
  std::string head = "<tr><th></th>", run_row = "<tr><th>" + html_escape(w.run_row) + "</th>",
              bar_row = "<tr><th>" + html_escape(w.required_row) + "</th>";
  bool lowered_any = false;
  for (const auto& d : days) {
    const std::string day = str(d, "day"), status = str(d, "status");
    head += "<th title=\"" + esc(day) + "\">" + esc(one_year && day.size() == 10 ? day.substr(5) : day, kLabelChars) +
            "</th>";
    // the pass rate this day's checks had to reach; below today's setting it is marked, as a pass there means less
    if (d.contains("min_pass_rate") && d["min_pass_rate"].is_number()) {
      const double bar = d["min_pass_rate"].get<double>();
      const bool lowered = bar < current;
      lowered_any = lowered_any || lowered;
      char text[48];
      std::snprintf(text, sizeof text, "%s\xE2\x89\xA5 %.2f", lowered ? "\xE2\x86\x93 " : "", bar);  // ↓ ≥
      bar_row += std::string("<td class=\"cell bar") +
                 (lowered ? " lowered\" title=\"" + html_escape(w.lowered_bar) : "") + "\">" + text + "</td>";
    } else {
      bar_row += "<td class=\"cell bar none\">\xE2\x80\x94</td>";
    }
    if (status.empty()) {  // never run: no run to name
      run_row += "<td class=\"cell run not_run\" data-day=\"" + esc(day) + "\" title=\"" +
                 html_escape(status_word(w, status)) + "\">" + html_escape(status_word(w, status)) + "</td>";
      continue;
    }
    std::string title = w.latest_run + std::string(" ") + esc(str(d, "run_id"), 20);
    if (d.contains("earlier") && d["earlier"].is_array() && !d["earlier"].empty()) {
      const json& earlier = d["earlier"];
      title += " · " + std::string(w.earlier_runs) + " (" + std::to_string(earlier.size()) + "):";
      for (size_t k = earlier.size() > kEarlierListed ? earlier.size() - kEarlierListed : 0; k < earlier.size(); ++k)
        title +=
            " " + esc(str(earlier[k], "run_id"), 20) + " " + html_escape(status_word(w, str(earlier[k], "status")));
    }
    run_row += "<td class=\"cell run " + std::string(status_class(status)) + "\" data-day=\"" + esc(day) +
               "\" title=\"" + title + "\">" + html_escape(status_word(w, status)) + "</td>";
  }
  std::string rows = head + "</tr>" + run_row + "</tr>" + (lowered_any ? bar_row + "</tr>" : "");
  for (const auto& [no, name] : checks) {
    rows += "<tr><th>" + std::to_string(no) + " " + esc(name, kLabelChars) + "</th>";
    for (const auto& d : days) {
      const json* found = nullptr;
      if (d.contains("checks") && d["checks"].is_array())
        for (const auto& c : d["checks"])
          if (c.contains("check_no") && c["check_no"] == no) found = &c;
      if (!found || checked_nothing(*found)) {  // no run, no validation, or an empty batch: nothing was checked
        rows += "<td class=\"cell check none\" data-check=\"" + std::to_string(no) + "\">\xE2\x80\x94</td>";
        continue;
      }
      const bool ok = passed(*found);
      rows += "<td class=\"cell check " + std::string(ok ? "pass" : "fail") + "\" data-check=\"" + std::to_string(no) +
              "\" title=\"" + count(*found, "failed") + " / " + count(*found, "population") + "\">" +
              (ok ? "\xE2\x9C\x93 " : "\xE2\x9C\x97 ") + rate(*found) + "</td>";  // ✓ / ✗ and the rate
    }
    rows += "</tr>";
  }
  return "<section><h2>" + html_escape(w.grid_title) + "</h2><div class=\"scroll\"><table class=\"grid\">" + rows +
         "</table></div></section>\n";
}

std::string why_section(const json& doc, const PageWords& w) {
  const json& days = days_of(doc);
  if (days.empty()) return "";
  const double current = doc.value("min_pass_rate", 99.0);
  std::string body;
  for (const auto& d : days) {
    const std::string status = str(d, "status"), day = str(d, "day");
    if (status != "blocked" && status != "failed") continue;
    // the bar this day's run was held to, which the setting today may no longer be
    const double threshold =
        d.contains("min_pass_rate") && d["min_pass_rate"].is_number() ? d["min_pass_rate"].get<double>() : current;
    char required[32];
    std::snprintf(required, sizeof required, "\xE2\x89\xA5 %.2f%%", threshold);  // ≥
    body += "<div class=\"why " + std::string(status_class(status)) + "\" data-day=\"" + esc(day) + "\"><h3>" +
            esc(day) + " \xE2\x80\x94 " + html_escape(status_word(w, status)) + " (" + html_escape(w.run) + " " +
            esc(str(d, "run_id"), 20) + ")</h3>";
    if (status == "failed")
      body += "<p>" + html_escape(w.step) + ": <code>" + esc(str(d, "failed_step"), kLabelChars) + "</code></p><pre>" +
              esc(str(d, "error"), 300) + "</pre>";
    std::string checks, samples;
    if (d.contains("checks") && d["checks"].is_array())
      for (const auto& c : d["checks"]) {
        if (passed(c) || checked_nothing(c)) continue;
        checks += "<tr><td>" + esc(str(c, "check_name"), kLabelChars) + "</td><td class=\"n\">" +
                  count(c, "population") + "</td><td class=\"n\">" + count(c, "failed") + "</td><td class=\"n\">" +
                  rate(c) + "%</td><td class=\"n\">" + required + "</td></tr>";
        size_t n = 0;
        if (c.contains("samples") && c["samples"].is_array())
          for (const auto& s : c["samples"]) {
            if (++n > kSamples) break;
            samples += "<tr class=\"sample\"><td>" + esc(str(c, "check_name"), kLabelChars) + "</td><td class=\"n\">" +
                       esc(str(s, "line_no"), 20) + "</td><td><code>" + esc(str(s, "event_id"), 40) +
                       "</code></td><td>" + esc(str(s, "reason")) + "</td></tr>";
          }
      }
    if (!checks.empty())
      body += "<table><tr><th>" + html_escape(w.check) + "</th><th>" + html_escape(w.population) + "</th><th>" +
              html_escape(w.failed_count) + "</th><th>" + html_escape(w.pass_rate) + "</th><th>" +
              html_escape(w.required) + "</th></tr>" + checks + "</table>";
    if (!samples.empty())
      body += "<table class=\"samples\"><tr><th>" + html_escape(w.check) + "</th><th>" + html_escape(w.line) +
              "</th><th>event_id</th><th>" + html_escape(w.reason) + "</th></tr>" + samples + "</table>";
    body += "</div>";
  }
  if (body.empty()) body = "<p class=\"empty\">" + html_escape(w.why_none) + "</p>";
  return "<section><h2>" + html_escape(w.why_title) + "</h2>" + body + "</section>\n";
}

}  // namespace ecpipe::detail
