// Internal: the canonical UUID text (8-4-4-4-12 hex digits, any case) checked and packed 16 bytes at a time; every
// event carries two of them (event_id, session_id), so this runs twice per line.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ecpipe::detail {

// A UUID exactly as written: its 32 hex digits and which of them were upper-case letters.
struct UuidDigits {
  uint64_t hi = 0, lo = 0;  // digits 0..15 and 16..31, 4 bits each, the first digit in the top bits
  uint32_t upper = 0;       // bit k: digit k was written as an upper-case letter
};

namespace uuid_text_internal {

// Where the 32 digits sit in the 36 characters.
constexpr uint8_t kDigitAt[32] = {0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11, 12, 14, 15, 16, 17,
                                  19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35};

inline bool dashes_in_place(const char* p) { return p[8] == '-' && p[13] == '-' && p[18] == '-' && p[23] == '-'; }

// Gathers the digit values (one per byte at text positions) into the two 64-bit halves.
inline void gather(const uint8_t* nibble, UuidDigits& out) {
  uint64_t hi = 0, lo = 0;
  for (int k = 0; k < 16; ++k) hi = (hi << 4) | nibble[kDigitAt[k]];
  for (int k = 16; k < 32; ++k) lo = (lo << 4) | nibble[kDigitAt[k]];
  out.hi = hi;
  out.lo = lo;
}

// A mask over text positions 0..35 with the four dash positions squeezed out: bit k for digit k.
inline uint32_t digit_bits(uint64_t by_position) {
  return static_cast<uint32_t>((by_position & 0xFF) | ((by_position >> 9) & 0xF) << 8 |
                               ((by_position >> 14) & 0xF) << 12 | ((by_position >> 19) & 0xF) << 16 |
                               ((by_position >> 24) & 0xFFF) << 20);
}

#if defined(__SSE2__)
struct Lanes {
  unsigned hex, upper;  // one bit per byte
  __m128i nibble;       // the digit's value in each hex byte
};

inline Lanes classify(__m128i x) {
  // Signed byte compares: bytes >= 0x80 are negative and so are neither digits nor letters.
  const __m128i digit =
      _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmpgt_epi8(_mm_set1_epi8('9' + 1), x));
  const __m128i folded = _mm_or_si128(x, _mm_set1_epi8(0x20));
  const __m128i letter =
      _mm_and_si128(_mm_cmpgt_epi8(folded, _mm_set1_epi8('a' - 1)), _mm_cmpgt_epi8(_mm_set1_epi8('f' + 1), folded));
  const __m128i upper = _mm_and_si128(letter, _mm_cmpgt_epi8(_mm_set1_epi8('Z' + 1), x));
  const __m128i value = _mm_or_si128(_mm_and_si128(digit, _mm_sub_epi8(x, _mm_set1_epi8('0'))),
                                     _mm_and_si128(letter, _mm_sub_epi8(folded, _mm_set1_epi8('a' - 10))));
  return {static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(digit, letter))),
          static_cast<unsigned>(_mm_movemask_epi8(upper)), value};
}
#endif

}  // namespace uuid_text_internal

// The byte-at-a-time reading, for machines without SSE2 (and as the tests' second opinion).
inline bool parse_uuid_text_portable(std::string_view s, UuidDigits* out) {
  namespace in = uuid_text_internal;
  if (s.size() != 36 || !in::dashes_in_place(s.data())) return false;
  uint8_t nibble[36] = {};
  uint64_t upper = 0;
  for (uint8_t at : in::kDigitAt) {
    const unsigned char ch = static_cast<unsigned char>(s[at]);
    if (ch >= '0' && ch <= '9')
      nibble[at] = static_cast<uint8_t>(ch - '0');
    else if (ch >= 'a' && ch <= 'f')
      nibble[at] = static_cast<uint8_t>(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F')
      nibble[at] = static_cast<uint8_t>(ch - 'A' + 10), upper |= uint64_t{1} << at;
    else
      return false;
  }
  if (!out) return true;
  in::gather(nibble, *out);
  out->upper = in::digit_bits(upper);
  return true;
}

// True when s is a canonical UUID; when `out` is given, fills it with the digits as written.
inline bool parse_uuid_text(std::string_view s, UuidDigits* out) {
#if defined(__SSE2__)
  namespace in = uuid_text_internal;
  if (s.size() != 36 || !in::dashes_in_place(s.data())) return false;
  // Three overlapping 16-byte loads cover positions 0..15, 16..31 and 20..35.
  const in::Lanes a = in::classify(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data())));
  const in::Lanes b = in::classify(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + 16)));
  const in::Lanes c = in::classify(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + 20)));
  // Every position but the dashes (8 and 13; 18 and 23; 23) holds a hex digit.
  if ((a.hex | 0x2100) != 0xFFFF || (b.hex | 0x0084) != 0xFFFF || (c.hex | 0x0008) != 0xFFFF) return false;
  if (!out) return true;
  alignas(16) uint8_t nibble[48];
  _mm_store_si128(reinterpret_cast<__m128i*>(nibble), a.nibble);
  _mm_store_si128(reinterpret_cast<__m128i*>(nibble + 16), b.nibble);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(nibble + 20), c.nibble);
  in::gather(nibble, *out);
  out->upper = in::digit_bits(uint64_t{a.upper} | uint64_t{b.upper} << 16 | uint64_t{c.upper >> 12} << 32);
  return true;
#else
  return parse_uuid_text_portable(s, out);
#endif
}

// The text the digits were read from, letter case included.
inline std::string uuid_text_of(const UuidDigits& d) {
  std::string out;
  out.reserve(36);
  for (int k = 0; k < 32; ++k) {
    if (k == 8 || k == 12 || k == 16 || k == 20) out += '-';
    const uint64_t word = k < 16 ? d.hi : d.lo;
    const int v = static_cast<int>((word >> (4 * (15 - k % 16))) & 15);
    out += v < 10 ? static_cast<char>('0' + v) : static_cast<char>(((d.upper >> k & 1) ? 'A' : 'a') + v - 10);
  }
  return out;
}

}  // namespace ecpipe::detail
