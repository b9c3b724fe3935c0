// Internal: parsing one JSONL line into a simdjson DOM under the stricter rules of docs/CHECKS.md (no repeated keys,
// out-of-range numbers kept as huge finite values), plus describing JSON values in reasons.
#pragma once
#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace ecpipe::detail {

class EventParser {
 public:
  EventParser();
  // Parses a line that must hold one JSON object. On failure returns false with a reason; on success `root`
  // is valid until the next call and has_nul says whether any string (keys included) contains U+0000.
  bool parse_object(std::string_view line, simdjson::dom::element& root, bool& has_nul, std::string& why);

  // The same in parts, for a caller that walks the top-level fields itself (the validator): parse_line parses and
  // requires an object, and says whether the line may hold U+0000 (it has a \u0000 escape); check_value then
  // judges one value at any depth (repeated keys, U+0000): a nested one, or the root as parse_object does.
  bool parse_line(std::string_view line, simdjson::dom::element& root, bool& may_have_nul, std::string& why);
  bool check_value(simdjson::dom::element value, bool may_have_nul, bool& has_nul, std::string& why);
  // Whether check_value has anything to look at in a value: containers always, strings when U+0000 may occur.
  static bool worth_checking(simdjson::dom::element value, bool may_have_nul) {
    const auto t = value.type();
    return t == simdjson::dom::element_type::OBJECT || t == simdjson::dom::element_type::ARRAY ||
           (may_have_nul && t == simdjson::dom::element_type::STRING);
  }
  // Parses a JSON text held inside a string value (extra_data); the result is valid until the next call.
  // When has_nul is given, it says whether any string in it (keys included) holds U+0000.
  bool parse_embedded(std::string_view text, simdjson::dom::element& root, std::string& why, bool* has_nul = nullptr);

 private:
  bool parse_with(simdjson::dom::parser& p, std::string& buffer, std::string_view text, simdjson::dom::element& root,
                  std::string& why);
  simdjson::dom::parser parser_, embedded_parser_;
  std::string buffer_, embedded_buffer_, rewritten_;
  std::vector<std::string_view> keys_;
};

// A 9-bit number from a cheap signature of a key (length, first, middle and last bytes): equal keys get equal
// numbers. It places names in the field table, and screens an object's keys for repeats (KeyScreen).
inline unsigned key_screen_bit(std::string_view k) {
  uint64_t sig = k.size() * 0x9E3779B97F4A7C15ULL;
  if (!k.empty()) sig ^= static_cast<unsigned char>(k[0]) << 8 ^ static_cast<unsigned char>(k[k.size() - 1]) << 16;
  if (k.size() > 2) sig ^= static_cast<uint64_t>(static_cast<unsigned char>(k[k.size() / 2])) << 24;
  // The multiply mixes every byte of the signature into the top 9 bits.
  return static_cast<unsigned>((sig * 0x9E3779B97F4A7C15ULL) >> 55);
}

// A 512-bit mask of the keys of one object: a key whose bit is already set may repeat an earlier one (equal keys
// always collide; different keys rarely do), and only then do the keys need comparing.
class KeyScreen {
 public:
  // Marks the key; true when its bit was already set.
  bool collides(std::string_view key) {
    const unsigned bit = key_screen_bit(key);
    const bool seen = (mask_[bit >> 6] >> (bit & 63)) & 1;
    mask_[bit >> 6] |= uint64_t{1} << (bit & 63);
    return seen;
  }

 private:
  uint64_t mask_[8] = {0, 0, 0, 0, 0, 0, 0, 0};
};

// Replaces numbers that overflow a double (1e400) or a 64-bit integer with finite doubles of the same sign and
// magnitude class, so the value can still be judged by its rule. Returns false when nothing needed changing.
bool rewrite_out_of_range_numbers(std::string_view in, std::string& out);

// How many JSON values v holds, itself included, counting no further than `limit`.
size_t count_values(simdjson::dom::element v, size_t limit);

// A short human rendering of a value for reasons: strings quoted and cut to 40 characters.
std::string describe(simdjson::dom::element v);

// The value of a JSON number as a double; false for any other type.
bool number_of(simdjson::dom::element v, double& out);

// JSON type bits (ecpipe::JsonType) of a value; a whole double is also an integer.
uint8_t json_type_bits(simdjson::dom::element v);
const char* json_type_name(simdjson::dom::element v);

}  // namespace ecpipe::detail
