// Synthetic behaviour events in the original Airflow project's model and file format (JSONL, naive timestamps).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ecpipe {

struct GeneratorOptions {
  int64_t day = 0;            // days since 1970-01-01 (the batch date)
  int users = 500;            // U000001 .. U<users>; at most 999,999 so ids keep the ^U\d{6}$ shape
  uint64_t seed = 0;          // same options, same bytes
  double anomaly_rate = 0.0;  // chance per generated event of also injecting one bad event
};

// The kinds of bad event the generator injects; each makes exactly one check fail for exactly one member,
// and each injected line carries "anomaly": "<name>" (an unknown field, kept) so tests can count them.
enum class Anomaly : uint8_t {
  Unparseable,       // check 1: a truncated JSON line
  MissingRequired,   // check 1: page_view without user_id
  DuplicateEventId,  // check 2: a second line with an earlier page_view's event_id
  InvalidValue,      // check 3: page_type outside the enum
  FunnelViolation,   // check 4: a session whose only event is a purchase
  BadTimestamp,      // check 5: a timestamp in 2015
  AmountMismatch,    // check 6: total_amount 5,000 above the items
  PlatformDevice,    // check 7: ios on a desktop
};
constexpr int kAnomalyKinds = 8;
const char* anomaly_name(Anomaly a);

// Lines in timestamp order (injected lines sit next to the event that triggered them).
std::vector<std::string> generate_events(const GeneratorOptions& options);

}  // namespace ecpipe
