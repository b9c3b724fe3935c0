// A line's event day from its timestamp alone: the day the raw-event extractor gives, in any zone; none for a line
// without a valid timestamp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ecpipe/line_day.hpp"
#include "ecpipe/raw_event.hpp"
#include "event_fixture.hpp"

using namespace ecpipe;

TEST(LineDay, TheExtractorsDayInEveryZone) {
  const std::vector<std::string> lines = fixture::generated_day(days_from_civil(2024, 5, 1), 100, 5, 0.05);
  RawEventExtractor extractor(fixture::schema());
  size_t compared = 0;
  for (const int64_t offset : {0L, 9 * 3600L, -11 * 3600L}) {
    const FixedOffsetZone zone(offset);
    for (const std::string& line : lines) {
      RawEvent event;
      std::string why;
      const std::optional<int32_t> day = line_event_day(line, zone);
      if (!extractor.extract(line, zone, event, why)) continue;  // never loaded: the load asks no day of it
      ASSERT_TRUE(day.has_value()) << line;
      EXPECT_EQ(*day, event.time.event_day) << line;
      ++compared;
    }
  }
  EXPECT_GT(compared, 3 * (lines.size() * 9 / 10));
}

TEST(LineDay, NoneWithoutAValidTimestamp) {
  const FixedOffsetZone utc(0);
  EXPECT_EQ(line_event_day(R"({"timestamp": "2024-05-01T23:30:00"})", FixedOffsetZone(3600)),
            days_from_civil(2024, 5, 1))
      << "a time without a zone is the zone's wall clock";
  EXPECT_EQ(line_event_day(R"({"timestamp": "2024-05-01T23:30:00Z"})", FixedOffsetZone(3600)),
            days_from_civil(2024, 5, 2))
      << "an instant falls on the zone's next day";
  EXPECT_EQ(line_event_day(R"({"timestamp": "2024-05-01T01:30:00+09:00"})", utc), days_from_civil(2024, 4, 30));
  EXPECT_FALSE(line_event_day("", utc).has_value()) << "a blank line";
  EXPECT_FALSE(line_event_day("{\"timestamp\": \"2024-05-01T", utc).has_value()) << "a truncated line";
  EXPECT_FALSE(line_event_day(R"({"timestamp": 1714521600})", utc).has_value()) << "not a string";
  EXPECT_FALSE(line_event_day(R"({"timestamp": "yesterday"})", utc).has_value());
  EXPECT_FALSE(line_event_day(R"({"event_id": "e"})", utc).has_value()) << "no timestamp";
  EXPECT_FALSE(line_event_day(R"(["2024-05-01T00:00:00"])", utc).has_value()) << "not an object";
  EXPECT_FALSE(line_event_day(std::string(100000, '['), utc).has_value()) << "deep nesting";
}
