// ISO 8601 event timestamps: the exact grammar of docs/CHECKS.md, calendar validation, and time-zone resolution.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace ecpipe {

// A timestamp as written: fields are those of the text, fraction already rounded to microseconds.
struct WrittenTimestamp {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t micros = 0;       // 0..1'000'000 (1'000'000 when rounding carried into the next second)
  bool has_offset = false;  // Z or ±hh:mm present
  int offset_seconds = 0;   // east of UTC
};

// Parses ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$ and checks it is a real calendar
// date and time. On failure returns false and sets why (e.g. "not ISO 8601", "month 13 out of range").
bool parse_timestamp(std::string_view text, WrittenTimestamp& out, std::string& why);

// Division rounding towards negative infinity (seconds before 1970 belong to earlier days).
inline int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
// The inverse: a day number to year/month/day.
void civil_from_days(int64_t z, int& y, int& m, int& d);

// ecpipe.timezone as the core needs it. The PostgreSQL glue implements it with the server's tz database;
// tests use FixedOffsetZone.
class TimeZone {
 public:
  virtual ~TimeZone() = default;
  // Offset east of UTC, in seconds, in force at a UTC instant.
  virtual int64_t offset_at_utc(int64_t utc_seconds) const = 0;
  // Offset that applies to a wall-clock time written without a zone (seconds since 1970 as if UTC).
  virtual int64_t offset_for_local(int64_t local_seconds) const = 0;
};

class FixedOffsetZone final : public TimeZone {
 public:
  explicit FixedOffsetZone(int64_t offset_seconds = 0) : offset_(offset_seconds) {}
  int64_t offset_at_utc(int64_t) const override { return offset_; }
  int64_t offset_for_local(int64_t) const override { return offset_; }

 private:
  int64_t offset_;
};

// A resolved event time: the instant and the event day (local date in the zone).
struct EventTime {
  int64_t unix_micros = 0;  // microseconds since 1970-01-01 00:00:00 UTC
  int32_t event_day = 0;    // days since 1970-01-01, in the zone
};

EventTime resolve_timestamp(const WrittenTimestamp& ts, const TimeZone& zone);

// "YYYY-MM-DD" for a day number (for messages and tests).
std::string format_day(int64_t day);

}  // namespace ecpipe
