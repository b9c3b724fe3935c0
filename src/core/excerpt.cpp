// Cut, escaped excerpts of untrusted text for error messages (see include/ecpipe/excerpt.hpp).
#include "ecpipe/excerpt.hpp"

#include "ecpipe/utf8.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

void hex_byte(std::string& out, unsigned char b) {
  static const char digits[] = "0123456789ABCDEF";
  out += "\\x";
  out += digits[b >> 4];
  out += digits[b & 15];
}

// Length of the well-formed UTF-8 sequence at the start of s (no overlongs, surrogates or values above
// U+10FFFF), or 0 when it is not one.
size_t sequence_length(std::string_view s) {
  size_t len = 0;
  const char32_t cp = utf8_decode(s, len);
  const auto lead = static_cast<unsigned char>(s[0]);
  if (lead < 0x80) return 1;
  if (len == 1) return 0;
  const char32_t smallest = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < smallest || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return 0;
  return len;
}

}  // namespace

std::string message_excerpt(std::string_view s, size_t max_chars) {
  std::string out;
  size_t at = 0, chars = 0;
  while (at < s.size() && chars < max_chars) {
    const auto b = static_cast<unsigned char>(s[at]);
    const size_t len = sequence_length(s.substr(at));
    if (len == 0 || b < 0x20 || b == 0x7F) {
      hex_byte(out, b);
      at += 1;
    } else {
      out.append(s.substr(at, len));
      at += len;
    }
    ++chars;
  }
  if (at < s.size()) out += "…";
  return out;
}

std::string json_pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

}  // namespace ecpipe
