// Cutting values that come from data before they reach a reason, a sample, a message or a log.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace ecpipe {

// How many characters of one data value a reason or sample quotes: enough to recognise it, never its megabytes.
constexpr size_t kMaxQuotedChars = 200;
// How many characters a whole reason (or line detail part) may have, whatever it quotes.
constexpr size_t kMaxReasonChars = 1000;

// The first max_chars characters of s followed by "…" when s was longer. The result is always valid UTF-8 that
// PostgreSQL text can hold: an invalid byte becomes U+FFFD and U+0000 is written as the six characters \u0000.
std::string cut_value(std::string_view s, size_t max_chars = kMaxQuotedChars);

}  // namespace ecpipe
