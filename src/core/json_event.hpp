// Internal: parsing one JSONL line into a simdjson DOM under the spec's stricter rules (no repeated keys,
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
  // Parses a JSON text held inside a string value (extra_data); the result is valid until the next call.
  bool parse_embedded(std::string_view text, simdjson::dom::element& root, std::string& why);

 private:
  bool parse_with(simdjson::dom::parser& p, std::string& buffer, std::string_view text, simdjson::dom::element& root,
                  std::string& why);
  simdjson::dom::parser parser_, embedded_parser_;
  std::string buffer_, embedded_buffer_, rewritten_;
  std::vector<std::string_view> keys_;
};

// Replaces numbers that overflow a double (1e400) or a 64-bit integer with finite doubles of the same sign and
// magnitude class, so the value can still be judged by its rule. Returns false when nothing needed changing.
bool rewrite_out_of_range_numbers(std::string_view in, std::string& out);

// A short human rendering of a value for reasons: strings quoted and cut to 40 characters.
std::string describe(simdjson::dom::element v);

// The value of a JSON number as a double; false for any other type.
bool number_of(simdjson::dom::element v, double& out);

// JSON type bits (ecpipe::JsonType) of a value; a whole double is also an integer.
uint8_t json_type_bits(simdjson::dom::element v);
const char* json_type_name(simdjson::dom::element v);

}  // namespace ecpipe::detail
