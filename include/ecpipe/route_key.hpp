// The key that places a landed line on a Citus shard: its user_id, else its session_id, else its line number.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace ecpipe {

// A line's route key. A user's events and sessions meet on one shard: the key is the line's user_id when it is a
// non-empty string of at most kMaxRouteId bytes without U+0000, else its session_id on the same terms, else the decimal
// line number (a line that is not a JSON object, or has neither). Deterministic on every node; any line gets one.
constexpr size_t kMaxRouteId = 64;
std::string route_key(std::string_view line, int64_t line_no);

}  // namespace ecpipe
