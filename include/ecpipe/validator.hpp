// One pass over a batch computes the seven checks, a verdict per line, and samples for the quality log.
#pragma once
#include <memory>
#include <string_view>

#include "ecpipe/checks.hpp"
#include "ecpipe/schema.hpp"
#include "ecpipe/settings.hpp"
#include "ecpipe/timestamp.hpp"

namespace ecpipe {

class BatchValidator {
 public:
  BatchValidator(const CompiledSchema& schema, const Settings& settings, const TimeZone& zone);
  ~BatchValidator();
  BatchValidator(const BatchValidator&) = delete;
  BatchValidator& operator=(const BatchValidator&) = delete;

  // Sizes the per-line state for about this many lines up front (optional: it grows as needed otherwise).
  void reserve(size_t lines);
  // Lines must arrive in line_no order. The bytes need not outlive the call.
  void add(int64_t line_no, std::string_view line);
  // Runs the session-ordered checks (4 and 7) and returns the report; the validator is spent afterwards.
  BatchReport finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The batch fingerprint: a hash of every line's bytes and position, in line order. Validation stores it; the
// loader recomputes it to refuse a batch that changed after it was validated.
class BatchFingerprint {
 public:
  void add(int64_t line_no, std::string_view line);
  uint64_t value() const { return value_; }

 private:
  uint64_t value_ = 0;
};

// Convenience for tests and tools: validates lines numbered 1..n.
BatchReport validate_lines(const std::vector<std::string>& lines, const CompiledSchema& schema,
                           const Settings& settings, const TimeZone& zone);

}  // namespace ecpipe
