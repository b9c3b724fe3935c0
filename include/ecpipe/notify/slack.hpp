// Slack Block Kit messages for a run (the quality report, the success summary, the blocked / failed alerts) and for a
// backfill (one digest), the escaping every value from data gets on its way into one, and the sanitizer every queued
// payload goes through.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "ecpipe/notify/wording.hpp"

namespace ecpipe {

// Builds the message of `kind` ("quality_report", "success", "blocked", "failed" or
// "no_data") from a run summary (the
// jsonb ecpipe_run returns, as text). Returns the payload as JSON text; throws Error(InvalidArgument) for an
// unknown kind or a summary that is not a JSON object. Every string of the summary is data: it is escaped with
// slack_text (in titles and fields) or shown in a code span / code block (samples, errors), never as live mrkdwn.
// Counts show thousands separators and revenue is in won, in the language's form.
std::string slack_message(const std::string& kind, const std::string& summary_json,
                          Language language = Language::Korean);

// One message for a backfill instead of two per day: the range asked for, its days succeeded / blocked / failed /
// without data, the events loaded and revenue of the days that succeeded, the lines quarantined, each blocked day
// with its failing checks and each failed day with its step and error (10 of each at most, within Slack's section
// size), and where a cancel stopped it. Tagged [ALERT] when a day failed, [BLOCKED] when one was blocked, [SUCCESS]
// when all succeeded. `summaries_json` is {"from", "to", "runs": [run summaries in day order]} or the array alone;
// throws Error(InvalidArgument) for anything else.
std::string slack_digest(const std::string& summaries_json, Language language = Language::Korean);

// A value from data made inert for Slack mrkdwn text: control characters and bidirectional overrides become
// spaces (newlines too unless keep_newlines), a backtick becomes U+02CB (so the value cannot close a code span),
// and &, <, > become &amp;, &lt;, &gt; (Slack's escaping: no mention, link or command can start). At most
// max_chars characters come out (entities counted in full, never split); a cut value ends in "…".
std::string slack_text(std::string_view value, size_t max_chars, bool keep_newlines = false);

// slack_text(value, max_chars) inside an inline code span: `value`; an empty value shows as an em dash.
std::string slack_code(std::string_view value, size_t max_chars);

// Any payload as ecpipe will send it: only "text" and Block Kit header, section, context and divider blocks with
// plain_text / mrkdwn text objects are kept (no buttons, images, URLs, channel, username, icon, link_names or parse
// overrides; unfurling off), within Slack's size limits; every text has <, > and stray & escaped (entities already
// written are kept, so a payload ecpipe built comes out unchanged, and sanitizing twice changes nothing). Throws
// Error(InvalidArgument) when the payload is not a JSON object with a "text" or at least one block.
std::string slack_payload(const std::string& payload_json);

}  // namespace ecpipe
