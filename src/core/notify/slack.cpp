// Block Kit payloads in the original project's wording (Korean headers), with what ecpipe adds.
#include "ecpipe/notify/slack.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "ecpipe/error.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using nlohmann::json;

namespace {

// Every string below comes from the run summary, which is data (and, through ecpipe.slack_message, whatever its
// caller wrote): titles and fields show it through slack_text, samples and errors in code spans / blocks.
constexpr size_t kShort = 40;    // a day, a step, a run id, a count
constexpr size_t kName = 60;     // a check's name
constexpr size_t kSample = 200;  // a sample reason
constexpr size_t kError = 500;   // an error text
constexpr size_t kListed = 10;   // failing checks listed, then "… and N more"

json text_block(const std::string& type, const std::string& text) {
  return {{"type", type}, {"text", {{"type", type == "header" ? "plain_text" : "mrkdwn"}, {"text", text}}}};
}

json fields_block(const std::vector<std::string>& fields) {
  json f = json::array();
  for (const auto& s : fields) f.push_back({{"type", "mrkdwn"}, {"text", s}});
  return {{"type", "section"}, {"fields", f}};
}

json message(const std::string& title, json blocks) {
  return {{"text", title}, {"blocks", std::move(blocks)}, {"unfurl_links", false}, {"unfurl_media", false}};
}

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// A summary value shown as plain text: escaped and cut.
std::string shown(const json& j, const char* key, const std::string& fallback = "") {
  return slack_text(str(j, key, fallback), kShort);
}

// A check's pass rate as the quality log shows it: two decimals (not escaped yet: it may be any text in a summary).
std::string percent(const json& check) {
  if (!check.is_object() || !check.contains("pass_rate") || !check["pass_rate"].is_number())
    return str(check, "pass_rate", "?");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", check["pass_rate"].get<double>());
  return buf;
}

// The start of a text for an error message (not for Slack): at most kShort bytes, never inside a UTF-8 sequence.
std::string head(const std::string& s) {
  if (s.size() <= kShort) return s;
  size_t n = kShort;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

json checks_of(const json& run) {
  const auto it = run.find("checks");
  return it != run.end() && it->is_array() ? *it : json::array();
}

json quality_report(const json& run) {
  const std::string ds = shown(run, "ds");
  const json checks = checks_of(run);
  size_t passed = 0, failed = 0;
  std::string failures;
  for (const auto& c : checks) {
    if (str(c, "status") == "PASS") {
      ++passed;
      continue;
    }
    if (++failed > kListed) continue;
    failures += "- *" + slack_text(str(c, "check_name"), kName) + "*: " + slack_text(percent(c), kShort) + "%";
    const std::string sample = str(c, "sample");
    if (!sample.empty()) failures += " " + slack_code(sample, kSample);
    failures += "\n";
  }
  if (failed > kListed) failures += "\xE2\x80\xA6 and " + std::to_string(failed - kListed) + " more\n";
  const bool ok = !checks.empty() && passed == checks.size();
  const std::string title = std::string(ok ? "[PASS]" : "[FAIL]") + " 품질 검증 결과 (" + ds + ")";
  json blocks = json::array(
      {text_block("header", title),
       fields_block({"*통과*\n" + std::to_string(passed) + "/" + std::to_string(checks.size()), "*날짜*\n" + ds})});
  if (!failures.empty()) blocks.push_back(text_block("section", failures));
  return message(title, std::move(blocks));
}

json success(const json& run) {
  const std::string ds = shown(run, "ds");
  const std::string title = "[SUCCESS] 파이프라인 완료 (" + ds + ")";
  json blocks =
      json::array({text_block("header", title),
                   fields_block({"*이벤트*\n" + shown(run, "loaded", "0"), "*사용자*\n" + shown(run, "users", "0"),
                                 "*세션*\n" + shown(run, "sessions", "0"), "*주문*\n" + shown(run, "orders", "0"),
                                 "*매출*\n" + shown(run, "revenue", "0"), "*격리*\n" + shown(run, "quarantined", "0"),
                                 "*품질*\n7/7 PASS", "*소요 시간*\n" + shown(run, "seconds", "0") + "s"})});
  return message(title, std::move(blocks));
}

json alert(const json& run, bool blocked) {
  const std::string ds = shown(run, "ds");
  const std::string title = blocked ? "[BLOCKED] 품질 기준 미달로 적재 차단 (" + ds + ")" : "[ALERT] 파이프라인 실패";
  const std::string step = shown(run, "step", blocked ? "validate" : "unknown");
  std::string error = str(run, "error");
  if (blocked && error.empty()) {
    for (const auto& c : checks_of(run))
      if (str(c, "status") != "PASS") error += str(c, "check_name") + " " + percent(c) + "%\n";
  }
  // A code block: the error may quote data; its backticks cannot close the block (slack_text replaces them).
  const std::string shown_error = error.empty() ? "\xE2\x80\x94" : slack_text(error, kError, true);
  json blocks = json::array(
      {text_block("header", title),
       fields_block({"*DAG*\necpipe_run", "*Task*\n" + step, "*날짜*\n" + ds, "*Run*\n" + shown(run, "run_id")}),
       text_block("section", "```" + shown_error + "```")});
  return message(title, std::move(blocks));
}

}  // namespace

std::string slack_message(const std::string& kind, const std::string& summary_json) {
  json run = json::parse(summary_json, nullptr, false);
  if (run.is_discarded() || !run.is_object())
    throw Error(ErrorKind::InvalidArgument, "run summary must be a JSON object");
  const auto dump = [](const json& m) { return m.dump(-1, ' ', false, json::error_handler_t::replace); };
  if (kind == "quality_report") return dump(quality_report(run));
  if (kind == "success") return dump(success(run));
  if (kind == "blocked") return dump(alert(run, true));
  if (kind == "failed") return dump(alert(run, false));
  if (kind == "no_data") {
    const std::string title = "[NO DATA] 적재할 데이터 없음 (" + shown(run, "ds") + ")";
    return dump(message(
        title, json::array({text_block("header", title),
                            text_block("section", "No events were landed for this day; nothing was loaded.")})));
  }
  throw Error(ErrorKind::InvalidArgument,
              "unknown message kind \"" + head(kind) + "\" (quality_report, success, blocked, failed, no_data)");
}

}  // namespace ecpipe
