// Appends JSON text in the original project's style (Python json.dumps: ", " and ": ", UTF-8 kept as is).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace ecpipe {

// Appends s as a JSON string literal, escaping quotes, backslashes and control characters.
void append_json_string(std::string& out, std::string_view s);

class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  JsonObjectWriter& str(std::string_view key, std::string_view value);
  JsonObjectWriter& num(std::string_view key, int64_t value);
  JsonObjectWriter& boolean(std::string_view key, bool value);
  JsonObjectWriter& null(std::string_view key);
  JsonObjectWriter& raw(std::string_view key, std::string_view json_text);  // already-encoded value
  void close() { out_ += '}'; }

 private:
  void key(std::string_view k);
  std::string& out_;
  bool first_ = true;
};

}  // namespace ecpipe
