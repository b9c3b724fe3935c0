// Internal: a user id in the schema's shape (U followed by exactly six ASCII digits) read as its number, so that
// per-user state can be found by index instead of by hashing the text.
#pragma once
#include <string_view>

namespace ecpipe::detail {

constexpr int kUserNumbers = 1000000;

// The number of a user id shaped U + 6 digits, else -1.
inline int user_number(std::string_view s) {
  if (s.size() != 7 || s[0] != 'U') return -1;
  int n = 0;
  for (size_t i = 1; i < 7; ++i) {
    const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(s[i])) - '0';
    if (d > 9) return -1;
    n = n * 10 + static_cast<int>(d);
  }
  return n;
}

}  // namespace ecpipe::detail
