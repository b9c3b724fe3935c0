// simdjson-based line parsing with repeated-key and NUL detection, out-of-range number handling, descriptions.
#include "json_event.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ecpipe/quote.hpp"
#include "json_text.hpp"
#include "ecpipe/schema.hpp"
#include "ecpipe/utf8.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe::detail {

using simdjson::dom::element;
using simdjson::dom::element_type;

EventParser::EventParser() : parser_(), embedded_parser_() { keys_.reserve(64); }

bool EventParser::parse_with(simdjson::dom::parser& p, std::string& buffer, std::string_view text, element& root,
                             std::string& why) {
  if (buffer.size() < text.size() + simdjson::SIMDJSON_PADDING) buffer.resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(&buffer[0], text.data(), text.size());
  auto error = p.parse(buffer.data(), text.size(), false).get(root);
  if (error == simdjson::NUMBER_ERROR) {
    if (rewrite_out_of_range_numbers(text, rewritten_)) {
      if (buffer.size() < rewritten_.size() + simdjson::SIMDJSON_PADDING)
        buffer.resize(rewritten_.size() + simdjson::SIMDJSON_PADDING);
      std::memcpy(&buffer[0], rewritten_.data(), rewritten_.size());
      error = p.parse(buffer.data(), rewritten_.size(), false).get(root);
    }
  }
  if (!error) return true;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    why = "starts with a byte order mark (U+FEFF), which JSON Lines does not allow";
    return false;
  }
  switch (error) {
    case simdjson::UTF8_ERROR: why = "invalid UTF-8"; break;
    case simdjson::DEPTH_ERROR:
      why = "nested deeper than " + std::to_string(simdjson::DEFAULT_MAX_DEPTH) + " levels";
      break;
    case simdjson::STRING_ERROR: why = "invalid string (bad escape or lone surrogate)"; break;
    case simdjson::UNESCAPED_CHARS: why = "unescaped control character in a string"; break;
    case simdjson::NUMBER_ERROR: why = "a number not written as JSON writes numbers (01, 1., 1e, -, 0x10)"; break;
    case simdjson::EMPTY: why = "empty"; break;
    default: why = std::string("not valid JSON (") + simdjson::error_message(error) + ")"; break;
  }
  return false;
}

namespace {

// Walks every value: fails on a repeated key in any object. U+0000 can only come from a \u0000 escape, so the
// walk looks for it only when the line contains one (`may_have_nul`). Keys are first screened (KeyScreen);
// only an object with a collision gets the exact pairwise comparison.
bool walk(element v, std::vector<std::string_view>& keys, bool may_have_nul, bool& has_nul, std::string& why) {
  switch (v.type()) {
    case element_type::OBJECT: {
      const size_t start = keys.size();
      KeyScreen screen;
      bool collision = false;
      for (auto field : simdjson::dom::object(v)) {
        if (may_have_nul && field.key.find('\0') != std::string_view::npos) has_nul = true;
        collision |= screen.collides(field.key);
        keys.push_back(field.key);
        if (EventParser::worth_checking(field.value, may_have_nul) &&
            !walk(field.value, keys, may_have_nul, has_nul, why))
          return false;
      }
      if (collision) {
        const size_t n = keys.size() - start;
        std::string_view dup;
        if (n <= 32) {
          for (size_t i = start; i < keys.size() && dup.data() == nullptr; ++i)
            for (size_t j = i + 1; j < keys.size(); ++j)
              if (keys[i] == keys[j]) {
                dup = keys[i];
                break;
              }
        } else {
          std::sort(keys.begin() + static_cast<long>(start), keys.end());
          auto it = std::adjacent_find(keys.begin() + static_cast<long>(start), keys.end());
          if (it != keys.end()) dup = *it;
        }
        if (dup.data() != nullptr) {
          why = "repeated key \"" + cut_value(dup) + "\"";
          return false;
        }
      }
      keys.resize(start);
      return true;
    }
    case element_type::ARRAY:
      for (element item : simdjson::dom::array(v)) {
        if (EventParser::worth_checking(item, may_have_nul) && !walk(item, keys, may_have_nul, has_nul, why))
          return false;
      }
      return true;
    case element_type::STRING: {
      std::string_view s(v.get_string().value_unsafe());
      if (s.find('\0') != std::string_view::npos) has_nul = true;
      return true;
    }
    default: return true;
  }
}

}  // namespace

bool EventParser::parse_line(std::string_view line, element& root, bool& may_have_nul, std::string& why) {
  if (!parse_with(parser_, buffer_, line, root, why)) return false;
  if (root.type() != element_type::OBJECT) {
    why = std::string("not a JSON object (a JSON ") + json_type_name(root) + ")";
    return false;
  }
  may_have_nul = line.find("\\u0000") != std::string_view::npos;
  return true;
}

bool EventParser::check_value(element value, bool may_have_nul, bool& has_nul, std::string& why) {
  keys_.clear();
  return walk(value, keys_, may_have_nul, has_nul, why);
}

bool EventParser::parse_object(std::string_view line, element& root, bool& has_nul, std::string& why) {
  has_nul = false;
  bool may_have_nul = false;
  return parse_line(line, root, may_have_nul, why) && check_value(root, may_have_nul, has_nul, why);
}

bool EventParser::parse_embedded(std::string_view text, element& root, std::string& why, bool* has_nul) {
  if (!parse_with(embedded_parser_, embedded_buffer_, text, root, why)) return false;
  bool nul = false;
  keys_.clear();
  const bool may_have_nul = has_nul != nullptr && text.find("\\u0000") != std::string_view::npos;
  const bool ok = walk(root, keys_, may_have_nul, nul, why);
  if (has_nul) *has_nul = nul;
  return ok;
}

size_t count_values(element v, size_t limit) {
  size_t n = 1;
  if (v.type() == element_type::ARRAY) {
    for (element item : simdjson::dom::array(v)) {
      if (n >= limit) break;
      n += count_values(item, limit - n);
    }
  } else if (v.type() == element_type::OBJECT) {
    for (auto field : simdjson::dom::object(v)) {
      if (n >= limit) break;
      n += count_values(field.value, limit - n);
    }
  }
  return n;
}

namespace {

// Whether an integer token is one the parser takes as an integer: int64 when negative, uint64 otherwise.
bool fits_64_bits(const std::string& token) {
  errno = 0;
  char* stop = nullptr;
  if (token[0] == '-')
    std::strtoll(token.c_str(), &stop, 10);
  else
    std::strtoull(token.c_str(), &stop, 10);
  return errno != ERANGE;
}

}  // namespace

bool rewrite_out_of_range_numbers(std::string_view in, std::string& out) {
  out.clear();
  bool changed = false;
  size_t done = 0, at = 0;
  for (std::string_view token; !(token = next_number(in, done, at)).empty(); done = at + token.size()) {
    out.append(in, done, at - done);
    const std::string text(token);
    errno = 0;
    char* stop = nullptr;
    double value = std::strtod(text.c_str(), &stop);
    const bool whole_token = stop == text.c_str() + text.size();
    const bool integral = text.find_first_of(".eE") == std::string::npos;
    if (whole_token && ((errno == ERANGE && std::isinf(value)) || (integral && !fits_64_bits(text)))) {
      char buf[40];
      if (std::isinf(value)) value = std::copysign(1.7976931348623157e308, value);
      std::snprintf(buf, sizeof buf, "%.17g", value);
      out += buf;
      if (!std::strpbrk(buf, ".e")) out += ".0";
      changed = true;
    } else {
      out += token;
    }
  }
  out.append(in, done, std::string_view::npos);
  return changed;
}

bool number_of(element v, double& out) {
  switch (v.type()) {
    case element_type::INT64: out = static_cast<double>(v.get_int64().value_unsafe()); return true;
    case element_type::UINT64: out = static_cast<double>(v.get_uint64().value_unsafe()); return true;
    case element_type::DOUBLE: out = v.get_double().value_unsafe(); return true;
    default: return false;
  }
}

uint8_t json_type_bits(element v) {
  switch (v.type()) {
    case element_type::INT64:
    case element_type::UINT64: return kInteger | kNumber;
    case element_type::DOUBLE: {
      double d = v.get_double().value_unsafe();
      return std::isfinite(d) && d == std::floor(d) ? (kInteger | kNumber) : kNumber;
    }
    case element_type::STRING: return kString;
    case element_type::BOOL: return kBoolean;
    case element_type::NULL_VALUE: return kNull;
    case element_type::ARRAY: return kArray;
    case element_type::OBJECT: return kObject;
  }
  return 0;
}

const char* json_type_name(element v) {
  switch (v.type()) {
    case element_type::INT64:
    case element_type::UINT64: return "integer";
    case element_type::DOUBLE: return "number";
    case element_type::STRING: return "string";
    case element_type::BOOL: return "boolean";
    case element_type::NULL_VALUE: return "null";
    case element_type::ARRAY: return "array";
    case element_type::OBJECT: return "object";
  }
  return "value";
}

std::string describe(element v) {
  char buf[64];
  switch (v.type()) {
    case element_type::INT64:
      std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v.get_int64().value_unsafe()));
      return buf;
    case element_type::UINT64:
      std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v.get_uint64().value_unsafe()));
      return buf;
    case element_type::DOUBLE: std::snprintf(buf, sizeof buf, "%.15g", v.get_double().value_unsafe()); return buf;
    case element_type::STRING: {
      std::string_view s(v.get_string().value_unsafe());
      std::string out = "\"";
      size_t chars = 0, at = 0;
      while (at < s.size() && chars < 40) {
        size_t len = 0;
        utf8_decode(s.substr(at), len);
        out.append(s.substr(at, len));
        at += len;
        ++chars;
      }
      if (at < s.size()) out += "…";
      for (auto& ch : out)
        if (ch == '\0') ch = ' ';
      return out + "\"";
    }
    case element_type::BOOL: return v.get_bool().value_unsafe() ? "true" : "false";
    case element_type::NULL_VALUE: return "null";
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
  }
  return "a value";
}

}  // namespace ecpipe::detail
