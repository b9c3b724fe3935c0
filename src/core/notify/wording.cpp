// Thousands separators and won amounts for messages and the page, in the reader's language.
#include "ecpipe/notify/wording.hpp"

#include <cmath>

#include "ecpipe/core_only.hpp"

namespace ecpipe {

std::optional<Language> language_named(std::string_view name) {
  if (name == "ko") return Language::Korean;
  if (name == "en") return Language::English;
  return std::nullopt;
}

std::string thousands(int64_t n) {
  const bool negative = n < 0;
  uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  std::string digits = std::to_string(magnitude), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string won(int64_t hundredths, Language language) {
  const bool negative = hundredths < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(hundredths) : static_cast<uint64_t>(hundredths);
  std::string amount = thousands(static_cast<int64_t>(magnitude / 100));
  if (magnitude % 100 != 0) {
    const unsigned cents = static_cast<unsigned>(magnitude % 100);
    amount += '.';
    amount += static_cast<char>('0' + cents / 10);
    amount += static_cast<char>('0' + cents % 10);
  }
  if (negative) amount = "-" + amount;
  return language == Language::Korean ? amount + "\xEC\x9B\x90" : "KRW " + amount;  // 원
}

std::optional<int64_t> hundredths_of(double value) {
  if (!std::isfinite(value)) return std::nullopt;
  const double scaled = std::round(value * 100);
  if (std::fabs(scaled) > 9.0e15) return std::nullopt;  // past what a double holds exactly
  return static_cast<int64_t>(scaled);
}

}  // namespace ecpipe
