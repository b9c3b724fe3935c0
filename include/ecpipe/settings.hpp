// Run settings the checks depend on: the ecpipe.* GUCs as plain values.
#pragma once
#include <cstdint>

namespace ecpipe {

struct Settings {
  double min_pass_rate = 99.0;                     // ecpipe.min_pass_rate, percent
  int min_year = 2020;                             // ecpipe.min_year: earlier written years fail check 5
  int64_t max_future_us = 86400LL * 1000000;       // ecpipe.max_future: how far after now() a timestamp may be
  double amount_tolerance = 1.0;                   // ecpipe.amount_tolerance, in currency units
  int64_t now_us = 0;                              // now() as microseconds since 1970 (UTC)
  int64_t max_line_bytes = 64LL << 20;             // ecpipe.max_line_bytes: a longer line is unparseable
};

}  // namespace ecpipe
