// The loader's side work on a thread of its own: the event side of the marts of the first few event days, and the
// batch's distinct users and sessions, aggregated while the loader writes the rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "ecpipe/marts.hpp"

namespace ecpipe {

struct AggregatedDay {
  DayMarts marts;
  std::vector<int64_t> purchase_lines;  // line_no of each purchase, in the order added
};

struct Aggregates {
  std::map<int64_t, AggregatedDay> days;  // by event day: the first max_days days an event was added for
  int64_t users = 0, sessions = 0;        // distinct user_id and session_id (when present) over every event added
};

class MartAggregator {
 public:
  // Aggregates marts for the first max_days distinct event days met; events of later days count in users and
  // sessions only. The thread blocks every signal (the process's handlers stay with the thread that called this).
  explicit MartAggregator(size_t max_days);
  ~MartAggregator();  // stops the thread and waits for it; what it had is dropped
  MartAggregator(const MartAggregator&) = delete;
  MartAggregator& operator=(const MartAggregator&) = delete;

  // Copies what the marts read of an event written to raw (mart_event_of), with its user_id and session_id when
  // present, and returns, waiting only when the thread is more than a few chunks of events behind. Throws what the
  // thread threw (Interrupted when the server asked to stop, or any error).
  void add(int64_t line_no, const RawEvent& e);
  // Waits for the thread to take in every event and returns the aggregates; throws what the thread threw.
  Aggregates finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ecpipe
