// The raw-event extractor: typed columns only for fields of the event's own type, everything else kept in extras.
#include <gtest/gtest.h>

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
  EXPECT_DOUBLE_EQ(*r.numbers[RawEvent::UnitPrice], 89000);
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
  RawEvent r = extract(event("purchase", 1));
  EXPECT_EQ(
      *r.extra_data,
      R"({"products":[{"product_id":"P1001","quantity":1,"unit_price":89000}],"discount_amount":0,"shipping_fee":0,"coupon_code":null})");
  auto bad = event("purchase", 2);
  bad["extra_data"] = "{not json";
  RawEvent kept = extract(bad);
  EXPECT_FALSE(kept.extra_data.has_value());
  EXPECT_EQ(*kept.extras, R"({"extra_data":"{not json"})") << "an undecodable extra_data is kept, not lost";
}

TEST(RawEvent, NaiveTimestampsUseTheZone) {
  auto e = event("page_view", 1);
  e["timestamp"] = "2024-05-01T01:00:00";
  RawEvent r = extract(e, FixedOffsetZone(9 * 3600));
  EXPECT_EQ(r.time.unix_micros, (days_from_civil(2024, 4, 30) * 86400 + 16 * 3600) * 1000000LL);
  EXPECT_EQ(format_day(r.time.event_day), "2024-05-01");
}
