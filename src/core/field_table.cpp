// The schema's field names numbered once for all event types, with each type's rules and required fields.
#include "field_table.hpp"

#include <algorithm>

#include "ecpipe/error.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe::detail {

FieldTable::FieldTable(const CompiledSchema& schema) {
  std::fill(std::begin(slots_), std::end(slots_), -1);
  for (const char* special :
       {"event_id", "event_type", "session_id", "timestamp", "platform", "device_type", "order_id"})
    add(special);
  types_.push_back(type_fields(schema.common()));
  for (const auto& t : schema.types()) {
    type_names_.push_back(t.event_type);
    types_.push_back(type_fields(t));
  }
  // Field numbers grew while later types were read: give every type a rule slot for each.
  for (auto& t : types_) t.rule.resize(names_.size(), nullptr);
}

int FieldTable::add(const std::string& name) {
  const int existing = find(name);
  if (existing >= 0) return existing;
  if (names_.size() >= kMaxFields)
    throw Error(ErrorKind::SchemaInvalid, "event schema: more than 128 distinct field names across event types");
  const int at = static_cast<int>(names_.size());
  names_.push_back(name);
  size_t i = slot(name);
  while (slots_[i] >= 0) i = (i + 1) & (kSlots - 1);
  slots_[i] = at;
  return at;
}

FieldTable::TypeFields FieldTable::type_fields(const TypeRules& rules) {
  TypeFields t;
  for (const auto& f : rules.fields) {
    const int at = add(f.name);
    if (t.rule.size() <= static_cast<size_t>(at)) t.rule.resize(at + 1, nullptr);
    t.rule[at] = &f;
  }
  for (const auto& r : rules.required) {
    const int at = add(r);
    if (!(t.required & bit(at))) t.required_in_order.push_back(at);
    t.required |= bit(at);
  }
  return t;
}

}  // namespace ecpipe::detail
