// Conversions between PostgreSQL dates (days since 2000-01-01) and the core's day numbers (since 1970-01-01).
#pragma once
#include "pg_includes.hpp"

namespace ecpipe::pg {

constexpr int64_t kUnixToPostgresDays = POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE;  // 10957

inline int64_t unix_day(DateADT d) { return static_cast<int64_t>(d) + kUnixToPostgresDays; }
inline DateADT pg_date(int64_t unix_day) { return static_cast<DateADT>(unix_day - kUnixToPostgresDays); }
inline TimestampTz pg_timestamptz(int64_t unix_micros) { return unix_micros - kUnixToPostgresDays * USECS_PER_DAY; }

}  // namespace ecpipe::pg
