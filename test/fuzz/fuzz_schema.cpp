// libFuzzer target: the input is a schema document; compiling it either succeeds or throws ecpipe's error with a
// message, and a compiled schema can judge a small batch without crashing.
#include <cstdint>
#include <exception>
#include <string>

#include "ecpipe/schema.hpp"
#include "ecpipe/validator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
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
