// cut_value: the one way a value from data is shortened before it is quoted (see include/ecpipe/quote.hpp).
#include "ecpipe/quote.hpp"

#include "ecpipe/utf8.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

std::string cut_value(std::string_view s, size_t max_chars) {
  std::string out;
  out.reserve(s.size() < max_chars ? s.size() : max_chars + 8);
  size_t at = 0, chars = 0;
  while (at < s.size() && chars < max_chars) {
    size_t len = 0;
    const char32_t cp = utf8_decode(s.substr(at), len);
    const char32_t least = len == 2 ? 0x80 : len == 3 ? 0x800 : len == 4 ? 0x10000 : 0;
    const bool invalid = (cp == 0xFFFD && len == 1) || cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF);
    if (invalid) {
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte or sequence that is not UTF-8
    } else if (cp == 0) {
      out += "\\u0000";
    } else {
      out.append(s.substr(at, len));
    }
    at += len;
    ++chars;
  }
  if (at < s.size()) out += "…";
  return out;
}

}  // namespace ecpipe
