// The HTML dashboard: one self-contained page (inline SVG and CSS, no script, no external asset) from report data.
#pragma once
#include <string>
#include <string_view>

namespace ecpipe {

// Renders the page from a JSON document (built by ecpipe_report_html in SQL):
//   {"from": "2024-01-01", "to": "2024-01-03", "min_pass_rate": 99.0,
//    "language": "ko" | "en", "timezone", "generated_at", "database",                      the header
//    "days":     [{"day", "status", "run_id", "failed_step", "error", "earlier": [{"run_id", "status"}],
//                  "checks": [{"check_no", "check_name", "population", "failed", "pass_rate", "status",
//                              "samples": [{"line_no", "event_id", "reason"}]}]}],       each day's latest run
//    "funnel":   [{"platform", "step1", "step2", "step3", "step4"}],            summed over the range
//    "orders":   [{"day", "orders", "revenue"}],                                  one per day of the range
//    "quality":  [{"day", "check_no", "check_name", "pass_rate"}],                latest validation per day
//    "products": [{"product_id", "units", "revenue"}],                            top products by revenue
//    "runs":     [{"run_id", "ds", "status", "started_at", "seconds", "failed_step"}],
//    "quarantine": [{"reason", "lines", "example"}]}
// Every value is escaped: a field holding "<script>" shows as text. Throws Error(InvalidArgument) on a document
// that is not an object of that shape.
std::string render_report_html(const std::string& report_json);

// Text made safe for HTML element content and quoted attribute values; direction controls become spaces.
std::string html_escape(std::string_view text);

}  // namespace ecpipe
