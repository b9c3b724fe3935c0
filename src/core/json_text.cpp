// Valid JSON text read directly: members' value texts, and numbers judged exactly from their digits.
#include "json_text.hpp"

#include <cstring>

#include "json_event.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A JSON number's parts as written: [-] int [. frac] [e|E [+|-] exponent]; an exponent beyond ±(max + 1) is kept
// at that bound, where it is out of numeric's range anyway.
struct WrittenNumber {
  bool negative = false;
  std::string_view int_digits, frac_digits;
  int64_t exponent = 0;
};

WrittenNumber parse_number(std::string_view t) {
  WrittenNumber n;
  size_t i = 0;
  if (i < t.size() && t[i] == '-') n.negative = true, ++i;
  size_t start = i;
  while (i < t.size() && is_digit(t[i])) ++i;
  n.int_digits = t.substr(start, i - start);
  if (i < t.size() && t[i] == '.') {
    start = ++i;
    while (i < t.size() && is_digit(t[i])) ++i;
    n.frac_digits = t.substr(start, i - start);
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool minus = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) minus = t[i] == '-', ++i;
    int64_t e = 0;
    for (; i < t.size() && is_digit(t[i]); ++i)
      if (e <= kNumericMaxExponent) e = e * 10 + (t[i] - '0');
    if (e > kNumericMaxExponent + 1) e = kNumericMaxExponent + 1;
    n.exponent = minus ? -e : e;
  }
  return n;
}

// The digit at position k of int_digits followed by frac_digits.
char digit_at(const WrittenNumber& n, size_t k) {
  return k < n.int_digits.size() ? n.int_digits[k] : n.frac_digits[k - n.int_digits.size()];
}

// The significant digits of a number: the first and one past the last non-zero digit of int + frac (first == end
// for zero), and the power of ten of the last one's place.
struct Significant {
  size_t first = 0, end = 0;
  int64_t last_place = 0;
};

Significant significant(const WrittenNumber& n) {
  const size_t total = n.int_digits.size() + n.frac_digits.size();
  Significant s;
  while (s.first < total && digit_at(n, s.first) == '0') ++s.first;
  s.end = total;
  while (s.end > s.first && digit_at(n, s.end - 1) == '0') --s.end;
  // the place of digit k is 10^(int_digits - 1 - k + exponent)
  if (s.end > s.first)
    s.last_place = static_cast<int64_t>(n.int_digits.size()) - static_cast<int64_t>(s.end) + n.exponent;
  return s;
}

}  // namespace

void MemberTexts::space() {
  while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r')) ++i_;
}

void MemberTexts::skip_string() {  // at the opening quote; past the closing one, found by memchr
  for (++i_;;) {
    const void* quote = i_ < text_.size() ? std::memchr(text_.data() + i_, '"', text_.size() - i_) : nullptr;
    if (!quote) {
      i_ = text_.size();
      return;
    }
    const size_t at = static_cast<const char*>(quote) - text_.data();
    size_t backslashes = 0;
    while (at - backslashes > i_ && text_[at - backslashes - 1] == '\\') ++backslashes;
    i_ = at + 1;
    if (backslashes % 2 == 0) return;  // an escaped quote is part of the string
  }
}

void MemberTexts::skip_to_first() {
  space();
  ++i_;  // '{'
  space();
  done_ = i_ >= text_.size() || text_[i_] == '}';
}

std::string_view MemberTexts::at(size_t k) {
  if (!started_) skip_to_first(), started_ = true;
  if (next_member_ == k + 1) return last_;
  while (next_member_ < k && !done_) next();
  return next_member_ == k ? (last_ = next()) : std::string_view();
}

std::string_view MemberTexts::next() {
  if (done_) return {};
  ++next_member_;
  skip_string();  // the key
  space();
  ++i_;  // ':'
  space();
  const size_t start = i_;
  if (i_ < text_.size() && text_[i_] == '"') {
    skip_string();
  } else if (i_ < text_.size() && (text_[i_] == '{' || text_[i_] == '[')) {
    int depth = 0;
    do {
      if (text_[i_] == '"') {
        skip_string();
        continue;
      }
      if (text_[i_] == '{' || text_[i_] == '[') ++depth;
      if (text_[i_] == '}' || text_[i_] == ']') --depth;
      ++i_;
    } while (i_ < text_.size() && depth > 0);
  } else {
    while (i_ < text_.size() && text_[i_] != ',' && text_[i_] != '}' && text_[i_] != ' ' && text_[i_] != '\t' &&
           text_[i_] != '\n' && text_[i_] != '\r')
      ++i_;
  }
  const std::string_view value = text_.substr(start, i_ - start);
  space();
  if (i_ < text_.size() && text_[i_] == ',') {
    ++i_;
    space();
  } else {
    done_ = true;
  }
  return value;
}

std::string_view member_text(std::string_view object, size_t k) { return MemberTexts(object).at(k); }

bool number_fits_numeric(std::string_view token) {
  const WrittenNumber n = parse_number(token);
  if (n.exponent > kNumericMaxExponent || n.exponent < -kNumericMaxExponent) return false;
  const int64_t scale = static_cast<int64_t>(n.frac_digits.size()) - n.exponent;
  if (scale > kNumericMaxScale) return false;
  const Significant s = significant(n);
  if (s.first == s.end) return true;  // zero
  const int64_t leading_place =
      static_cast<int64_t>(n.int_digits.size()) - 1 - static_cast<int64_t>(s.first) + n.exponent;
  return leading_place < kNumericMaxIntegerDigits;
}

bool number_is_whole(std::string_view token) {
  const WrittenNumber n = parse_number(token);
  const Significant s = significant(n);
  return s.first == s.end || s.last_place >= 0;
}

bool number_to_int64(std::string_view token, int64_t& out) {
  const WrittenNumber n = parse_number(token);
  const Significant s = significant(n);
  if (s.first == s.end) return out = 0, true;
  if (s.last_place < 0 || static_cast<int64_t>(s.end - s.first) + s.last_place > 19) return false;
  unsigned __int128 value = 0;
  for (size_t k = s.first; k < s.end; ++k) value = value * 10 + static_cast<unsigned>(digit_at(n, k) - '0');
  for (int64_t p = 0; p < s.last_place; ++p) value *= 10;
  const unsigned __int128 limit = static_cast<unsigned __int128>(INT64_MAX) + (n.negative ? 1 : 0);
  if (value > limit) return false;
  out = n.negative ? static_cast<int64_t>(-static_cast<__int128>(value)) : static_cast<int64_t>(value);
  return true;
}

std::string_view first_number_beyond_numeric(std::string_view json) {
  for (size_t i = 0; i < json.size();) {
    const char c = json[i];
    if (c == '"') {
      for (++i; i < json.size() && json[i] != '"'; ++i)
        if (json[i] == '\\') ++i;
      ++i;
      continue;
    }
    if (c != '-' && !is_digit(c)) {
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < json.size() && (is_digit(json[end]) || json[end] == '.' || json[end] == 'e' || json[end] == 'E' ||
                                 json[end] == '+' || json[end] == '-'))
      ++end;
    const std::string_view token = json.substr(i, end - i);
    if (!number_fits_numeric(token)) return token;
    i = end;
  }
  return {};
}

std::string_view with_finite_numbers(std::string_view text, std::string& buffer) {
  return rewrite_out_of_range_numbers(text, buffer) ? std::string_view(buffer) : text;
}

}  // namespace ecpipe::detail
