// Run settings the checks depend on: the ecpipe.* GUCs as plain values.
#pragma once
#include <cstdint>

namespace ecpipe {

// The defaults of the settings the checks read: Settings below starts from them, and the GUC definitions take them
// as their boot values.
constexpr double kDefaultMinPassRate = 99.0;
constexpr int kDefaultMinYear = 2020;
constexpr const char* kDefaultMaxFuture = "1 day";  // as SHOW ecpipe.max_future writes it
constexpr double kDefaultAmountTolerance = 1.0;
constexpr int kDefaultMaxLineBytes = 64 << 20;

// kDefaultMaxFuture in microseconds.
int64_t default_max_future_us();

struct Settings {
  double min_pass_rate = kDefaultMinPassRate;         // ecpipe.min_pass_rate, percent
  int min_year = kDefaultMinYear;                     // ecpipe.min_year: earlier written years fail check 5
  int64_t max_future_us = default_max_future_us();    // ecpipe.max_future: how far after now() a timestamp may be
  double amount_tolerance = kDefaultAmountTolerance;  // ecpipe.amount_tolerance, in currency units
  int64_t now_us = 0;                                 // now() as microseconds since 1970 (UTC)
  int64_t max_line_bytes = kDefaultMaxLineBytes;      // ecpipe.max_line_bytes: a longer line is unparseable
};

}  // namespace ecpipe
