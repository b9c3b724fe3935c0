// The event day of a landed line, read from its timestamp alone: what the distributed load needs to make a batch's
// raw partitions before it converts the lines.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "ecpipe/timestamp.hpp"

namespace ecpipe {

// The day (days since 1970-01-01, in zone) of the line's "timestamp", as RawEventExtractor resolves it; nothing for a
// line that is not a JSON object with a valid timestamp string (a blank line, a line that does not parse).
std::optional<int32_t> line_event_day(std::string_view line, const TimeZone& zone);

}  // namespace ecpipe
