// What travels between a Citus coordinator and its workers when a batch is validated shard by shard: the keys that
// span shards (to the workers) and each shard's counts and samples (back), as JSON.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "ecpipe/checks.hpp"
#include "ecpipe/settings.hpp"
#include "ecpipe/validator.hpp"

namespace ecpipe {

std::string spanning_to_json(const SpanningKeys& keys);
SpanningKeys spanning_from_json(std::string_view text);

// A shard's report without its line verdicts (the shard writes those itself): lines, blank lines, parsed events,
// quarantined lines, and each check's population, failed and samples.
struct ShardSummary {
  int64_t lines = 0, quarantined = 0;
  BatchReport report;  // checks, blank_lines, parsed_events; no lines
};
std::string shard_summary_to_json(const BatchReport& report);
ShardSummary shard_summary_from_json(std::string_view text);

// The settings the checks ran with, for the workers to run them with: the same now() everywhere.
std::string settings_to_json(const Settings& s, const std::string& timezone);
Settings settings_from_json(std::string_view text, std::string& timezone);

// The merged checks of a distributed batch (counts, samples, blank lines, parsed events) from the shards' reports or
// summaries and the spanning sessions' report, as merge_shard_reports makes them, without line verdicts.
BatchReport merge_shard_checks(const std::vector<BatchReport>& shards, const BatchReport& sessions);

// A session walk's failure applied to a line's flags and detail, as one validator over the whole batch records it:
// nothing when the line already failed that check; else its flag, and "; check: reason" after what it has.
void apply_session_failure(uint8_t& failed, std::string& detail, const SessionFailureRecord& f);

}  // namespace ecpipe
