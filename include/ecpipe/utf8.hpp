// UTF-8 helpers shared by the checks (lengths count code points), messages and the landing reader.
#pragma once
#include <cstddef>
#include <string_view>

namespace ecpipe {

// Decodes one code point at the start of s (which must be non-empty); sets len to the bytes used. Invalid
// sequences decode as U+FFFD with len 1, so callers always advance.
inline char32_t utf8_decode(std::string_view s, size_t& len) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) {
    len = 1;
    return c;
  }
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
  if (extra < 0 || s.size() <= static_cast<size_t>(extra)) {
    len = 1;
    return 0xFFFD;
  }
  char32_t cp = c & (0x3F >> extra);
  for (int i = 1; i <= extra; ++i) {
    if ((b(i) & 0xC0) != 0x80) {
      len = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  len = static_cast<size_t>(extra) + 1;
  return cp;
}

// One UTF-8 sequence at the start of a non-empty s, as utf8_decode reads it, and whether it is well formed (no
// overlong, surrogate or value above U+10FFFF; a stray byte is a one-byte ill-formed sequence).
struct Utf8Sequence {
  char32_t code_point;
  size_t length;
  bool well_formed;
};
inline Utf8Sequence utf8_sequence(std::string_view s) {
  size_t len = 0;
  const char32_t cp = utf8_decode(s, len);
  if (len == 1) return {cp, 1, static_cast<unsigned char>(s[0]) < 0x80};
  const char32_t smallest = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  return {cp, len, cp >= smallest && !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF};
}

// Number of code points in valid UTF-8: every byte that is not a continuation byte starts one.
inline size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// True when s is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool utf8_valid(std::string_view s);

}  // namespace ecpipe
