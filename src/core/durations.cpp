// Duration parsing for ecpipe.max_future (PostgreSQL-interval-like spellings, without a server), and its default.
#include "ecpipe/durations.hpp"

#include "ecpipe/settings.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "ecpipe/error.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

double unit_micros(std::string_view u) {
  struct Unit {
    const char* name;
    double micros;
  };
  static const Unit kUnits[] = {
      {"us", 1},       {"microsecond", 1},   {"microseconds", 1},
      {"ms", 1e3},     {"millisecond", 1e3}, {"milliseconds", 1e3},
      {"s", 1e6},      {"sec", 1e6},         {"secs", 1e6},
      {"second", 1e6}, {"seconds", 1e6},     {"min", 6e7},
      {"mins", 6e7},   {"minute", 6e7},      {"minutes", 6e7},
      {"h", 3.6e9},    {"hour", 3.6e9},      {"hours", 3.6e9},
      {"d", 8.64e10},  {"day", 8.64e10},     {"days", 8.64e10},
      {"w", 6.048e11}, {"week", 6.048e11},   {"weeks", 6.048e11},
  };
  for (const auto& unit : kUnits)
    if (u == unit.name) return unit.micros;
  return 0;
}

}  // namespace

bool parse_duration(std::string_view text, int64_t& micros, std::string& why) {
  size_t i = 0;
  double total = 0;
  bool any = false;
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  skip_space();
  while (i < text.size()) {
    size_t start = i;
    if (text[i] == '+' || text[i] == '-') ++i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
    std::string number(text.substr(start, i - start));
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size()) {
      why = "expected a number at \"" + std::string(text.substr(start)) + "\"";
      return false;
    }
    skip_space();
    start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string unit(text.substr(start, i - start));
    for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    double scale = unit.empty() ? 1e6 : unit_micros(unit);  // a bare number means seconds
    if (scale == 0) {
      why = "unknown unit \"" + unit + "\" (use us, ms, s, min, h, d or w)";
      return false;
    }
    total += value * scale;
    any = true;
    skip_space();
  }
  if (!any) {
    why = "empty duration";
    return false;
  }
  if (total < 0 || !std::isfinite(total) || total > 9.2e18) {
    why = "duration must be between 0 and 292,000 years";
    return false;
  }
  micros = static_cast<int64_t>(std::llround(total));
  return true;
}

int64_t default_max_future_us() {
  static const int64_t micros = [] {
    int64_t parsed = 0;
    std::string why;
    if (!parse_duration(kDefaultMaxFuture, parsed, why)) throw Error(ErrorKind::Internal, "kDefaultMaxFuture: " + why);
    return parsed;
  }();
  return micros;
}

}  // namespace ecpipe
