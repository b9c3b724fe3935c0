// The event day of a landed line from its timestamp alone (see line_day.hpp).
#include "ecpipe/line_day.hpp"

#include <string>

#include "ecpipe/core_only.hpp"
#include "json_event.hpp"

namespace ecpipe {

std::optional<int32_t> line_event_day(std::string_view line, const TimeZone& zone) {
  thread_local detail::EventParser parser;
  simdjson::dom::element root, value;
  bool has_nul = false;
  std::string why;
  if (!parser.parse_object(line, root, has_nul, why)) return std::nullopt;
  if (root.at_key("timestamp").get(value) != simdjson::SUCCESS || !value.is_string()) return std::nullopt;
  WrittenTimestamp written;
  if (!parse_timestamp(std::string_view(value.get_string().value_unsafe()), written, why)) return std::nullopt;
  return resolve_timestamp(written, zone).event_day;
}

}  // namespace ecpipe
