// A batch validated shard by shard (lines placed by route key, what spans shards settled over the whole batch, the
// spanning sessions walked apart) and merged gives exactly the report of one validator over the whole batch.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "ecpipe/error.hpp"
#include "ecpipe/route_key.hpp"
#include "ecpipe/shard_report.hpp"
#include "event_fixture.hpp"

using namespace ecpipe;
using fixture::event;

namespace {

// The distributed validation, in the core's terms: keys of every line, what spans shards, each shard's report with
// them, the spanning sessions' report, merged.
struct Spanned {
  size_t events = 0, orders = 0, sessions = 0;
};

BatchReport validate_in_shards(const std::vector<std::string>& lines, int shards, Spanned* spanned = nullptr,
                               bool settle = true) {
  const FixedOffsetZone utc(0);
  const Settings settings = fixture::settings();
  auto shard_of = [&](size_t i) {
    return static_cast<int>(std::hash<std::string>()(route_key(lines[i], static_cast<int64_t>(i + 1))) % shards);
  };
  // the keys, as the repartitioned key table holds them: key -> (line_no, shard, event_id)
  BatchValidator reader(fixture::schema(), settings, utc);
  std::map<std::string, std::vector<std::pair<int64_t, int>>> events, sessions;
  std::map<std::string, std::vector<std::tuple<int64_t, int, std::string>>> orders;
  for (size_t i = 0; i < lines.size(); ++i) {
    const LineKeys k = reader.keys_of(lines[i]);
    if (!k.parsed) continue;
    const auto line_no = static_cast<int64_t>(i + 1);
    if (!k.event_id.empty()) events[k.event_id].push_back({line_no, shard_of(i)});
    if (!k.session_id.empty()) sessions[k.session_id].push_back({line_no, shard_of(i)});
    if (k.order_id) orders[*k.order_id].push_back({line_no, shard_of(i), k.event_id});
  }
  auto spans = [](const auto& members, auto shard) {
    std::set<int> seen;
    for (const auto& m : members) seen.insert(shard(m));
    return seen.size() > 1;
  };
  SpanningKeys spanning;
  std::set<int64_t> session_lines;
  for (const auto& [id, members] : events)
    if (spans(members, [](const auto& m) { return m.second; })) spanning.event_first_line[id] = members.front().first;
  for (const auto& [id, members] : sessions)
    if (spans(members, [](const auto& m) { return m.second; })) {
      spanning.sessions.insert(id);
      for (const auto& m : members) session_lines.insert(m.first);
    }
  for (const auto& [id, members] : orders)
    if (spans(members, [](const auto& m) { return std::get<1>(m); })) {
      spanning.orders.insert(id);
      std::vector<std::pair<int64_t, std::string>> owners;
      for (const auto& m : members) owners.push_back({std::get<0>(m), std::get<2>(m)});
      for (const auto& [line, owner] : settle_orders(owners)) spanning.order_failures[line] = owner;
    }
  if (spanned) *spanned = {spanning.event_first_line.size(), spanning.orders.size(), spanning.sessions.size()};
  if (!settle) spanning = SpanningKeys();  // each shard on its own: what a naive split would say
  std::vector<BatchReport> reports;
  for (int s = 0; s < shards; ++s) {
    BatchValidator v(fixture::schema(), settings, utc, &spanning);
    for (size_t i = 0; i < lines.size(); ++i)
      if (shard_of(i) == s) v.add(static_cast<int64_t>(i + 1), lines[i]);
    reports.push_back(v.finish());
  }
  BatchValidator walk(fixture::schema(), settings, utc, nullptr, ValidatorScope::SessionsOnly);
  for (int64_t line_no : session_lines) walk.add(line_no, lines[static_cast<size_t>(line_no - 1)]);
  return merge_shard_reports(std::move(reports), walk.finish());
}

void expect_same(const BatchReport& whole, const BatchReport& merged) {
  EXPECT_EQ(whole.blank_lines, merged.blank_lines);
  EXPECT_EQ(whole.parsed_events, merged.parsed_events);
  for (int i = 0; i < kCheckCount; ++i) {
    const CheckResult &a = whole.checks[i], &b = merged.checks[i];
    EXPECT_EQ(a.population, b.population) << check_name(a.id);
    EXPECT_EQ(a.failed, b.failed) << check_name(a.id);
    ASSERT_EQ(a.samples.size(), b.samples.size()) << check_name(a.id);
    for (size_t k = 0; k < a.samples.size(); ++k) {
      EXPECT_EQ(a.samples[k].line_no, b.samples[k].line_no) << check_name(a.id);
      EXPECT_EQ(a.samples[k].event_id, b.samples[k].event_id) << check_name(a.id);
      EXPECT_EQ(a.samples[k].reason, b.samples[k].reason) << check_name(a.id);
    }
  }
  ASSERT_EQ(whole.lines.size(), merged.lines.size());
  for (size_t i = 0; i < whole.lines.size(); ++i) {
    const LineVerdict &a = whole.lines[i], &b = merged.lines[i];
    ASSERT_EQ(a.line_no, b.line_no);
    EXPECT_EQ(a.failed, b.failed) << "line " << a.line_no;
    EXPECT_EQ(a.unparseable, b.unparseable) << "line " << a.line_no;
    EXPECT_EQ(static_cast<int>(a.disposition), static_cast<int>(b.disposition)) << "line " << a.line_no;
    EXPECT_EQ(a.detail < 0 ? "" : whole.details[a.detail], b.detail < 0 ? "" : merged.details[b.detail])
        << "line " << a.line_no;
  }
}

}  // namespace

TEST(ShardMerge, CrossShardCasesSettleAsOneValidatorWould) {
  std::vector<fixture::json> e;
  // an event_id on three users' lines: the first line keeps it
  for (int u = 1; u <= 3; ++u) {
    auto x = event("page_view", 1, u, u);
    x["user_id"] = "U00000" + std::to_string(u);
    e.push_back(x);
  }
  // an order bought by U000001, then by U000002 with another event_id, then by U000001 again (contested: fails too)
  for (int k = 0; k < 3; ++k) {
    auto cart = event("add_to_cart", 10 + k, 10 + k, 10);
    auto buy = event("purchase", 20 + k, 10 + k, 20);
    cart["user_id"] = buy["user_id"] = k == 1 ? "U000002" : "U000001";
    if (k == 2) buy["event_id"] = fixture::uuid(20);  // the owner's event_id, after the order was contested
    e.push_back(cart);
    e.push_back(buy);
  }
  // a session of U000004 whose add_to_cart has no user_id (another shard): the purchase after it passes check 4;
  // a line without user_id switches the session's platform (check 7), one with a bad device fails it by itself
  auto view = event("page_view", 30, 30, 1), cart = event("add_to_cart", 31, 30, 2), buy = event("purchase", 32, 30, 3);
  view["user_id"] = buy["user_id"] = "U000004";
  cart.erase("user_id");
  buy["order_id"] = "ORD2024050100030";
  auto ios = event("page_view", 33, 30, 4), bad = event("page_view", 34, 30, 5);
  ios.erase("user_id");
  ios["platform"] = "ios";
  ios["device_type"] = "mobile";
  bad.erase("user_id");
  bad["platform"] = "ios";
  bad["device_type"] = "desktop";
  for (auto* x : {&view, &cart, &buy, &ios, &bad}) e.push_back(*x);
  // a session that starts with a purchase on one shard and has its page_view on another, earlier in time
  auto late_buy = event("purchase", 40, 40, 9), early_view = event("page_view", 41, 40, 1);
  late_buy["user_id"] = "U000005";
  late_buy["order_id"] = "ORD2024050100040";
  early_view.erase("user_id");
  e.push_back(late_buy);
  e.push_back(early_view);
  std::vector<std::string> lines = fixture::lines(e);
  lines.insert(lines.begin() + 4, "");                            // a blank line
  lines.push_back("{\"event_id\": \"x\", \"event_id\": \"y\"}");  // unparseable: a repeated key
  const BatchReport whole = fixture::run(lines);
  ASSERT_GT(whole.check(CheckId::DuplicateEventId).failed, 0);
  ASSERT_GT(whole.check(CheckId::OrderAmount).failed, 0);
  ASSERT_GT(whole.check(CheckId::PlatformDevice).failed, 0);
  for (int shards : {1, 2, 3, 5}) {
    SCOPED_TRACE(std::to_string(shards) + " shards");
    expect_same(whole, validate_in_shards(lines, shards));
  }
  Spanned spanned;
  validate_in_shards(lines, 5, &spanned);
  EXPECT_GT(spanned.events, 0u);
  EXPECT_GT(spanned.orders, 0u);
  EXPECT_GT(spanned.sessions, 0u) << "the fixture spans shards in each way";
  const BatchReport naive = validate_in_shards(lines, 5, nullptr, false);
  EXPECT_NE(naive.check(CheckId::DuplicateEventId).failed, whole.check(CheckId::DuplicateEventId).failed)
      << "without the settling a split batch reads differently: the test can tell";
}

TEST(ShardMerge, GeneratedDirtyDaysSettleAsOneValidatorWould) {
  const std::vector<std::string> lines = fixture::generated_day(days_from_civil(2024, 5, 1), 200, 3, 0.05);
  const BatchReport whole = fixture::run(lines);
  for (int c = 0; c < kCheckCount; ++c) ASSERT_GT(whole.checks[c].failed, 0) << check_name(whole.checks[c].id);
  for (int shards : {2, 4, 7}) {
    SCOPED_TRACE(std::to_string(shards) + " shards");
    expect_same(whole, validate_in_shards(lines, shards));
  }
}

TEST(ShardMerge, SettleOrdersFollowsTheOwnerAndContestedRule) {
  const auto f = settle_orders({{3, "a"}, {7, "b"}, {9, "a"}, {12, ""}});
  EXPECT_EQ(f, (std::unordered_map<int64_t, int64_t>{{7, 3}, {9, 3}, {12, 3}})) << "once contested, every later line";
  EXPECT_TRUE(settle_orders({{1, "a"}, {2, "a"}}).empty()) << "the same event again is the same order";
  EXPECT_EQ(settle_orders({{1, ""}, {5, ""}}).size(), 0u) << "two lines without event_id: none equals none";
}

TEST(ShardMerge, KeysAndSummariesTravelAsJson) {
  SpanningKeys k;
  k.event_first_line["e\"1\n"] = 3;
  k.orders.insert("ORD1");
  k.order_failures[9] = 3;
  k.sessions.insert("s\xED\x9F\xBF");
  const SpanningKeys back = spanning_from_json(spanning_to_json(k));
  EXPECT_EQ(back.event_first_line, k.event_first_line);
  EXPECT_EQ(back.orders, k.orders);
  EXPECT_EQ(back.order_failures, k.order_failures);
  EXPECT_EQ(back.sessions, k.sessions);
  EXPECT_THROW(spanning_from_json("[1]"), Error);

  const BatchReport r = fixture::run_events({event("page_view", 1), event("page_view", 1), event("purchase", 2)});
  const ShardSummary s = shard_summary_from_json(shard_summary_to_json(r));
  EXPECT_EQ(s.lines, 3);
  EXPECT_EQ(s.quarantined, 1) << "the repeated event_id";
  EXPECT_EQ(s.report.parsed_events, 3);
  for (int i = 0; i < kCheckCount; ++i) {
    EXPECT_EQ(s.report.checks[i].population, r.checks[i].population);
    EXPECT_EQ(s.report.checks[i].failed, r.checks[i].failed);
    ASSERT_EQ(s.report.checks[i].samples.size(), r.checks[i].samples.size());
  }
  EXPECT_EQ(s.report.check(CheckId::DuplicateEventId).samples[0].reason, "event_id already seen at line 1");
  EXPECT_THROW(shard_summary_from_json("{\"checks\": []}"), Error);
}
