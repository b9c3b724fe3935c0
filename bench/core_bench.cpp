// make bench-core: events per second of the whole seven-check pass (and of the parse alone, as a reference)
// over a generated day, on one core.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstring>

#include "ecpipe/generator.hpp"
#include "ecpipe/schema.hpp"
#include "ecpipe/validator.hpp"

namespace {

const std::vector<std::string>& day() {
  static const std::vector<std::string> lines = [] {
    ecpipe::GeneratorOptions o;
    o.day = ecpipe::days_from_civil(2026, 1, 17);
    o.users = 60000;  // about 230k events
    o.seed = 1;
    return ecpipe::generate_events(o);
  }();
  return lines;
}

const ecpipe::CompiledSchema& schema() {
  static const ecpipe::CompiledSchema s =
      ecpipe::CompiledSchema::compile(ecpipe::read_file(ECPIPE_SOURCE_DIR "/schemas/event_schema.json"));
  return s;
}

void SevenChecks(benchmark::State& state) {
  const auto& lines = day();
  ecpipe::Settings settings;
  settings.now_us = ecpipe::days_from_civil(2026, 1, 20) * 86400LL * 1000000;
  ecpipe::FixedOffsetZone utc(0);
  size_t bytes = 0;
  for (const auto& l : lines) bytes += l.size();
  for (auto _ : state) {
    ecpipe::BatchValidator v(schema(), settings, utc);
    for (size_t i = 0; i < lines.size(); ++i) v.add(static_cast<int64_t>(i + 1), lines[i]);
    auto report = v.finish();
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(SevenChecks)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The floor for any per-event work: simdjson parsing each line into a DOM, nothing else.
void ParseOnly(benchmark::State& state) {
  const auto& lines = day();
  simdjson::dom::parser parser;
  std::string buffer;
  for (auto _ : state) {
    size_t n = 0;
    for (const auto& l : lines) {
      if (buffer.size() < l.size() + simdjson::SIMDJSON_PADDING) buffer.resize(l.size() + simdjson::SIMDJSON_PADDING);
      std::memcpy(&buffer[0], l.data(), l.size());
      simdjson::dom::element e;
      if (!parser.parse(buffer.data(), l.size(), false).get(e)) ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(ParseOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
