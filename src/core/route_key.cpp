// Route keys of landed lines, for placing them on Citus shards.
#include "ecpipe/route_key.hpp"

#include "ecpipe/core_only.hpp"
#include "json_event.hpp"

namespace ecpipe {

namespace {
bool usable_id(simdjson::dom::element root, const char* field, std::string_view& out) {
  simdjson::dom::element v;
  if (root.at_key(field).get(v) != simdjson::SUCCESS || !v.is_string()) return false;
  out = v.get_string().value_unsafe();
  return !out.empty() && out.size() <= kMaxRouteId && out.find('\0') == std::string_view::npos;  // a text value
}
}  // namespace

std::string route_key(std::string_view line, int64_t line_no) {
  thread_local detail::EventParser parser;
  simdjson::dom::element root;
  bool has_nul = false;
  std::string why;
  std::string_view id;
  if (parser.parse_object(line, root, has_nul, why) &&
      (usable_id(root, "user_id", id) || usable_id(root, "session_id", id)))
    return std::string(id);
  return std::to_string(line_no);
}

}  // namespace ecpipe
