// The generator: determinism, the original model's shape, and anomalies that each break one check.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ecpipe/error.hpp"
#include "ecpipe/generator/generator.hpp"
#include "ecpipe/timestamp.hpp"

using namespace ecpipe;

namespace {
GeneratorOptions day(int users, uint64_t seed, double anomalies = 0) {
  GeneratorOptions o;
  o.day = days_from_civil(2026, 1, 17);
  o.users = users;
  o.seed = seed;
  o.anomaly_rate = anomalies;
  return o;
}
std::string field(const std::string& line, const std::string& name) {
  auto at = line.find("\"" + name + "\": \"");
  if (at == std::string::npos) return "";
  at += name.size() + 5;
  return line.substr(at, line.find('"', at) - at);
}
}  // namespace

TEST(Generator, SameOptionsSameBytes) {
  EXPECT_EQ(generate_events(day(500, 1)), generate_events(day(500, 1)));
  EXPECT_NE(generate_events(day(500, 1)), generate_events(day(500, 2)));
}

TEST(Generator, VolumeAndMixFollowTheOriginal) {
  auto lines = generate_events(day(500, 1));
  EXPECT_GE(lines.size(), 1200u);
  EXPECT_LE(lines.size(), 2900u);
  std::map<std::string, int> types;
  for (const auto& l : lines) types[field(l, "event_type")]++;
  EXPECT_GT(types["page_view"] * 100 / static_cast<int>(lines.size()), 65);
  EXPECT_GT(types["click"], 0);
  EXPECT_EQ(types.size(), 5u) << "all five types appear in a 500-user day";
}

TEST(Generator, SortedByTimestampAndNaive) {
  auto lines = generate_events(day(200, 3));
  std::string prev;
  for (const auto& l : lines) {
    std::string ts = field(l, "timestamp");
    EXPECT_EQ(ts.size(), 19u) << ts;
    EXPECT_GE(ts, prev);
    prev = ts;
  }
}

TEST(Generator, AnomaliesAreAddedBesideTheCleanDay) {
  auto clean = generate_events(day(500, 1));
  auto dirty = generate_events(day(500, 1, 0.2));
  std::vector<std::string> rest;
  std::set<std::string> kinds;
  for (const auto& l : dirty) {
    if (l.rfind("{\"anomaly\": \"", 0) == 0)
      kinds.insert(field(l, "anomaly"));
    else
      rest.push_back(l);
  }
  EXPECT_EQ(rest, clean);
  EXPECT_EQ(kinds.size(), static_cast<size_t>(kAnomalyKinds));
}

TEST(Generator, RefusesBadArguments) {
  EXPECT_THROW(generate_events(day(0, 1)), Error);
  EXPECT_THROW(generate_events(day(1000000, 1)), Error);
  EXPECT_THROW(generate_events(day(10, 1, 1.5)), Error);
}
