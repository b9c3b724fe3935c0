// The raw-event extractor: typed columns only for fields of the event's own type, everything else kept in extras.
#include <gtest/gtest.h>

#include <climits>

#include "ecpipe/raw_event.hpp"
#include "event_fixture.hpp"

using namespace ecpipe;
using fixture::event;

namespace {
RawEvent extract(const fixture::json& e, const TimeZone& zone = FixedOffsetZone(0)) {
  RawEventExtractor x(fixture::schema());
  RawEvent out;
  std::string why;
  EXPECT_TRUE(x.extract(e.dump(), zone, out, why)) << why;
  return out;
}
}  // namespace

TEST(RawEvent, TypedColumnsOfTheEventsOwnType) {
  auto e = event("add_to_cart", 1);
  e["is_recommendation"] = true;
  RawEvent r = extract(e);
  EXPECT_EQ(*r.text[RawEvent::ProductId], "P1001");
  EXPECT_EQ(*r.ints[RawEvent::Quantity], 1);
  EXPECT_EQ(*r.hundredths[RawEvent::UnitPrice], 8900000);
  EXPECT_TRUE(*r.is_recommendation);
  EXPECT_FALSE(r.extras.has_value());
  EXPECT_EQ(format_day(r.time.event_day), "2024-05-01");
}

TEST(RawEvent, FieldsOfOtherTypesAndUnknownFieldsGoToExtras) {
  auto e = event("page_view", 1);
  e["quantity"] = "not a page_view field";
  e["campaign"] = {{"id", 7}};
  RawEvent r = extract(e);
  EXPECT_FALSE(r.ints[RawEvent::Quantity].has_value());
  EXPECT_EQ(*r.extras, R"({"campaign":{"id":7},"quantity":"not a page_view field"})");  // nlohmann sorts keys
}

TEST(RawEvent, ExtraDataStringIsDecodedToAnObject) {
  const auto purchase = event("purchase", 1);
  RawEvent r = extract(purchase);
  EXPECT_EQ(*r.extra_data, purchase["extra_data"].get<std::string>()) << "the JSON text the string holds, as written";
  auto bad = event("purchase", 2);
  bad["extra_data"] = "{not json";
  RawEvent kept = extract(bad);
  EXPECT_FALSE(kept.extra_data.has_value());
  EXPECT_EQ(*kept.extras, R"({"extra_data":"{not json"})") << "an undecodable extra_data is kept, not lost";
}

namespace {
// An event's line with each "@k@" string value replaced by the raw JSON text texts[k] (nlohmann would round numbers).
std::string line_with(fixture::json e, const std::vector<std::string>& texts) {
  std::string line = e.dump();
  for (size_t k = 0; k < texts.size(); ++k) {
    const std::string mark = "\"@" + std::to_string(k) + "@\"";
    line.replace(line.find(mark), mark.size(), texts[k]);
  }
  return line;
}
RawEvent extract_line(const std::string& line) {
  RawEventExtractor x(fixture::schema());
  RawEvent out;
  std::string why;
  EXPECT_TRUE(x.extract(line, FixedOffsetZone(0), out, why)) << why;
  return out;
}
}  // namespace

TEST(RawEvent, NumbersAreStoredAsWrittenNotThroughADouble) {
  auto e = event("click", 1);
  e["position"] = "@0@";
  e["big"] = "@1@";
  e["huge"] = "@2@";
  e["tiny"] = "@3@";
  e["nested"] = "@4@";
  RawEvent r = extract_line(line_with(e, {"9007199254740993", "123456789012345678901234567890", "1e400", "0.1e-400",
                                          R"({"x": [1.00, -0, 2E+5, -9223372036854775809]})"}));
  EXPECT_EQ(*r.ints[RawEvent::Position], 9007199254740993) << "2^53 + 1: a double says ...992";
  EXPECT_EQ(
      *r.extras,
      R"({"big":123456789012345678901234567890,"huge":1e400,"nested":{"x": [1.00, -0, 2E+5, -9223372036854775809]},"tiny":0.1e-400})")
      << "in the line's order (nlohmann sorted the keys)";

  auto whole = event("click", 2);
  whole["position"] = "@0@";
  EXPECT_EQ(*extract_line(line_with(whole, {"25e1"})).ints[RawEvent::Position], 250);
  whole["position"] = "@0@";
  const RawEvent beyond = extract_line(line_with(whole, {"9223372036854775808"}));
  EXPECT_FALSE(beyond.ints[RawEvent::Position].has_value()) << "beyond bigint: kept in extras, as written";
  EXPECT_EQ(*beyond.extras, R"({"position":9223372036854775808})");

  auto purchase = event("purchase", 3);
  purchase["extra_data"] = "@0@";
  const std::string object =
      R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 1e400}], "ref": 123456789012345678901234567890})";
  EXPECT_EQ(*extract_line(line_with(purchase, {object})).extra_data, object) << "an object, as written";
}

TEST(RawEvent, NaiveTimestampsUseTheZone) {
  auto e = event("page_view", 1);
  e["timestamp"] = "2024-05-01T01:00:00";
  RawEvent r = extract(e, FixedOffsetZone(9 * 3600));
  EXPECT_EQ(r.time.unix_micros, (days_from_civil(2024, 4, 30) * 86400 + 16 * 3600) * 1000000LL);
  EXPECT_EQ(format_day(r.time.event_day), "2024-05-01");
}

TEST(RawEvent, MoneyIsTheNumberAsWrittenRoundedAsNumeric14_2) {
  auto h = [](const char* text) {
    int64_t out = -1;
    return numeric_14_2_hundredths(text, out) ? out : INT64_MIN;
  };
  EXPECT_EQ(h("12345678.1249999999"), 1234567812) << "a double would say .125 and round up";
  EXPECT_EQ(h("1234567.0049999999"), 123456700);
  EXPECT_EQ(h("123456789012.345"), 12345678901235) << "half away from zero";
  EXPECT_EQ(h("-1.005"), -101);
  EXPECT_EQ(h("0.1"), 10);
  EXPECT_EQ(h("0.004"), 0);
  EXPECT_EQ(h("1e2"), 10000);
  EXPECT_EQ(h("1.5E+3"), 150000);
  EXPECT_EQ(h("25e-1"), 250);
  EXPECT_EQ(h("5e-3"), 1);
  EXPECT_EQ(h("1e-400"), 0);
  EXPECT_EQ(h("-0"), 0);
  EXPECT_EQ(h("999999999999.994"), 99999999999999);
  EXPECT_EQ(h("999999999999.995"), INT64_MIN) << "rounds past numeric(14,2)";
  EXPECT_EQ(h("1e12"), INT64_MIN);
  EXPECT_EQ(h("1e400"), INT64_MIN);
  EXPECT_EQ(h("\"1\""), INT64_MIN);
  EXPECT_EQ(h("1e"), INT64_MIN) << "an exponent without digits";
  EXPECT_EQ(h("0.0000001e7"), 100);
  EXPECT_EQ(h("123456789012345678e-6"), 12345678901235) << "18 digits, the point moved";
}

TEST(RawEvent, MoneyComesFromTheLinesOwnText) {
  RawEventExtractor x(fixture::schema());
  std::string line = event("add_to_cart", 1).dump();
  line.insert(1, R"("nested": {"unit_price": 5, "s": "}\""}, "unit_price" : 1234567.0049999999 ,)");
  const auto at = line.find(R"("unit_price":)", 80);
  line.erase(at, line.find_first_of(",}", at) - at + 1);  // the fixture's own unit_price
  RawEvent r;
  std::string why;
  ASSERT_TRUE(x.extract(line, FixedOffsetZone(0), r, why)) << why << " in " << line;
  EXPECT_EQ(*r.hundredths[RawEvent::UnitPrice], 123456700) << line;
}
