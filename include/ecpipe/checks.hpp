// The seven checks' identities and results, and each line's verdict (quarantine, or raw with flags).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ecpipe {

enum class CheckId : uint8_t {
  RequiredFields = 1,
  DuplicateEventId = 2,
  ValueValidity = 3,
  FunnelSequence = 4,
  TimestampValidity = 5,
  OrderAmount = 6,
  PlatformDevice = 7,
};
constexpr int kCheckCount = 7;
// Failing lines a check keeps as samples (line_no, event_id, reason) for the quality log, the run summary and the
// alert: the lowest line numbers, enough to show which kinds of failure a check found and where to start looking.
// docs/CHECKS.md promises up to 20; and a quality_log row (one per check per run, kept for trends) stays small however
// many lines fail: 20 reasons of at most kMaxReasonChars characters and event_ids of at most kMaxQuotedChars.
constexpr size_t kMaxSamples = 20;

const char* check_name(CheckId id);
inline int check_index(CheckId id) { return static_cast<int>(id) - 1; }
inline uint8_t check_bit(CheckId id) { return static_cast<uint8_t>(1u << check_index(id)); }

struct Sample {
  int64_t line_no = 0;
  std::string event_id;  // "" when the line has none (or is unparseable)
  std::string reason;
};

struct CheckResult {
  CheckId id = CheckId::RequiredFields;
  int64_t population = 0;
  int64_t failed = 0;
  std::vector<Sample> samples;  // the first kMaxSamples failures in line order

  // 100 × (1 − failed / population), 100 for an empty population.
  double pass_rate() const { return population == 0 ? 100.0 : 100.0 * (1.0 - double(failed) / double(population)); }
  // Exact comparison in integers: 100 × (population − failed) ≥ min_rate × population.
  bool passed(double min_rate) const {
    return static_cast<long double>(100) * (population - failed) >= static_cast<long double>(min_rate) * population;
  }
};

enum class Disposition : uint8_t { Blank, Quarantine, Raw };

// Checks whose failure sends a line to quarantine; the others (4, 6, 7) only flag a raw event.
constexpr uint8_t kQuarantineChecks = (1u << 0) | (1u << 1) | (1u << 2) | (1u << 4);

// 16 bytes: a batch keeps one per line.
struct LineVerdict {
  int64_t line_no = 0;
  Disposition disposition = Disposition::Blank;
  bool unparseable = false;
  uint8_t failed = 0;     // bit (n-1) set when check n failed for this line
  bool has_time = false;  // the timestamp passed check 5
  int32_t detail = -1;    // index into BatchReport::details, or -1 when nothing failed
};

enum class BatchStatus : uint8_t { Passed, Failed, NoData };
const char* batch_status_name(BatchStatus s);

// A failure found by walking a session (check 4, or check 7's platform rule), as a SessionsOnly validator lists it.
struct SessionFailureRecord {
  int64_t line_no;
  CheckId check;
  std::string reason;
};

struct BatchReport {
  std::array<CheckResult, kCheckCount> checks;
  std::vector<SessionFailureRecord> session_failures;  // a SessionsOnly validator's, in the order found
  std::vector<LineVerdict> lines;                      // every landed line, in line order
  std::vector<std::string> details;                    // "check: reason; check: reason" for lines that failed something
  int64_t blank_lines = 0;
  int64_t parsed_events = 0;
  uint64_t fingerprint = 0;  // hash of every line's bytes and position: detects a changed batch

  const CheckResult& check(CheckId id) const { return checks[check_index(id)]; }
  BatchStatus status(double min_pass_rate) const;
  // Reason codes of a line: "unparseable" or the names of the checks it failed, comma-separated.
  std::string reason_codes(const LineVerdict& v) const;
};

}  // namespace ecpipe
