// Block Kit payloads for a run and for a backfill, in Korean (the original project's wording) or English.
#include "ecpipe/notify/slack.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "ecpipe/error.hpp"
#include "../json_text.hpp"
#include "ecpipe/core_only.hpp"
#include "ecpipe/timestamp.hpp"

namespace ecpipe {

using nlohmann::json;

namespace {

// Every string below comes from the run summary, which is data (and, through ecpipe.slack_message, whatever its
// caller wrote): titles and fields show it through slack_text, samples and errors in code spans / blocks.
constexpr size_t kShort = 40;    // a day, a step, a run id, a count
constexpr size_t kName = 60;     // a check's name
constexpr size_t kSample = 200;  // a sample reason, a backfill day's error
constexpr size_t kError = 500;   // an error text
constexpr size_t kListed = 10;   // failing checks (or a backfill's days) listed, then "… and N more"

// Every word a message says, in one language. Status tags ([PASS], [BLOCKED], ...) are the original's, in both.
struct Words {
  const char *quality_title, *passed, *date, *more;
  const char *success_title, *events, *users, *sessions, *orders, *revenue, *quarantined, *quality, *duration;
  const char *seconds_unit, *blocked_title, *failed_title, *step, *run, *no_data_title, *no_data_text;
  const char *backfill_title, *days_succeeded, *days_blocked, *days_failed, *days_no_data, *day_unit, *one_day;
  const char *blocked_days, *failed_days, *more_days, *all_passed, *stopped, *required;
};

const Words kKorean = {
    "\xED\x92\x88\xEC\xA7\x88 \xEA\xB2\x80\xEC\xA6\x9D \xEA\xB2\xB0\xEA\xB3\xBC",             // 품질 검증 결과
    "\xED\x86\xB5\xEA\xB3\xBC",                                                               // 통과
    "\xEB\x82\xA0\xEC\xA7\x9C",                                                               // 날짜
    "\xEC\x99\xB8 %zu\xEA\xB0\x9C",                                                           // 외 N개
    "\xED\x8C\x8C\xEC\x9D\xB4\xED\x94\x84\xEB\x9D\xBC\xEC\x9D\xB8 \xEC\x99\x84\xEB\xA3\x8C",  // 파이프라인 완료
    "\xEC\x9D\xB4\xEB\xB2\xA4\xED\x8A\xB8",                                                   // 이벤트
    "\xEC\x82\xAC\xEC\x9A\xA9\xEC\x9E\x90",                                                   // 사용자
    "\xEC\x84\xB8\xEC\x85\x98",                                                               // 세션
    "\xEC\xA3\xBC\xEB\xAC\xB8",                                                               // 주문
    "\xEB\xA7\xA4\xEC\xB6\x9C",                                                               // 매출
    "\xEA\xB2\xA9\xEB\xA6\xAC",                                                               // 격리
    "\xED\x92\x88\xEC\xA7\x88",                                                               // 품질
    "\xEC\x86\x8C\xEC\x9A\x94 \xEC\x8B\x9C\xEA\xB0\x84",                                      // 소요 시간
    "\xEC\xB4\x88",                                                                           // 초
    // 품질 기준 미달로 적재 차단
    "\xED\x92\x88\xEC\xA7\x88 \xEA\xB8\xB0\xEC\xA4\x80 \xEB\xAF\xB8\xEB\x8B\xAC\xEB\xA1\x9C \xEC\xA0\x81\xEC\x9E\xAC "
    "\xEC\xB0\xA8\xEB\x8B\xA8",
    "\xED\x8C\x8C\xEC\x9D\xB4\xED\x94\x84\xEB\x9D\xBC\xEC\x9D\xB8 \xEC\x8B\xA4\xED\x8C\xA8",  // 파이프라인 실패
    "\xEB\x8B\xA8\xEA\xB3\x84",                                                               // 단계
    "\xEC\x8B\xA4\xED\x96\x89 \xEB\xB2\x88\xED\x98\xB8",                                      // 실행 번호
    // 적재할 데이터 없음
    "\xEC\xA0\x81\xEC\x9E\xAC\xED\x95\xA0 \xEB\x8D\xB0\xEC\x9D\xB4\xED\x84\xB0 \xEC\x97\x86\xEC\x9D\x8C",
    // 이 날짜에 들어온 이벤트가 없어 아무것도 적재하지 않았습니다.
    "\xEC\x9D\xB4 \xEB\x82\xA0\xEC\xA7\x9C\xEC\x97\x90 \xEB\x93\xA4\xEC\x96\xB4\xEC\x98\xA8 "
    "\xEC\x9D\xB4\xEB\xB2\xA4\xED\x8A\xB8\xEA\xB0\x80 \xEC\x97\x86\xEC\x96\xB4 \xEC\x95\x84\xEB\xAC\xB4\xEA\xB2\x83\xEB"
    "\x8F\x84 \xEC\xA0\x81\xEC\x9E\xAC\xED\x95\x98\xEC\xA7\x80 \xEC\x95\x8A\xEC\x95\x98\xEC\x8A\xB5\xEB\x8B\x88\xEB\x8B"
    "\xA4.",
    "\xEB\xB0\xB1\xED\x95\x84 \xEA\xB2\xB0\xEA\xB3\xBC",              // 백필 결과
    "\xEC\x84\xB1\xEA\xB3\xB5",                                       // 성공
    "\xEC\xB0\xA8\xEB\x8B\xA8",                                       // 차단
    "\xEC\x8B\xA4\xED\x8C\xA8",                                       // 실패
    "\xEB\x8D\xB0\xEC\x9D\xB4\xED\x84\xB0 \xEC\x97\x86\xEC\x9D\x8C",  // 데이터 없음
    "\xEC\x9D\xBC",                                                   // 일
    "\xEC\x9D\xBC",                                                   // 일
    "\xEC\xB0\xA8\xEB\x8B\xA8\xEB\x90\x9C \xEB\x82\xA0",              // 차단된 날
    "\xEC\x8B\xA4\xED\x8C\xA8\xED\x95\x9C \xEB\x82\xA0",              // 실패한 날
    "\xEC\x99\xB8 %zu\xEC\x9D\xBC",                                   // 외 N일
    "7/7 \xED\x86\xB5\xEA\xB3\xBC",                                   // 7/7 통과
    // 중단됨: %s까지 실행, %zu일은 실행되지 않음
    "\xEC\xA4\x91\xEB\x8B\xA8\xEB\x90\xA8: %s\xEA\xB9\x8C\xEC\xA7\x80 \xEC\x8B\xA4\xED\x96\x89, "
    "%zu\xEC\x9D\xBC\xEC\x9D\x80 "
    "\xEC\x8B\xA4\xED\x96\x89\xEB\x90\x98\xEC\xA7\x80 \xEC\x95\x8A\xEC\x9D\x8C",
    "\xEA\xB8\xB0\xEC\xA4\x80",  // 기준
};

const Words kEnglish = {
    "Quality check results",
    "Passed",
    "Date",
    "and %zu more",
    "Pipeline finished",
    "Events",
    "Users",
    "Sessions",
    "Orders",
    "Revenue",
    "Quarantined",
    "Quality",
    "Duration",
    " s",
    "Load blocked: quality below the threshold",
    "Pipeline failed",
    "Step",
    "Run",
    "Nothing to load",
    "No events were landed for this day; nothing was loaded.",
    "Backfill results",
    "Succeeded",
    "Blocked",
    "Failed",
    "No data",
    " days",
    " day",
    "Blocked days",
    "Failed days",
    "and %zu more days",
    "7/7 passed",
    "Stopped after %s: %zu days not run",
    "Required",
};

const Words& words(Language language) { return language == Language::Korean ? kKorean : kEnglish; }

// A format with one %zu filled in.
std::string counted(const char* format, size_t n) {
  char buf[128];
  std::snprintf(buf, sizeof buf, format, n);
  return buf;
}

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

std::string field(const char* label, const std::string& value) { return std::string("*") + label + "*\n" + value; }

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// A summary value shown as plain text: escaped and cut.
std::string shown(const json& j, const char* key, const std::string& fallback = "") {
  return slack_text(str(j, key, fallback), kShort);
}

// A count of the summary with thousands separators (any other value is shown escaped, as it is).
std::string count(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number_integer()) return thousands(j[key].get<int64_t>());
  return shown(j, key, "0");
}

// An amount of won of the summary, in the language's form (any other value shown escaped, as it is).
std::string money(const json& j, const char* key, Language language) {
  if (j.is_object() && j.contains(key) && j[key].is_number())
    if (const auto h = hundredths_of(j[key].get<double>())) return won(*h, language);
  return shown(j, key, "0");
}

// A check's pass rate as the quality log shows it: two decimals (not escaped yet: it may be any text in a summary).
std::string percent(const json& check) {
  if (!check.is_object() || !check.contains("pass_rate") || !check["pass_rate"].is_number())
    return str(check, "pass_rate", "?");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", check["pass_rate"].get<double>());
  return buf;
}

// Seconds to a tenth, with thousands separators; "< 0.1" for a quicker run.
std::string seconds(const json& j, const Words& w) {
  if (j.is_object() && j.contains("seconds") && j["seconds"].is_number()) {
    const double s = j["seconds"].get<double>();
    if (std::isfinite(s) && s >= 0 && s < 1e15) {
      const int64_t tenths = std::llround(s * 10);
      if (tenths == 0 && s > 0) return std::string("< 0.1") + w.seconds_unit;
      return thousands(tenths / 10) + "." + std::to_string(tenths % 10) + w.seconds_unit;
    }
  }
  return shown(j, "seconds", "0") + w.seconds_unit;
}

// The pass rate the checks had to reach (the run's ecpipe.min_pass_rate, which the notify step adds to the summary),
// so that a day passed at a lowered bar says so.
std::optional<std::string> threshold(const json& run, const Words& w) {
  if (!run.contains("min_pass_rate") || !run["min_pass_rate"].is_number()) return std::nullopt;
  char buf[48];
  std::snprintf(buf, sizeof buf, "\xE2\x89\xA5 %.2f%%", run["min_pass_rate"].get<double>());  // ≥
  return field(w.required, buf);
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

// The failing checks of a run as "name 97.50%" parts, at most `listed` of them; `failed` counts them all.
std::vector<std::string> failing_checks(const json& run, size_t& failed) {
  std::vector<std::string> out;
  failed = 0;
  for (const auto& c : checks_of(run)) {
    if (str(c, "status") == "PASS") continue;
    if (++failed <= kListed)
      out.push_back(slack_text(str(c, "check_name"), kName) + " " + slack_text(percent(c), kShort) + "%");
  }
  return out;
}

json quality_report(const json& run, const Words& w) {
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
  if (failed > kListed) failures += "\xE2\x80\xA6 " + counted(w.more, failed - kListed) + "\n";
  const bool ok = !checks.empty() && passed == checks.size();
  const std::string title = std::string(ok ? "[PASS] " : "[FAIL] ") + w.quality_title + " (" + ds + ")";
  std::vector<std::string> fields = {field(w.passed, std::to_string(passed) + "/" + std::to_string(checks.size())),
                                     field(w.date, ds)};
  if (const auto t = threshold(run, w)) fields.push_back(*t);
  json blocks = json::array({text_block("header", title), fields_block(fields)});
  if (!failures.empty()) blocks.push_back(text_block("section", failures));
  return message(title, std::move(blocks));
}

json success(const json& run, const Words& w, Language language) {
  const std::string title = std::string("[SUCCESS] ") + w.success_title + " (" + shown(run, "ds") + ")";
  json blocks = json::array(
      {text_block("header", title),
       fields_block({field(w.events, count(run, "loaded")), field(w.users, count(run, "users")),
                     field(w.sessions, count(run, "sessions")), field(w.orders, count(run, "orders")),
                     field(w.revenue, money(run, "revenue", language)), field(w.quarantined, count(run, "quarantined")),
                     field(w.quality, w.all_passed), field(w.duration, seconds(run, w))})});
  return message(title, std::move(blocks));
}

json alert(const json& run, bool blocked, const Words& w) {
  const std::string ds = shown(run, "ds");
  const std::string title =
      std::string(blocked ? "[BLOCKED] " : "[ALERT] ") + (blocked ? w.blocked_title : w.failed_title) + " (" + ds + ")";
  const std::string step = str(run, "step", blocked ? "validate" : "");
  std::string error = str(run, "error");
  if (blocked && error.empty()) {
    for (const auto& c : checks_of(run))
      if (str(c, "status") != "PASS") error += str(c, "check_name") + " " + percent(c) + "%\n";
  }
  std::vector<std::string> alert_fields = {field(w.step, slack_code(step, kShort)), field(w.date, ds),
                                           field(w.run, shown(run, "run_id"))};
  if (blocked)
    if (const auto t = threshold(run, w)) alert_fields.push_back(*t);
  // A code block: the error may quote data; its backticks cannot close the block (slack_text replaces them).
  const std::string shown_error = error.empty() ? "\xE2\x80\x94" : slack_text(error, kError, true);
  json blocks = json::array(
      {text_block("header", title), fields_block(alert_fields), text_block("section", "```" + shown_error + "```")});
  return message(title, std::move(blocks));
}

json no_data(const json& run, const Words& w) {
  const std::string title = std::string("[NO DATA] ") + w.no_data_title + " (" + shown(run, "ds") + ")";
  return message(title, json::array({text_block("header", title), text_block("section", w.no_data_text)}));
}

// A day of the summaries ("YYYY-MM-DD") as a day number; nullopt for any other text.
std::optional<int64_t> day_number(const std::string& ds) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (ds.size() != 10 || std::sscanf(ds.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

// Adds without overflowing: a sum past int64 stays at its largest value.
void add_capped(int64_t& sum, int64_t value) {
  if (__builtin_add_overflow(sum, value, &sum)) sum = value > 0 ? INT64_MAX : INT64_MIN;
}

// The lines of a list of days: kListed at most, and under Slack's 3,000 characters a section; then how many more.
class DayList {
 public:
  void add(const std::string& line) {
    if (shown_ < kListed && text_.size() + line.size() < 2600) {
      text_ += line;
      ++shown_;
    } else {
      ++left_;
    }
  }
  std::string text(const Words& w) const {
    return left_ == 0 ? text_ : text_ + "\xE2\x80\xA6 " + counted(w.more_days, left_) + "\n";
  }
  bool empty() const { return shown_ == 0 && left_ == 0; }

 private:
  std::string text_;
  size_t shown_ = 0, left_ = 0;
};

// `input` is {"from", "to", "runs"} or the array of summaries alone.
json digest(const json& input, const Words& w, Language language) {
  const json& runs = input.is_array() ? input : input["runs"];
  std::map<std::string, size_t> days;  // by status
  int64_t loaded = 0, quarantined = 0, revenue = 0;
  std::string first = input.is_object() ? str(input, "from") : "", last = input.is_object() ? str(input, "to") : "";
  std::string last_run;
  DayList blocked, failed;
  bool cancelled = false;
  for (const auto& run : runs) {
    const std::string ds = str(run, "ds"), status = str(run, "status");
    if (input.is_array()) {
      if (first.empty()) first = ds;
      last = ds;
    }
    last_run = ds;
    ++days[status];
    cancelled = cancelled || (run.contains("cancelled") && run["cancelled"] == true);
    if (run.contains("quarantined") && run["quarantined"].is_number_integer())
      add_capped(quarantined, run["quarantined"].get<int64_t>());
    if (status == "succeeded") {
      if (run.contains("loaded") && run["loaded"].is_number_integer()) add_capped(loaded, run["loaded"].get<int64_t>());
      if (run.contains("revenue") && run["revenue"].is_number())
        if (const auto h = hundredths_of(run["revenue"].get<double>())) add_capped(revenue, *h);
    } else if (status == "blocked") {
      size_t n = 0;
      std::string checks;
      for (const auto& c : failing_checks(run, n)) checks += (checks.empty() ? "" : ", ") + c;
      blocked.add("- " + slack_text(ds, kShort) + ": " + checks + "\n");
    } else if (status == "failed") {
      failed.add("- " + slack_text(ds, kShort) + ": " + slack_code(str(run, "failed_step", str(run, "step")), kShort) +
                 " " + slack_code(str(run, "error"), kSample) + "\n");
    }
  }
  const auto n_days = [&](const char* status) {
    const size_t n = days[status];
    return thousands(static_cast<int64_t>(n)) + (n == 1 ? w.one_day : w.day_unit);
  };
  const std::string range = first == last ? slack_text(first, kShort)
                                          : slack_text(first, kShort) + " \xE2\x80\x93 " + slack_text(last, kShort);
  const char* tag = days["failed"] > 0                                  ? "[ALERT] "
                    : days["blocked"] > 0                               ? "[BLOCKED] "
                    : !runs.empty() && days["succeeded"] == runs.size() ? "[SUCCESS] "
                                                                        : "[BACKFILL] ";
  const std::string title = std::string(tag) + w.backfill_title + " (" + range + ")";
  json blocks =
      json::array({text_block("header", title),
                   fields_block({field(w.days_succeeded, n_days("succeeded")), field(w.days_blocked, n_days("blocked")),
                                 field(w.days_failed, n_days("failed")), field(w.days_no_data, n_days("no_data")),
                                 field(w.events, thousands(loaded)), field(w.revenue, won(revenue, language)),
                                 field(w.quarantined, thousands(quarantined))})});
  // the days asked for and never run: a cancel stopped the backfill
  const auto to = day_number(last), reached = day_number(last_run);
  if (cancelled || (to && reached && *reached < *to)) {
    const size_t not_run = to && reached && *reached < *to ? static_cast<size_t>(*to - *reached) : 0;
    char note[512];
    std::snprintf(note, sizeof note, w.stopped, slack_text(last_run, kShort).c_str(), not_run);
    blocks.push_back(text_block("section", std::string("*") + note + "*"));
  }
  if (!blocked.empty()) blocks.push_back(text_block("section", field(w.blocked_days, blocked.text(w))));
  if (!failed.empty()) blocks.push_back(text_block("section", field(w.failed_days, failed.text(w))));
  return message(title, std::move(blocks));
}

std::string dump(const json& m) { return m.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string slack_message(const std::string& kind, const std::string& summary_json, Language language) {
  std::string finite;
  json run = json::parse(detail::with_finite_numbers(summary_json, finite), nullptr, false);
  if (run.is_discarded() || !run.is_object())
    throw Error(ErrorKind::InvalidArgument, "run summary must be a JSON object");
  const Words& w = words(language);
  if (kind == "quality_report") return dump(quality_report(run, w));
  if (kind == "success") return dump(success(run, w, language));
  if (kind == "blocked") return dump(alert(run, true, w));
  if (kind == "failed") return dump(alert(run, false, w));
  if (kind == "no_data") return dump(no_data(run, w));
  throw Error(ErrorKind::InvalidArgument,
              "unknown message kind \"" + head(kind) + "\" (quality_report, success, blocked, failed, no_data)");
}

std::string slack_digest(const std::string& summaries_json, Language language) {
  std::string finite;
  const json input = json::parse(detail::with_finite_numbers(summaries_json, finite), nullptr, false);
  const bool wrapped = input.is_object() && input.contains("runs");
  if (input.is_discarded() || !(wrapped ? input["runs"] : input).is_array())
    throw Error(ErrorKind::InvalidArgument,
                "a backfill digest needs {\"from\", \"to\", \"runs\": [run summaries]} or the array of summaries");
  for (const auto& r : wrapped ? input["runs"] : input)
    if (!r.is_object()) throw Error(ErrorKind::InvalidArgument, "a backfill digest needs run summaries (JSON objects)");
  return dump(digest(input, words(language), language));
}

}  // namespace ecpipe
