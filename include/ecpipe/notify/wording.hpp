// The language of ecpipe's messages and page (ecpipe.language), and numbers as people read them in it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ecpipe {

enum class Language { Korean, English };

// "ko" or "en" (the setting's values); nullopt for anything else.
std::optional<Language> language_named(std::string_view name);

// 1234567 → "1,234,567" (a minus sign kept).
std::string thousands(int64_t n);

// An amount of won given in hundredths (numeric(14,2) × 100): "125,000원" in Korean, "KRW 125,000" in English; the
// hundredths are shown only when there are any ("KRW 12.50").
std::string won(int64_t hundredths, Language language);

// A number (a JSON number of a summary) as a count of hundredths, rounded half away from zero; nullopt when it is
// not finite or past what a double holds exactly.
std::optional<int64_t> hundredths_of(double value);

}  // namespace ecpipe
