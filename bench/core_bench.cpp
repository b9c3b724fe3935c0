// make bench-core: events per second of the whole seven-check pass (and of the parse alone, as a reference)
// over a generated day, on one core.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "ecpipe/generator/generator.hpp"
#include "ecpipe/schema.hpp"
#include "ecpipe/validator.hpp"

// Heap accounting for the memory counter: every operator new/delete goes through here.
namespace heap {
size_t live = 0, peak = 0;

// The peak heap of one iteration above what was live when it began.
class IterationPeak {
 public:
  IterationPeak() : before_(live) { peak = live; }
  size_t bytes() const { return peak - before_; }

 private:
  size_t before_;
};
}  // namespace heap

void* operator new(size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  heap::live += malloc_usable_size(p);
  if (heap::live > heap::peak) heap::peak = heap::live;
  return p;
}
void operator delete(void* p) noexcept {
  if (!p) return;
  heap::live -= malloc_usable_size(p);
  std::free(p);
}
void operator delete(void* p, size_t) noexcept { operator delete(p); }

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
  size_t peak_bytes = 0;
  for (auto _ : state) {
    const heap::IterationPeak peak;
    ecpipe::BatchValidator v(schema(), settings, utc);
    v.reserve(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) v.add(static_cast<int64_t>(i + 1), lines[i]);
    auto report = v.finish();
    benchmark::DoNotOptimize(report);
    peak_bytes = peak.bytes();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  // The validator's own peak heap (its state and the report), per event of the batch.
  state.counters["peak_heap_B_per_event"] = double(peak_bytes) / double(lines.size());
}
BENCHMARK(SevenChecks)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The floor for any per-event work: simdjson parsing each line into a DOM, nothing else.
void ParseOnly(benchmark::State& state) {
  const auto& lines = day();
  simdjson::dom::parser parser;
  std::string buffer;
  size_t peak_bytes = 0;
  for (auto _ : state) {
    const heap::IterationPeak peak;
    size_t n = 0;
    for (const auto& l : lines) {
      if (buffer.size() < l.size() + simdjson::SIMDJSON_PADDING) buffer.resize(l.size() + simdjson::SIMDJSON_PADDING);
      std::memcpy(&buffer[0], l.data(), l.size());
      simdjson::dom::element e;
      if (!parser.parse(buffer.data(), l.size(), false).get(e)) ++n;
    }
    benchmark::DoNotOptimize(n);
    peak_bytes = peak.bytes();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * lines.size()));
  // Reported too because every run of a CSV report must carry the same counters (the parser's buffers, once grown).
  state.counters["peak_heap_B_per_event"] = double(peak_bytes) / double(lines.size());
}
BENCHMARK(ParseOnly)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
