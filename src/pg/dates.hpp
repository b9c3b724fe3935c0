// The one place that shifts between PostgreSQL's dates and timestamps (counted from 2000-01-01) and the core's day
// numbers and microseconds (counted from 1970-01-01), and the range of days ecpipe accepts.
#pragma once
#include "pg_includes.hpp"

namespace ecpipe::pg {

constexpr int64_t kUnixToPostgresDays = POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE;  // 10957

inline int64_t unix_day(DateADT d) { return static_cast<int64_t>(d) + kUnixToPostgresDays; }
inline DateADT pg_date(int64_t unix_day) { return static_cast<DateADT>(unix_day - kUnixToPostgresDays); }
inline TimestampTz pg_timestamptz(int64_t unix_micros) { return unix_micros - kUnixToPostgresDays * USECS_PER_DAY; }
inline int64_t unix_micros(TimestampTz t) { return t + kUnixToPostgresDays * USECS_PER_DAY; }

// The days ecpipe files anything under: 0001-01-01 to 9999-12-31, so that every name made from a day
// (events_YYYYMMDD.jsonl, raw_events_YYYYMMDD) belongs to exactly one day. Throws 22008 for any other day
// (infinity, BC, year 0, five-digit years), naming the function; ecpipe.check_day is the SQL twin.
void require_pipeline_day(DateADT day, const char* function_name);

}  // namespace ecpipe::pg
