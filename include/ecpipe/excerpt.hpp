// Cutting and escaping operator- or data-supplied text before it is quoted in an error message.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace ecpipe {

// At most max_chars code points of s, then "…" if anything was cut. Control characters, DEL and bytes that are
// not well-formed UTF-8 are written as \xHH, so the result is one printable line of valid UTF-8.
std::string message_excerpt(std::string_view s, size_t max_chars = 200);

// A JSON pointer token (RFC 6901: "~" -> "~0", "/" -> "~1").
std::string json_pointer_token(std::string_view key);

}  // namespace ecpipe
