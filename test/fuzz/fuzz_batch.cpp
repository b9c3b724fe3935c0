// libFuzzer target: the input is a JSONL batch; it runs the seven-check pass and the raw extraction, and traps on
// any broken invariant (counts, dispositions, a line sent to raw that the loader could not extract or whose jsonb
// columns PostgreSQL could not take: not JSON, or a number beyond numeric).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ecpipe/line_reader.hpp"
#include "ecpipe/raw_event.hpp"
#include "ecpipe/schema.hpp"
#include "ecpipe/validator.hpp"

#include <nlohmann/json.hpp>

#include "../../src/core/json_text.hpp"

namespace {

const ecpipe::CompiledSchema& schema() {
  static const ecpipe::CompiledSchema s =
      ecpipe::CompiledSchema::compile(ecpipe::read_file(ECPIPE_SOURCE_DIR "/schemas/event_schema.json"));
  return s;
}

void require(bool ok) {
  if (!ok) std::abort();
}

// What jsonb_in will be given: one JSON object, every number of which numeric holds.
void require_storable_object(const std::optional<std::string>& json) {
  if (!json) return;
  require(ecpipe::detail::first_number_beyond_numeric(*json).empty());
  std::string finite;
  const auto parsed = nlohmann::json::parse(ecpipe::detail::with_finite_numbers(*json, finite), nullptr, false);
  require(parsed.is_object());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= input.size();) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    lines.push_back(input.substr(start, end - start));
    start = end + 1;
  }

  ecpipe::Settings settings;
  settings.now_us = 1767225600LL * 1000000;  // 2026-01-01
  const ecpipe::FixedOffsetZone zone(9 * 3600);
  ecpipe::BatchValidator validator(schema(), settings, zone);
  int64_t non_blank = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    validator.add(static_cast<int64_t>(i + 1), lines[i]);
    if (!ecpipe::is_blank_line(lines[i])) ++non_blank;
  }
  const ecpipe::BatchReport report = validator.finish();

  require(report.lines.size() == lines.size());
  require(report.blank_lines == static_cast<int64_t>(lines.size()) - non_blank);
  require(report.check(ecpipe::CheckId::RequiredFields).population == non_blank);
  for (const auto& c : report.checks) require(c.failed >= 0 && c.failed <= c.population);

  ecpipe::RawEventExtractor extractor(schema());
  for (const auto& v : report.lines) {
    if (v.disposition != ecpipe::Disposition::Raw) continue;
    require(!v.unparseable && v.has_time);
    ecpipe::RawEvent event;
    std::string why;
    require(extractor.extract(lines[static_cast<size_t>(v.line_no - 1)], zone, event, why));
    require_storable_object(event.extras);
    require_storable_object(event.extra_data);
  }
  return 0;
}
