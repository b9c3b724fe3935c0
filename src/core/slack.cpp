// Block Kit payloads in the original project's wording (Korean headers), with what ecpipe adds.
#include "ecpipe/slack.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "ecpipe/error.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using nlohmann::json;

namespace {

json text_block(const std::string& type, const std::string& text) {
  return {{"type", type}, {"text", {{"type", type == "header" ? "plain_text" : "mrkdwn"}, {"text", text}}}};
}

json fields_block(const std::vector<std::string>& fields) {
  json f = json::array();
  for (const auto& s : fields) f.push_back({{"type", "mrkdwn"}, {"text", s}});
  return {{"type", "section"}, {"fields", f}};
}

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.contains(key) || j[key].is_null()) return fallback;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// A check's pass rate as the spec shows it: two decimals.
std::string percent(const json& check) {
  if (!check.contains("pass_rate") || !check["pass_rate"].is_number()) return str(check, "pass_rate", "?");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", check["pass_rate"].get<double>());
  return buf;
}

// Cuts to at most n characters (code points), never inside a UTF-8 sequence.
std::string cut(const std::string& s, size_t n) {
  size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (chars == n) break;
      ++chars;
    }
  }
  return s.substr(0, i);
}

json quality_report(const json& run) {
  const std::string ds = str(run, "ds");
  const json checks = run.value("checks", json::array());
  int passed = 0;
  std::string failures;
  for (const auto& c : checks) {
    if (str(c, "status") == "PASS") {
      ++passed;
      continue;
    }
    failures += "- *" + str(c, "check_name") + "*: " + percent(c) + "%";
    const std::string sample = str(c, "sample");
    if (!sample.empty()) failures += " (" + cut(sample, 150) + ")";
    failures += "\n";
  }
  const bool ok = !checks.empty() && passed == static_cast<int>(checks.size());
  const std::string title = std::string(ok ? "[PASS]" : "[FAIL]") + " 품질 검증 결과 (" + ds + ")";
  json blocks = json::array({text_block("header", title),
                             fields_block({"*통과*\n" + std::to_string(passed) + "/" + std::to_string(checks.size()),
                                           "*날짜*\n" + ds})});
  if (!failures.empty()) blocks.push_back(text_block("section", failures));
  return {{"text", title}, {"blocks", blocks}};
}

json success(const json& run) {
  const std::string ds = str(run, "ds");
  const std::string title = "[SUCCESS] 파이프라인 완료 (" + ds + ")";
  json blocks = json::array(
      {text_block("header", title),
       fields_block({"*이벤트*\n" + str(run, "loaded", "0"), "*사용자*\n" + str(run, "users", "0"),
                     "*세션*\n" + str(run, "sessions", "0"), "*주문*\n" + str(run, "orders", "0"),
                     "*매출*\n" + str(run, "revenue", "0"), "*격리*\n" + str(run, "quarantined", "0"),
                     "*품질*\n7/7 PASS", "*소요 시간*\n" + str(run, "seconds", "0") + "s"})});
  return {{"text", title}, {"blocks", blocks}};
}

json alert(const json& run, bool blocked) {
  const std::string ds = str(run, "ds");
  const std::string title = blocked ? "[BLOCKED] 품질 기준 미달로 적재 차단 (" + ds + ")" : "[ALERT] 파이프라인 실패";
  const std::string step = str(run, "step", blocked ? "validate" : "unknown");
  std::string error = str(run, "error");
  if (blocked && error.empty()) {
    for (const auto& c : run.value("checks", json::array()))
      if (str(c, "status") != "PASS") error += str(c, "check_name") + " " + percent(c) + "%\n";
  }
  json blocks = json::array({text_block("header", title),
                             fields_block({"*DAG*\necpipe_run", "*Task*\n" + step, "*날짜*\n" + ds,
                                           "*Run*\n" + str(run, "run_id")}),
                             text_block("section", "```" + cut(error, 500) + "```")});
  return {{"text", title}, {"blocks", blocks}};
}

}  // namespace

std::string slack_message(const std::string& kind, const std::string& summary_json) {
  json run = json::parse(summary_json, nullptr, false);
  if (run.is_discarded() || !run.is_object()) throw Error(ErrorKind::InvalidArgument, "run summary must be a JSON object");
  if (kind == "quality_report") return quality_report(run).dump();
  if (kind == "success") return success(run).dump();
  if (kind == "blocked") return alert(run, true).dump();
  if (kind == "failed") return alert(run, false).dump();
  if (kind == "no_data") {
    const std::string title = "[NO DATA] 적재할 데이터 없음 (" + str(run, "ds") + ")";
    return json{{"text", title},
                {"blocks", json::array({text_block("header", title),
                                        text_block("section", "No events were landed for this day; nothing was loaded.")})}}
        .dump();
  }
  throw Error(ErrorKind::InvalidArgument, "unknown message kind \"" + kind + "\" (quality_report, success, blocked, failed, no_data)");
}

}  // namespace ecpipe
