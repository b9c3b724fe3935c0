// The original project's test scenarios with ecpipe's semantics, schema-driven behaviour, and generated days.
#include <gtest/gtest.h>

#include <map>

#include "ecpipe/error.hpp"
#include "event_fixture.hpp"

using namespace ecpipe;
using fixture::event;
using fixture::json;

TEST(OriginalSuite, EmptyInputSingleEventAndWhitespaceOnly) {
  EXPECT_EQ(fixture::run(std::vector<std::string>{}).status(99), BatchStatus::NoData);
  EXPECT_EQ(fixture::run(std::vector<std::string>{" ", "\t", ""}).status(99), BatchStatus::NoData);
  auto single = fixture::run_events({event("page_view", 1)});
  EXPECT_EQ(single.status(99), BatchStatus::Passed);
  for (const auto& c : single.checks) EXPECT_EQ(c.failed, 0) << check_name(c.id);
}

TEST(OriginalSuite, MissingFieldsEachFailOnce) {
  auto a = event("page_view", 1);
  a["event_id"] = nullptr;
  auto b = event("page_view", 2);
  b["user_id"] = "";
  auto c = event("page_view", 3);
  c.erase("event_type");
  auto r = fixture::run_events({a, b, c});
  EXPECT_EQ(r.check(CheckId::RequiredFields).failed, 3);
  EXPECT_GE(r.check(CheckId::RequiredFields).pass_rate(), 0.0) << "a pass rate never goes negative";
}

TEST(OriginalSuite, ThreeCopiesGiveTwoFailures) {
  auto r = fixture::run_events({event("click", 5), event("click", 5), event("click", 5)});
  EXPECT_EQ(r.check(CheckId::DuplicateEventId).failed, 2);
}

TEST(OriginalSuite, UnknownPlatformIsCounted) {
  auto e = event("page_view", 1);
  e["platform"] = "smart_tv";
  auto r = fixture::run_events({e});
  EXPECT_EQ(r.check(CheckId::PlatformDevice).population, 1);
  EXPECT_EQ(r.check(CheckId::ValueValidity).failed, 1) << "the platform enum is checked (the original never did)";
}

TEST(OriginalSuite, UnknownFieldsAreIgnoredAndHundredKStringsSurvive) {
  auto e = event("page_view", 1);
  e["campaign"] = std::string(100000, 'z');
  e["nested"] = {{"a", {1, 2, {{"b", nullptr}}}}};
  auto r = fixture::run_events({e});
  for (const auto& c : r.checks) EXPECT_EQ(c.failed, 0) << check_name(c.id);
}

TEST(SchemaDriven, EditingTheSchemaChangesTheCheckWithoutCode) {
  std::string text = read_file(ECPIPE_SOURCE_DIR "/schemas/event_schema.json");
  const std::string from = "\"quantity\":          {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 99}";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "\"quantity\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 200}");
  const std::string req = "\"required\": [\"page_url\", \"page_type\"]";
  ASSERT_NE(text.find(req), std::string::npos);
  text.replace(text.find(req), req.size(), "\"required\": [\"page_url\", \"page_type\", \"referrer\"]");
  const CompiledSchema edited = CompiledSchema::compile(text);

  auto cart = event("add_to_cart", 1);
  cart["quantity"] = 120;
  auto view = event("page_view", 2);
  view.erase("referrer");
  const auto ls = fixture::lines({cart, view});
  auto before = fixture::run(ls);
  auto after = fixture::run(ls, fixture::settings(), edited);
  EXPECT_EQ(before.check(CheckId::ValueValidity).failed, 1);
  EXPECT_EQ(after.check(CheckId::ValueValidity).failed, 0);
  EXPECT_EQ(before.check(CheckId::RequiredFields).failed, 0);
  EXPECT_EQ(after.check(CheckId::RequiredFields).failed, 1);
}

TEST(SchemaDriven, ManyFieldsAcrossTypesAreAllJudgedUpToTheLimit) {
  // Every field name of every type gets a number; a schema may name up to 128 of them in all.
  auto with_extra_fields = [](int n) {
    json schema = json::parse(read_file(ECPIPE_SOURCE_DIR "/schemas/event_schema.json"));
    for (int i = 0; i < n; ++i) schema["properties"]["x_" + std::to_string(i)] = {{"type", "integer"}, {"maximum", 5}};
    return CompiledSchema::compile(schema.dump());
  };
  const CompiledSchema roomy = with_extra_fields(80);
  auto e = event("click", 1);
  e["x_79"] = 6;
  auto r = fixture::run(fixture::lines({e, event("click", 2)}), fixture::settings(), roomy);
  EXPECT_EQ(r.check(CheckId::ValueValidity).failed, 1) << "the 80th extra field is judged";
  EXPECT_EQ(r.details.at(0), "value_validity: x_79: 6 > maximum 5");

  const CompiledSchema crowded = with_extra_fields(120);
  try {
    fixture::run(fixture::lines({event("click", 1)}), fixture::settings(), crowded);
    ADD_FAILURE() << "a schema naming more than 128 fields must be refused";
  } catch (const Error& err) {
    EXPECT_EQ(err.kind(), ErrorKind::SchemaInvalid);
    EXPECT_STREQ(err.what(), "event schema: more than 128 distinct field names across event types");
  }
}

namespace {
BatchReport generated(double anomaly_rate, std::vector<std::string>* out = nullptr) {
  auto lines = fixture::generated_day(days_from_civil(2026, 1, 17), 2000, 11, anomaly_rate);
  Settings s;
  s.now_us = days_from_civil(2026, 1, 20) * 86400LL * 1000000;
  auto r = fixture::run(lines, s);
  if (out) *out = std::move(lines);
  return r;
}
}  // namespace

TEST(GeneratedDays, CleanDayPassesAllSevenWithNoFailures) {
  auto r = generated(0);
  for (const auto& c : r.checks) {
    EXPECT_EQ(c.failed, 0) << check_name(c.id) << ": " << (c.samples.empty() ? "" : c.samples[0].reason);
    EXPECT_GT(c.population, 0) << check_name(c.id);
  }
  EXPECT_EQ(r.status(99), BatchStatus::Passed);
}

TEST(GeneratedDays, AnomalyDayFailsExactlyWhatWasInjected) {
  std::vector<std::string> lines;
  auto r = generated(0.05, &lines);
  std::map<std::string, int64_t> injected;
  for (const auto& l : lines) {
    const auto at = l.find("\"anomaly\": \"");
    if (at != 0 && at != 1) continue;
    const auto start = at + 12;
    const std::string kind = l.substr(start, l.find('"', start) - start);
    if (kind == "amount_mismatch" && l.find("\"event_type\": \"purchase\"") == std::string::npos) continue;
    injected[kind]++;
  }
  EXPECT_EQ(r.check(CheckId::RequiredFields).failed, injected["unparseable"] + injected["missing_required"]);
  EXPECT_EQ(r.check(CheckId::DuplicateEventId).failed, injected["duplicate_event_id"]);
  EXPECT_EQ(r.check(CheckId::ValueValidity).failed, injected["invalid_value"]);
  EXPECT_EQ(r.check(CheckId::FunnelSequence).failed, injected["funnel_violation"]);
  EXPECT_EQ(r.check(CheckId::TimestampValidity).failed, injected["bad_timestamp"]);
  EXPECT_EQ(r.check(CheckId::OrderAmount).failed, injected["amount_mismatch"]);
  EXPECT_EQ(r.check(CheckId::PlatformDevice).failed, injected["platform_device"]);
  for (const auto& [k, n] : injected) EXPECT_GT(n, 0) << k;
  EXPECT_EQ(r.status(99), BatchStatus::Failed);
}
