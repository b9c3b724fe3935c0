// libFuzzer target: the input is a schema document (and a pattern); compiling it either succeeds or throws ecpipe's
// error with a message, and a compiled schema can judge a small batch without crashing.
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "ecpipe/error.hpp"
#include "ecpipe/regex.hpp"
#include "ecpipe/schema.hpp"
#include "ecpipe/validator.hpp"

// The input as a pattern too: compiling either succeeds or refuses with a message, and for ^...$ patterns the
// byte-scan fast path must agree with RE2 (the same body wrapped in (?:) never takes the fast path).
void fuzz_pattern(const std::string& text) {
  static const char* const samples[] = {"", "U123456", "ORD20240101123456", "a-b_c", "\n", "\xff", "한국어", "aaaa"};
  try {
    const ecpipe::Regex re = ecpipe::Regex::compile(text);
    for (const char* s : samples) (void)re.search(s);
    (void)re.search(text);
    // (A top-level | would bind differently once wrapped, so such patterns are not compared.)
    if (text.size() >= 2 && text.front() == '^' && text.back() == '$' && text.find('|') == std::string::npos) {
      std::optional<ecpipe::Regex> wrapped;
      try {
        wrapped = ecpipe::Regex::compile("^(?:" + text.substr(1, text.size() - 2) + ")$");
      } catch (const ecpipe::Error&) {
        return;  // e.g. one group too deep once wrapped
      }
      for (const char* s : samples)
        if (re.search(s) != wrapped->search(s)) std::abort();
      if (re.search(text) != wrapped->search(text)) std::abort();
    }
  } catch (const ecpipe::Error& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz_pattern(text);
  try {
    const ecpipe::CompiledSchema schema = ecpipe::CompiledSchema::compile(text);
    ecpipe::Settings settings;
    settings.now_us = 1767225600LL * 1000000;
    const ecpipe::FixedOffsetZone utc(0);
    ecpipe::BatchValidator validator(schema, settings, utc);
    validator.add(1, R"({"event_id":"0b6c9f38-3a51-4b9c-9a8e-1f2d3c4b5a69","event_type":"click","user_id":"U000001",)"
                     R"("session_id":"5f0e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b","timestamp":"2025-12-31T10:00:00Z",)"
                     R"("platform":"web","device_type":"desktop","page_url":"https://shop/p","element_id":"x",)"
                     R"("element_type":"button","position":3})");
    validator.add(2, R"({"event_type":"search","search_query":"","result_count":-1,"x":[1,{"y":null}]})");
    validator.add(3, "not json");
    (void)validator.finish();
  } catch (const std::exception& e) {
    if (std::string(e.what()).empty()) std::abort();  // a refusal always says why
  }
  return 0;
}
