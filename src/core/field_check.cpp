// Check 3's per-value rules: type, enum, pattern, format, numeric bounds and lengths, with readable reasons.
#include "field_check.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ecpipe/timestamp.hpp"
#include "ecpipe/utf8.hpp"
#include "json_event.hpp"
#include "uuid_text.hpp"
#include "ecpipe/quote.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe::detail {

namespace {

std::string type_list(uint8_t types) {
  static const std::pair<uint8_t, const char*> kNames[] = {
      {kString, "string"}, {kNumber, "number"}, {kInteger, "integer"}, {kBoolean, "boolean"},
      {kObject, "object"}, {kArray, "array"},   {kNull, "null"}};
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(types & bit)) continue;
    if (bit == kInteger && (types & kNumber)) continue;  // "number" already admits integers
    if (!out.empty()) out += " or ";
    out += name;
  }
  return out;
}

}  // namespace

bool is_uuid(std::string_view s) { return parse_uuid_text(s, nullptr); }

bool is_absolute_uri(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(s[0])) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!(alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
  }
  size_t i = 0;
#if defined(__SSE2__)
  // Sixteen bytes at a time while they are all printable ASCII (0x21..0x7E), the whole of a normal URL.
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i printable =
        _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)), _mm_cmpgt_epi8(x, _mm_set1_epi8(0x20)));
    if (_mm_movemask_epi8(printable) != 0xFFFF) break;
  }
#endif
  while (i < s.size()) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    if (b > 0x20 && b < 0x7F) {  // printable ASCII: the common case
      ++i;
      continue;
    }
    size_t len = 0;
    char32_t cp = utf8_decode(s.substr(i), len);
    if (cp <= 0x20 || cp == 0x7F || cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
        cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
      return false;
    i += len;
  }
  return true;
}

bool value_satisfies(const FieldRule& rule, simdjson::dom::element v, std::string& reason) {
  const uint8_t bits = json_type_bits(v);
  auto fail = [&](const std::string& why) {
    reason = rule.name + ": " + why;
    return false;
  };
  if (rule.types && !(bits & rule.types))
    return fail("expected " + type_list(rule.types) + ", got " + json_type_name(v) + " " + describe(v));

  if (bits & kString) {
    std::string_view s(v.get_string().value_unsafe());
    if (rule.has_enum) {
      bool found = false;
      for (const auto& e : rule.enum_strings)
        if (e == s) {
          found = true;
          break;
        }
      if (!found) {
        std::string allowed;
        for (const auto& e : rule.enum_strings) allowed += (allowed.empty() ? "" : ", ") + e;
        return fail(describe(v) + " is not one of " + allowed);
      }
    }
    if (rule.min_length || rule.max_length) {
      const size_t n = utf8_length(s);
      if (rule.min_length && n < *rule.min_length)
        return fail(std::to_string(n) + " characters < minLength " + std::to_string(*rule.min_length));
      if (rule.max_length && n > *rule.max_length)
        return fail(std::to_string(n) + " characters > maxLength " + std::to_string(*rule.max_length));
    }
    if (rule.pattern && !rule.pattern->search(s))
      return fail(describe(v) + " does not match " + rule.pattern->source());
    switch (rule.format) {
      case Format::None: break;
      case Format::Uuid:
        if (!is_uuid(s)) return fail(describe(v) + " is not a UUID");
        break;
      case Format::Uri:
        if (!is_absolute_uri(s)) return fail(describe(v) + " is not an absolute URI");
        break;
      case Format::DateTime: {
        WrittenTimestamp t;
        std::string why;
        if (!parse_timestamp(s, t, why)) return fail(describe(v) + " is not a date-time: " + why);
        break;
      }
    }
    return true;
  }
  if (rule.has_enum && !(bits == kNull && rule.enum_allows_null)) return fail(describe(v) + " is not an allowed value");
  if (bits & kNumber) {
    double d = 0;
    number_of(v, d);
    // The value is described only for a reason: most numbers pass.
    if (rule.minimum && d < *rule.minimum) return fail(describe(v) + " < minimum " + number_text(*rule.minimum));
    if (rule.maximum && d > *rule.maximum) return fail(describe(v) + " > maximum " + number_text(*rule.maximum));
    if (rule.exclusive_minimum && d <= *rule.exclusive_minimum)
      return fail(describe(v) + " <= exclusiveMinimum " + number_text(*rule.exclusive_minimum));
    if (rule.exclusive_maximum && d >= *rule.exclusive_maximum)
      return fail(describe(v) + " >= exclusiveMaximum " + number_text(*rule.exclusive_maximum));
  }
  return true;
}

}  // namespace ecpipe::detail
