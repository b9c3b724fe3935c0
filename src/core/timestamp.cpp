// Event timestamp grammar, calendar checks and conversion to an instant and an event day.
#include "ecpipe/timestamp.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

// Microseconds of a fraction's digits, as PostgreSQL's timestamp input computes them: rint(fraction × 10^6) of the
// fraction read as a double. Up to six digits that is exact integer arithmetic; past six, halves do not always
// round up (.1234565 is 123456, as the server says).
int64_t fraction_micros(std::string_view digits) {
  if (digits.size() <= 6) {
    int64_t scaled = 0;
    for (char c : digits) scaled = scaled * 10 + (c - '0');
    for (size_t i = digits.size(); i < 6; ++i) scaled *= 10;
    return scaled;
  }
  const std::string text = "0." + std::string(digits);
  return static_cast<int64_t>(std::rint(std::strtod(text.c_str(), nullptr) * 1e6));
}

bool digits(std::string_view s, size_t at, size_t n, int& value) {
  if (at + n > s.size()) return false;
  value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

bool parse_timestamp(std::string_view s, WrittenTimestamp& t, std::string& why) {
  why.clear();
  // Fixed part: YYYY-MM-DDTHH:MM:SS
  if (!(digits(s, 0, 4, t.year) && s.size() > 4 && s[4] == '-' && digits(s, 5, 2, t.month) && s.size() > 7 &&
        s[7] == '-' && digits(s, 8, 2, t.day) && s.size() > 10 && s[10] == 'T' && digits(s, 11, 2, t.hour) &&
        s.size() > 13 && s[13] == ':' && digits(s, 14, 2, t.minute) && s.size() > 16 && s[16] == ':' &&
        digits(s, 17, 2, t.second))) {
    why = "not ISO 8601 (YYYY-MM-DDTHH:MM:SS[.fff][Z|±hh:mm])";
    return false;
  }
  size_t at = 19;
  t.micros = 0;
  if (at < s.size() && s[at] == '.') {
    const size_t start = ++at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
    if (at == start) {
      why = "not ISO 8601: '.' without fraction digits";
      return false;
    }
    t.micros = fraction_micros(s.substr(start, at - start));
  }
  t.has_offset = false;
  t.offset_seconds = 0;
  if (at < s.size()) {
    int oh = 0, om = 0;
    if (s[at] == 'Z' && at + 1 == s.size()) {
      t.has_offset = true;
      at += 1;
    } else if ((s[at] == '+' || s[at] == '-') && at + 6 == s.size() && digits(s, at + 1, 2, oh) && s[at + 3] == ':' &&
               digits(s, at + 4, 2, om)) {
      if (oh > 23 || om > 59) {
        why = "offset out of range";
        return false;
      }
      t.has_offset = true;
      t.offset_seconds = (s[at] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      at += 6;
    } else {
      why = "not ISO 8601: unexpected text after the time";
      return false;
    }
  }
  char buf[64];
  if (t.month < 1 || t.month > 12) {
    std::snprintf(buf, sizeof buf, "month %02d out of range", t.month);
  } else if (t.day < 1 || t.day > days_in_month(t.year, t.month)) {
    std::snprintf(buf, sizeof buf, "day %02d does not exist in %04d-%02d", t.day, t.year, t.month);
  } else if (t.hour > 23 || t.minute > 59 || t.second > 59) {
    std::snprintf(buf, sizeof buf, "time %02d:%02d:%02d out of range", t.hour, t.minute, t.second);
  } else {
    return true;
  }
  why = buf;
  return false;
}

// Howard Hinnant's civil-calendar algorithms.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<int64_t>(yoe) + era * 400 + (m <= 2));
}

EventTime resolve_timestamp(const WrittenTimestamp& t, const TimeZone& zone) {
  const int64_t wall = days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
  const int64_t offset = t.has_offset ? t.offset_seconds : zone.offset_for_local(wall);
  EventTime out;
  out.unix_micros = (wall - offset) * 1000000 + t.micros;
  const int64_t utc_seconds = floor_div(out.unix_micros, 1000000);
  out.event_day = static_cast<int32_t>(floor_div(utc_seconds + zone.offset_at_utc(utc_seconds), 86400));
  return out;
}

std::string format_day(int64_t day) {
  int y, m, d;
  civil_from_days(day, y, m, d);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
  return buf;
}

}  // namespace ecpipe
