// Slack Block Kit messages for a run: the quality report, the success summary, and the blocked / failed alerts.
#pragma once
#include <string>

namespace ecpipe {

// Builds the message of `kind` ("quality_report", "success", "blocked", "failed" or
// "no_data") from a run summary (the
// jsonb ecpipe_run returns, as text). Returns the payload as JSON text; throws Error(InvalidArgument) for an
// unknown kind or a summary that is not a JSON object.
std::string slack_message(const std::string& kind, const std::string& summary_json);

}  // namespace ecpipe
