// The event side of a day's marts as the load computed it while writing the day's every row: kept for the marts step
// of the same run (which then reads nothing back from raw_events), dropped when the transaction or subtransaction
// ends in any other way.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "ecpipe/marts.hpp"

namespace ecpipe::pg {

struct StashedDay {
  DayMarts marts;
  int64_t batch_unix_day = 0;           // the batch whose rows are the day's only rows
  std::vector<int64_t> purchase_lines;  // line_no of each of its purchase rows on that day
};

// Keeps what the load of run_id computed for an event day whose raw partition it created (so the day holds no other
// rows). Replaces an earlier entry of the same run and day.
void stash_day_marts(int64_t run_id, int64_t unix_day, StashedDay day);

// Takes (and forgets) what the load of run_id kept for the day, if anything. The caller must be the marts step of
// that same run, in the same transaction, with no write to the day's partition since the load.
std::optional<StashedDay> take_day_marts(int64_t run_id, int64_t unix_day);

}  // namespace ecpipe::pg
