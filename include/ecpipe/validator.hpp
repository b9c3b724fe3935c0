// One pass over a batch computes the seven checks, a verdict per line, and samples for the quality log.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "ecpipe/checks.hpp"
#include "ecpipe/schema.hpp"
#include "ecpipe/settings.hpp"
#include "ecpipe/timestamp.hpp"

namespace ecpipe {

// What spans the shards of a distributed batch, settled over the whole batch (docs/SCALING.md). A validator over one
// shard's lines applies it instead of what its lines alone would say.
struct SpanningKeys {
  // event_ids on lines of more than one shard -> the batch's first line with it (check 2)
  std::unordered_map<std::string, int64_t> event_first_line;
  // order_ids of purchase lines on more than one shard, and each of their lines that check 6's order rule fails ->
  // the first line of the order's owner (settle_orders)
  std::unordered_set<std::string> orders;
  std::unordered_map<int64_t, int64_t> order_failures;
  // session_ids on lines of more than one shard: their events are left out of checks 4 and 7 here, and judged by a
  // SessionsOnly validator over all of their lines
  std::unordered_set<std::string> sessions;
};

// Which checks a validator records. Whole: all seven. SessionsOnly: only what checks 4 and 7 find by walking
// sessions (its lines' other failures are noted silently, so a line's device failure still comes first), each also
// listed in BatchReport::session_failures.
enum class ValidatorScope : uint8_t { Whole, SessionsOnly };

// The keys a line is compared by across lines, read exactly as the validator reads them: parsed is false for a
// blank or unparseable line; empty strings mean none; order_id only for a purchase whose order_id is a string.
struct LineKeys {
  bool parsed = false;
  std::string event_id, session_id;
  std::optional<std::string> order_id;
};

// Check 6's order rule over one order's purchase lines (line_no, event_id; in line order): the first line owns the
// order; a later line fails when its event_id differs from the owner's, or when an earlier line's did. Returns each
// failing line -> the owner's line.
std::unordered_map<int64_t, int64_t> settle_orders(const std::vector<std::pair<int64_t, std::string>>& lines);

class BatchValidator {
 public:
  BatchValidator(const CompiledSchema& schema, const Settings& settings, const TimeZone& zone,
                 const SpanningKeys* spanning = nullptr, ValidatorScope scope = ValidatorScope::Whole);
  ~BatchValidator();
  BatchValidator(const BatchValidator&) = delete;
  BatchValidator& operator=(const BatchValidator&) = delete;

  // Sizes the per-line state for about this many lines up front (optional: it grows as needed otherwise).
  void reserve(size_t lines);
  // Lines must arrive in line_no order. The bytes need not outlive the call.
  void add(int64_t line_no, std::string_view line);
  // Runs the session-ordered checks (4 and 7) and returns the report; the validator is spent afterwards.
  BatchReport finish();
  // A line's keys (records nothing).
  LineKeys keys_of(std::string_view line);

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

// One report from the reports of a distributed batch's shards (each over its shard's lines, in line order, with the
// same SpanningKeys) and of the spanning sessions' lines (SessionsOnly): the report one validator over the whole
// batch gives, but for the fingerprint (a distributed batch's is computed apart).
BatchReport merge_shard_reports(std::vector<BatchReport> shards, const BatchReport& sessions);

// Convenience for tests and tools: validates lines numbered 1..n.
BatchReport validate_lines(const std::vector<std::string>& lines, const CompiledSchema& schema,
                           const Settings& settings, const TimeZone& zone);

}  // namespace ecpipe
