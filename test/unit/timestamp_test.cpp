// Timestamp grammar, calendar validity, rounding and zone resolution.
#include <gtest/gtest.h>

#include "ecpipe/timestamp.hpp"

using namespace ecpipe;

namespace {
bool parses(const char* s) {
  WrittenTimestamp t;
  std::string why;
  return parse_timestamp(s, t, why);
}
}  // namespace

TEST(Timestamp, AcceptsTheSpecGrammar) {
  for (const char* s : {"2024-01-01T00:00:00", "2024-01-01T23:59:59Z", "2024-02-29T12:00:00.5+09:00",
                        "2024-01-01T00:00:00.123456789-05:30"})
    EXPECT_TRUE(parses(s)) << s;
}

TEST(Timestamp, RefusesOtherShapesAndImpossibleDates) {
  for (const char* s : {"not-a-date", "2024-01-01", "2024-01-01 00:00:00", "2024-01-01T00:00", "2024-1-01T00:00:00",
                        "2024-01-01T00:00:00.", "2024-01-01T00:00:00+0900", "2024-01-01T00:00:00z",
                        "2023-02-29T00:00:00", "2024-13-01T00:00:00", "2024-04-31T00:00:00", "2024-01-01T24:00:00",
                        "2024-01-01T00:60:00", "2024-01-01T00:00:60", "2024-01-01T00:00:00Z ", ""})
    EXPECT_FALSE(parses(s)) << s;
}

TEST(Timestamp, RoundsToTheNearestMicrosecondAsPostgreSQLDoes) {
  // The expected values are PostgreSQL 15's for the same text ('...'::timestamptz): rint(fraction × 10^6).
  WrittenTimestamp t;
  std::string why;
  const std::pair<const char*, int64_t> cases[] = {
      {"2024-01-01T00:00:00.1234565Z", 123456}, {"2024-01-01T00:00:00.1234575Z", 123458},
      {"2024-01-01T00:00:00.0000005Z", 0},      {"2024-01-01T00:00:00.0000015Z", 2},
      {"2024-01-01T00:00:00.0000025Z", 2},      {"2024-01-01T00:00:00.12345650000001Z", 123457},
      {"2024-01-01T00:00:00.123Z", 123000},     {"2024-01-01T00:00:00.654321Z", 654321},
  };
  for (const auto& [text, micros] : cases) {
    ASSERT_TRUE(parse_timestamp(text, t, why)) << text;
    EXPECT_EQ(t.micros, micros) << text;
  }
  ASSERT_TRUE(parse_timestamp("2024-12-31T23:59:59.9999995Z", t, why));
  EventTime e = resolve_timestamp(t, FixedOffsetZone(0));
  EXPECT_EQ(e.unix_micros, days_from_civil(2025, 1, 1) * 86400LL * 1000000);
  EXPECT_EQ(format_day(e.event_day), "2025-01-01") << "rounding carries into the next day";
}

TEST(Timestamp, OffsetsAndZonesDecideTheEventDay) {
  WrittenTimestamp t;
  std::string why;
  ASSERT_TRUE(parse_timestamp("2024-01-01T23:30:00-01:00", t, why));
  EXPECT_EQ(format_day(resolve_timestamp(t, FixedOffsetZone(0)).event_day), "2024-01-02");
  EXPECT_EQ(format_day(resolve_timestamp(t, FixedOffsetZone(-3600)).event_day), "2024-01-01");
  ASSERT_TRUE(parse_timestamp("2024-01-01T08:00:00", t, why));  // naive: wall time in the zone
  EventTime seoul = resolve_timestamp(t, FixedOffsetZone(9 * 3600));
  EXPECT_EQ(seoul.unix_micros, (days_from_civil(2023, 12, 31) * 86400 + 23 * 3600) * 1000000LL);
  EXPECT_EQ(format_day(seoul.event_day), "2024-01-01");
}

TEST(Timestamp, CivilDaysRoundTrip) {
  for (int64_t d : {-719468LL, -1LL, 0LL, 19723LL, 2932896LL}) {
    int y, m, dd;
    civil_from_days(d, y, m, dd);
    EXPECT_EQ(days_from_civil(y, m, dd), d);
  }
  EXPECT_EQ(format_day(0), "1970-01-01");
}
