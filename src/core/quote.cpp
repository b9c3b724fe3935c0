// The one way a value from data or an operator is shortened before it is quoted (see include/ecpipe/quote.hpp).
#include "ecpipe/quote.hpp"

#include <cstdio>

#include "ecpipe/utf8.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

// Walks s a character at a time, at most max_chars of them; `emit(out, sequence, well_formed)` writes each; adds
// "…" when s did not fit.
template <typename Emit>
std::string cut_with(std::string_view s, size_t max_chars, Emit emit) {
  std::string out;
  out.reserve(s.size() < max_chars ? s.size() : max_chars + 8);
  size_t at = 0, chars = 0;
  while (at < s.size() && chars < max_chars) {
    const Utf8Sequence seq = utf8_sequence(s.substr(at));
    emit(out, s.substr(at, seq.length), seq.well_formed);
    at += seq.length;
    ++chars;
  }
  if (at < s.size()) out += "…";
  return out;
}

void hex_byte(std::string& out, unsigned char b) {
  static const char digits[] = "0123456789ABCDEF";
  out += "\\x";
  out += digits[b >> 4];
  out += digits[b & 15];
}

}  // namespace

std::string cut_value(std::string_view s, size_t max_chars) {
  return cut_with(s, max_chars, [](std::string& out, std::string_view seq, bool well_formed) {
    if (!well_formed)
      out += "\xEF\xBF\xBD";  // U+FFFD for a sequence that is not UTF-8
    else if (seq[0] == '\0')
      out += "\\u0000";
    else
      out.append(seq);
  });
}

std::string message_excerpt(std::string_view s, size_t max_chars) {
  return cut_with(s, max_chars, [](std::string& out, std::string_view seq, bool well_formed) {
    const auto first = static_cast<unsigned char>(seq[0]);
    if (!well_formed) {
      for (char b : seq) hex_byte(out, static_cast<unsigned char>(b));
    } else if (first < 0x20 || first == 0x7F) {
      hex_byte(out, first);
    } else {
      out.append(seq);
    }
  });
}

std::string number_text(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

std::string json_pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

}  // namespace ecpipe
