// The one way a value from data or an operator is shortened before it is quoted (see include/ecpipe/quote.hpp).
#include "ecpipe/quote.hpp"

#include "ecpipe/utf8.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

// The UTF-8 sequence at the start of a non-empty s as utf8_decode reads it, and whether it is well formed (no
// overlong, surrogate or value above U+10FFFF; a stray byte is a one-byte ill-formed sequence).
struct Sequence {
  size_t length;
  bool well_formed;
};
Sequence sequence_at(std::string_view s) {
  if (static_cast<unsigned char>(s[0]) < 0x80) return {1, true};
  size_t len = 0;
  const char32_t cp = utf8_decode(s, len);
  if (len == 0) len = 1;
  const char32_t smallest = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  const bool ok = len > 1 && cp >= smallest && !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
  return {len, ok};
}

// Walks s a character at a time, at most max_chars of them; `emit(out, sequence, well_formed)` writes each; adds
// "…" when s did not fit.
template <typename Emit>
std::string cut_with(std::string_view s, size_t max_chars, Emit emit) {
  std::string out;
  out.reserve(s.size() < max_chars ? s.size() : max_chars + 8);
  size_t at = 0, chars = 0;
  while (at < s.size() && chars < max_chars) {
    const Sequence seq = sequence_at(s.substr(at));
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
    if (!well_formed) out += "\xEF\xBF\xBD";  // U+FFFD for a sequence that is not UTF-8
    else if (seq[0] == '\0') out += "\\u0000";
    else out.append(seq);
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
