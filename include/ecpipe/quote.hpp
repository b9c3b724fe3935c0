// Cutting values that come from data (or from an operator) before they reach a reason, a sample, a message or a log.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace ecpipe {

// How many characters of one data value a reason or sample quotes: enough to recognise it, never its megabytes.
constexpr size_t kMaxQuotedChars = 200;
// How many characters a whole reason (or line detail part) may have, whatever it quotes.
constexpr size_t kMaxReasonChars = 1000;

// For values stored in reasons and samples: the first max_chars characters of s followed by "…" when s was longer.
// The result is always valid UTF-8 that PostgreSQL text can hold: an invalid byte becomes U+FFFD and U+0000 is
// written as the six characters \u0000.
std::string cut_value(std::string_view s, size_t max_chars = kMaxQuotedChars);

// For error messages: at most max_chars code points of s, then "…" if anything was cut. Control characters, DEL and
// bytes that are not well-formed UTF-8 are written as \xHH, so the result is one printable line of valid UTF-8.
std::string message_excerpt(std::string_view s, size_t max_chars = kMaxQuotedChars);

// A number as a reason shows it: up to 15 significant digits, no trailing zeros ("120", "0.1", "1e+20").
std::string number_text(double d);

// A JSON pointer token (RFC 6901: "~" -> "~0", "/" -> "~1").
std::string json_pointer_token(std::string_view key);

}  // namespace ecpipe
