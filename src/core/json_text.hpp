// Internal: reading valid JSON text directly, where the parsed DOM holds only a double: each top-level member's value
// text in order, and a JSON number taken exactly as written (what PostgreSQL's numeric can hold, whether it is whole,
// its int64 value).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ecpipe::detail {

// The value texts of a JSON object's members (the text must be valid JSON: the parser has accepted it), read in one
// forward walk that goes only as far as the members asked for.
class MemberTexts {
 public:
  explicit MemberTexts(std::string_view object) : text_(object) {}
  // The value text of member k (0-based; empty past the last member). k must not be smaller than at the last call.
  std::string_view at(size_t k);

 private:
  std::string_view next();
  void skip_to_first();
  void space();
  void skip_string();
  std::string_view text_;
  size_t i_ = 0;
  size_t next_member_ = 0;  // the member the walk stands at
  bool started_ = false, done_ = false;
  std::string_view last_;  // the text of member next_member_ - 1, asked for again
};

// The value text of the k-th member (0-based) of the JSON object `object`, by walking to it.
std::string_view member_text(std::string_view object, size_t k);

// The position just past the string that opens with the quote at `quote` (the text's end when it is not closed).
size_t past_string(std::string_view json, size_t quote);

// The next number token of the JSON text `json` at or after `from`, outside strings, and (in `at`) where it starts;
// empty, with `at` = json.size(), when there is none. The text need not be valid JSON.
std::string_view next_number(std::string_view json, size_t from, size_t& at);

// A JSON number's parts as written: [-] int [. frac] [e|E [+|-] exponent]; an exponent beyond
// ±(kNumericMaxExponent + 1) is kept at that bound, where it is out of numeric's range anyway. complete: the whole
// text is one such number (a digit before or after the point; an exponent with digits).
struct WrittenNumber {
  bool negative = false, complete = false;
  std::string_view int_digits, frac_digits;
  int64_t exponent = 0;
};
WrittenNumber parse_number(std::string_view token);
// The digit at position k of int_digits followed by frac_digits.
char digit_at(const WrittenNumber& n, size_t k);
// The digit (0..9) of the number's value at the place 10^place (0 where none is written).
int digit_at_place(const WrittenNumber& n, int64_t place);
// The significant digits: the first and one past the last non-zero digit of int + frac (first == end for zero), and
// the places (powers of ten) of those two digits.
struct Significant {
  size_t first = 0, end = 0;
  int64_t leading_place = 0, last_place = 0;
};
Significant significant(const WrittenNumber& n);

// Limits of PostgreSQL's numeric, which jsonb stores numbers in: digits before the decimal point, digits after it,
// and the written exponent its input accepts.
constexpr int64_t kNumericMaxIntegerDigits = 131072;
constexpr int64_t kNumericMaxScale = 16383;
constexpr int64_t kNumericMaxExponent = 1073741822;  // INT_MAX / 2 - 1

// Whether jsonb can hold the JSON number `token` exactly (numeric's limits above).
bool number_fits_numeric(std::string_view token);
// Whether the JSON number `token` is a whole number (2, 2.0, 2e3, 250e-2 is not), judged on its digits, not a double.
bool number_is_whole(std::string_view token);
// The value of a whole JSON number `token` that fits int64; false otherwise.
bool number_to_int64(std::string_view token, int64_t& out);

// The first number in the JSON text `json` (outside strings) that jsonb cannot hold; empty when there is none.
std::string_view first_number_beyond_numeric(std::string_view json);

// JSON text that a parser reading numbers as doubles takes whole: `text` itself, or (in `buffer`) with each number
// beyond the double range (jsonb holds 1e400) replaced by the largest double of its sign, as events are judged.
std::string_view with_finite_numbers(std::string_view text, std::string& buffer);

}  // namespace ecpipe::detail
