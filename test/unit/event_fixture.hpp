// Test helpers: valid events of each type as nlohmann objects, generated days, and running the validator on lines.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ecpipe/generator/generator.hpp"
#include "ecpipe/schema.hpp"
#include "ecpipe/timestamp.hpp"
#include "ecpipe/validator.hpp"

namespace fixture {

using nlohmann::json;

inline const ecpipe::CompiledSchema& schema() {
  static const ecpipe::CompiledSchema s =
      ecpipe::CompiledSchema::compile(ecpipe::read_file(ECPIPE_SOURCE_DIR "/schemas/event_schema.json"));
  return s;
}

// now() for every test: 2024-06-01T00:00:00Z.
inline ecpipe::Settings settings() {
  ecpipe::Settings s;
  s.now_us = ecpipe::days_from_civil(2024, 6, 1) * 86400LL * 1000000;
  return s;
}

inline std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
  return buf;
}

// A valid event of `type` in session `session` at 2024-05-01T10:00:<second>.
inline json event(const std::string& type, int id, int session = 1, int second = 0) {
  char ts[32];
  std::snprintf(ts, sizeof ts, "2024-05-01T10:%02d:%02d", second / 60, second % 60);
  json e = {
      {"event_id", uuid(id)}, {"event_type", type}, {"user_id", "U000001"},     {"session_id", uuid(900000 + session)},
      {"timestamp", ts},      {"platform", "web"},  {"device_type", "desktop"}, {"os", "Windows"},
      {"browser", "Chrome"}};
  if (type == "page_view") {
    e["page_url"] = "https://shop.example.com/home";
    e["page_type"] = "home";
    e["referrer"] = nullptr;
  } else if (type == "click") {
    e["page_url"] = "https://shop.example.com/category/CAT001";
    e["element_id"] = "elem_1";
    e["element_type"] = "product_card";
    e["product_id"] = "P1001";
    e["category_id"] = "CAT001";
    e["position"] = 0;
  } else if (type == "add_to_cart") {
    e["product_id"] = "P1001";
    e["quantity"] = 1;
    e["unit_price"] = 89000;
    e["category_id"] = "CAT001";
  } else if (type == "purchase") {
    e["order_id"] = "ORD2024050100001";
    e["total_amount"] = 89000;
    e["payment_method"] = "credit_card";
    e["extra_data"] =
        R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}], "discount_amount": 0, "shipping_fee": 0, "coupon_code": null})";
  } else if (type == "search") {
    e["search_query"] = "이어폰";
    e["result_count"] = 10;
    e["page_url"] = "https://shop.example.com/search";
    e["sort_type"] = "relevance";
  }
  return e;
}

inline std::vector<std::string> lines(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.dump());
  return out;
}

// The generator's lines for a day (days since 1970-01-01) of `users` users.
inline std::vector<std::string> generated_day(int64_t day, int users, uint64_t seed, double anomaly_rate) {
  ecpipe::GeneratorOptions o;
  o.day = day;
  o.users = users;
  o.seed = seed;
  o.anomaly_rate = anomaly_rate;
  return ecpipe::generate_events(o);
}

inline ecpipe::BatchReport run(const std::vector<std::string>& ls, const ecpipe::Settings& s = settings(),
                               const ecpipe::CompiledSchema& sch = schema()) {
  ecpipe::FixedOffsetZone utc(0);
  return ecpipe::validate_lines(ls, sch, s, utc);
}
inline ecpipe::BatchReport run_events(const std::vector<json>& events) { return run(lines(events)); }

// population and failed of one check, as a pair for compact assertions.
using P = std::pair<int64_t, int64_t>;
inline P counts(const ecpipe::BatchReport& r, ecpipe::CheckId id) {
  return {r.check(id).population, r.check(id).failed};
}
// The readable detail of a line's verdict ("" when it failed nothing).
inline std::string detail_of(const ecpipe::BatchReport& r, int line_no) {
  const ecpipe::LineVerdict& v = r.lines.at(line_no - 1);
  return v.detail < 0 ? "" : r.details[v.detail];
}

}  // namespace fixture
