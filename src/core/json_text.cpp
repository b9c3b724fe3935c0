// Valid JSON text read directly: members' value texts, and numbers judged exactly from their digits.
#include "json_text.hpp"

#include <cstring>

#include "json_event.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe::detail {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

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
  bool exponent_digits = true;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    bool minus = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) minus = t[i] == '-', ++i;
    start = i;
    int64_t e = 0;
    for (; i < t.size() && is_digit(t[i]); ++i)
      if (e <= kNumericMaxExponent) e = e * 10 + (t[i] - '0');
    if (e > kNumericMaxExponent + 1) e = kNumericMaxExponent + 1;
    n.exponent = minus ? -e : e;
    exponent_digits = i > start;
  }
  n.complete = i == t.size() && exponent_digits && !(n.int_digits.empty() && n.frac_digits.empty());
  return n;
}

char digit_at(const WrittenNumber& n, size_t k) {
  return k < n.int_digits.size() ? n.int_digits[k] : n.frac_digits[k - n.int_digits.size()];
}

int digit_at_place(const WrittenNumber& n, int64_t place) {
  const int64_t k = static_cast<int64_t>(n.int_digits.size()) - 1 + n.exponent - place;
  const int64_t total = static_cast<int64_t>(n.int_digits.size() + n.frac_digits.size());
  return k >= 0 && k < total ? digit_at(n, static_cast<size_t>(k)) - '0' : 0;
}

Significant significant(const WrittenNumber& n) {
  const size_t total = n.int_digits.size() + n.frac_digits.size();
  Significant s;
  while (s.first < total && digit_at(n, s.first) == '0') ++s.first;
  s.end = total;
  while (s.end > s.first && digit_at(n, s.end - 1) == '0') --s.end;
  // the place of digit k is 10^(int_digits - 1 - k + exponent)
  if (s.end > s.first) {
    s.leading_place = static_cast<int64_t>(n.int_digits.size()) - 1 - static_cast<int64_t>(s.first) + n.exponent;
    s.last_place = static_cast<int64_t>(n.int_digits.size()) - static_cast<int64_t>(s.end) + n.exponent;
  }
  return s;
}

void MemberTexts::space() {
  while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t' || text_[i_] == '\n' || text_[i_] == '\r')) ++i_;
}

void MemberTexts::skip_string() { i_ = past_string(text_, i_); }  // at the opening quote

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
  return s.first == s.end || s.leading_place < kNumericMaxIntegerDigits;  // zero has no digits before the point
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

size_t past_string(std::string_view json, size_t quote) {
  for (size_t i = quote + 1;;) {  // each quote found by memchr: it closes the string unless a backslash escapes it
    const void* found = i < json.size() ? std::memchr(json.data() + i, '"', json.size() - i) : nullptr;
    if (!found) return json.size();
    const size_t at = static_cast<const char*>(found) - json.data();
    size_t backslashes = 0;
    while (at - backslashes > i && json[at - backslashes - 1] == '\\') ++backslashes;
    i = at + 1;
    if (backslashes % 2 == 0) return i;
  }
}

std::string_view next_number(std::string_view json, size_t from, size_t& at) {
  for (size_t i = from; i < json.size();) {
    const char c = json[i];
    if (c == '"') {
      i = past_string(json, i);
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
    at = i;
    return json.substr(i, end - i);
  }
  at = json.size();
  return {};
}

std::string_view first_number_beyond_numeric(std::string_view json) {
  size_t at = 0;
  for (std::string_view token; !(token = next_number(json, at, at)).empty(); at += token.size())
    if (!number_fits_numeric(token)) return token;
  return {};
}

std::string_view with_finite_numbers(std::string_view text, std::string& buffer) {
  return rewrite_out_of_range_numbers(text, buffer) ? std::string_view(buffer) : text;
}

}  // namespace ecpipe::detail
