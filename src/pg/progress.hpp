// Progress of a long step, shown as the backend's activity (pg_stat_activity.query, read by ecpipe.current_runs).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace ecpipe::pg {

// Replaces this backend's pg_stat_activity.query with "ecpipe: <text>" until the next statement starts.
void report_activity(const std::string& text);

// "ecpipe: <label>: N lines (R lines/s)", refreshed as lines go by.
class ProgressReporter {
 public:
  explicit ProgressReporter(std::string label);
  void lines_done(int64_t lines);

 private:
  std::string label_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ecpipe::pg
