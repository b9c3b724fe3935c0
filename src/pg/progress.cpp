// Step progress as backend activity: pgstat_report_activity from C++ steps and from plpgsql (ecpipe.report_progress).
#include "progress.hpp"

#include <utility>

#include "boundary.hpp"

namespace ecpipe::pg {

void report_activity(const std::string& text) {
  const std::string shown = "ecpipe: " + text;
  server_call([&] { pgstat_report_activity(STATE_RUNNING, shown.c_str()); });
}

ProgressReporter::ProgressReporter(std::string label)
    : label_(std::move(label)), start_(std::chrono::steady_clock::now()) {
  report_activity(label_);
}

void ProgressReporter::lines_done(int64_t lines) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int64_t rate = seconds > 0 ? static_cast<int64_t>(static_cast<double>(lines) / seconds) : 0;
  report_activity(label_ + ": " + std::to_string(lines) + " lines (" + std::to_string(rate) + " lines/s)");
}

}  // namespace ecpipe::pg

ECPIPE_FUNCTION(ecpipe_report_progress) {
  char* message = nullptr;
  ecpipe::pg::server_call([&] { message = text_to_cstring(PG_GETARG_TEXT_PP(0)); });
  ecpipe::pg::report_activity(message);
  PG_RETURN_VOID();
}
