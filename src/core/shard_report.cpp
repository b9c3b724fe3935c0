// JSON for shard-by-shard validation (keys that span shards; a shard's summary) and a session failure applied to a
// line's verdict.
#include "ecpipe/shard_report.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "ecpipe/error.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using nlohmann::json;

std::string spanning_to_json(const SpanningKeys& keys) {
  json out = {{"events", json::object()},
              {"orders", json::array()},
              {"order_failures", json::array()},
              {"sessions", json::array()}};
  for (const auto& [id, line] : keys.event_first_line) out["events"][id] = line;
  for (const auto& id : keys.orders) out["orders"].push_back(id);
  for (const auto& [line, owner] : keys.order_failures) out["order_failures"].push_back({line, owner});
  for (const auto& id : keys.sessions) out["sessions"].push_back(id);
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

SpanningKeys spanning_from_json(std::string_view text) {
  const json in = json::parse(text, nullptr, false);
  if (!in.is_object()) throw Error(ErrorKind::InvalidArgument, "spanning keys are not a JSON object");
  SpanningKeys keys;
  // (each part held by name: a temporary's items() would not outlive the loop's first step)
  const json events = in.value("events", json::object()), orders = in.value("orders", json::array()),
             failures = in.value("order_failures", json::array()), sessions = in.value("sessions", json::array());
  for (const auto& [id, line] : events.items()) keys.event_first_line[id] = line.get<int64_t>();
  for (const auto& id : orders) keys.orders.insert(id.get<std::string>());
  for (const auto& pair : failures) keys.order_failures[pair.at(0).get<int64_t>()] = pair.at(1).get<int64_t>();
  for (const auto& id : sessions) keys.sessions.insert(id.get<std::string>());
  return keys;
}

std::string shard_summary_to_json(const BatchReport& r) {
  int64_t quarantined = 0;
  for (const auto& v : r.lines) quarantined += v.disposition == Disposition::Quarantine;
  json checks = json::array();
  for (const auto& c : r.checks) {
    json samples = json::array();
    for (const auto& s : c.samples)
      samples.push_back({{"line_no", s.line_no}, {"event_id", s.event_id}, {"reason", s.reason}});
    checks.push_back({{"population", c.population}, {"failed", c.failed}, {"samples", samples}});
  }
  return json{{"lines", r.lines.size()},
              {"blank_lines", r.blank_lines},
              {"events", r.parsed_events},
              {"quarantined", quarantined},
              {"checks", checks}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

ShardSummary shard_summary_from_json(std::string_view text) {
  const json in = json::parse(text, nullptr, false);
  if (!in.is_object() || !in.contains("checks") || !in["checks"].is_array() || in["checks"].size() != kCheckCount)
    throw Error(ErrorKind::InvalidArgument, "a shard's validation summary is not what ecpipe.validate_shard returns");
  ShardSummary out;
  out.lines = in.value("lines", int64_t{0});
  out.quarantined = in.value("quarantined", int64_t{0});
  out.report.blank_lines = in.value("blank_lines", int64_t{0});
  out.report.parsed_events = in.value("events", int64_t{0});
  for (int i = 0; i < kCheckCount; ++i) {
    const json& c = in["checks"][static_cast<size_t>(i)];
    CheckResult& r = out.report.checks[i];
    r.id = static_cast<CheckId>(i + 1);
    r.population = c.value("population", int64_t{0});
    r.failed = c.value("failed", int64_t{0});
    const json samples = c.value("samples", json::array());
    for (const auto& s : samples)
      r.samples.push_back(
          {s.value("line_no", int64_t{0}), s.value("event_id", std::string()), s.value("reason", std::string())});
  }
  return out;
}

std::string settings_to_json(const Settings& s, const std::string& timezone) {
  return json{{"min_pass_rate", s.min_pass_rate},
              {"min_year", s.min_year},
              {"max_future_us", s.max_future_us},
              {"amount_tolerance", s.amount_tolerance},
              {"now_us", s.now_us},
              {"max_line_bytes", s.max_line_bytes},
              {"timezone", timezone}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

Settings settings_from_json(std::string_view text, std::string& timezone) {
  const json in = json::parse(text, nullptr, false);
  if (!in.is_object()) throw Error(ErrorKind::InvalidArgument, "validation settings are not a JSON object");
  Settings s;
  s.min_pass_rate = in.value("min_pass_rate", s.min_pass_rate);
  s.min_year = in.value("min_year", s.min_year);
  s.max_future_us = in.value("max_future_us", s.max_future_us);
  s.amount_tolerance = in.value("amount_tolerance", s.amount_tolerance);
  s.now_us = in.value("now_us", s.now_us);
  s.max_line_bytes = in.value("max_line_bytes", s.max_line_bytes);
  timezone = in.value("timezone", std::string("UTC"));
  return s;
}

BatchReport merge_shard_checks(const std::vector<BatchReport>& shards, const BatchReport& sessions) {
  BatchReport out;
  for (int i = 0; i < kCheckCount; ++i) out.checks[i].id = static_cast<CheckId>(i + 1);
  for (const auto& r : shards) {
    out.blank_lines += r.blank_lines;
    out.parsed_events += r.parsed_events;
    for (int i = 0; i < kCheckCount; ++i) {
      out.checks[i].population += r.checks[i].population;
      out.checks[i].failed += r.checks[i].failed;
      out.checks[i].samples.insert(out.checks[i].samples.end(), r.checks[i].samples.begin(), r.checks[i].samples.end());
    }
  }
  // the spanning sessions' walks: check 4's sessions and both checks' failures (check 7's members were counted by
  // line on their shards)
  for (const CheckId id : {CheckId::FunnelSequence, CheckId::PlatformDevice}) {
    CheckResult& c = out.checks[check_index(id)];
    const CheckResult& s = sessions.check(id);
    if (id == CheckId::FunnelSequence) c.population += s.population;
    c.failed += s.failed;
    c.samples.insert(c.samples.end(), s.samples.begin(), s.samples.end());
  }
  for (auto& c : out.checks) {  // the lowest line numbers overall, as one validator keeps them
    std::stable_sort(c.samples.begin(), c.samples.end(),
                     [](const Sample& a, const Sample& b) { return a.line_no < b.line_no; });
    if (c.samples.size() > kMaxSamples) c.samples.resize(kMaxSamples);
  }
  return out;
}

void apply_session_failure(uint8_t& failed, std::string& detail, const SessionFailureRecord& f) {
  const uint8_t bit = check_bit(f.check);
  if (failed & bit) return;
  failed |= bit;
  if (!detail.empty()) detail += "; ";
  detail.append(check_name(f.check)).append(": ").append(f.reason);
}

}  // namespace ecpipe
