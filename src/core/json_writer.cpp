// JSON text output for generated events and Slack payload fragments.
#include "ecpipe/json_writer.hpp"

#include <cstdio>

#include "ecpipe/core_only.hpp"

namespace ecpipe {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void JsonObjectWriter::key(std::string_view k) {
  if (!first_) out_ += ", ";
  first_ = false;
  append_json_string(out_, k);
  out_ += ": ";
}

JsonObjectWriter& JsonObjectWriter::str(std::string_view k, std::string_view v) {
  key(k);
  append_json_string(out_, v);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::num(std::string_view k, int64_t v) {
  key(k);
  out_ += std::to_string(v);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::boolean(std::string_view k, bool v) {
  key(k);
  out_ += v ? "true" : "false";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::null(std::string_view k) {
  key(k);
  out_ += "null";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::raw(std::string_view k, std::string_view v) {
  key(k);
  out_ += v;
  return *this;
}

}  // namespace ecpipe
