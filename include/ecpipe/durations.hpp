// The duration syntax ecpipe.max_future accepts ('1 day', '36 hours', '1d 12h'), parsed without a server.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace ecpipe {

// Parses a duration such as '1 day', '36 hours', '1d 12h', '90 min', '30s' (units: us, ms, s, min, h, d, w and
// their spelled-out forms). Returns false and sets why for anything else or a negative total.
bool parse_duration(std::string_view text, int64_t& micros, std::string& why);

}  // namespace ecpipe
