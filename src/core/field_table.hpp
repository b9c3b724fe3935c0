// Internal: every field name the schema judges, for all event types at once, so that one walk over an event's
// fields finds each of them before the event's type is known; per type, each field's rule and whether it is required.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "ecpipe/schema.hpp"
#include "interner.hpp"
#include "json_event.hpp"

namespace ecpipe::detail {

class FieldTable {
 public:
  static constexpr int kMaxFields = 128;
  using Mask = unsigned __int128;  // one bit per field number
  static Mask bit(int field) { return Mask{1} << field; }

  // The fields the checks read whatever the schema says, numbered first.
  enum Special : int { kEventId, kEventType, kSessionId, kTimestamp, kPlatform, kDeviceType, kOrderId, kSpecialCount };

  // What one event type judges: common fields and its own (index 0 is the common rules, for an unknown type).
  struct TypeFields {
    std::vector<const FieldRule*> rule;  // by field number; nullptr when the type has no rule for it
    Mask required = 0;
    std::vector<int> required_in_order;  // as the schema lists them, for "missing required a, b"
  };

  explicit FieldTable(const CompiledSchema& schema);

  // The field number of a key, or -1 for a field no type judges.
  int find(std::string_view key) const {
    for (size_t i = slot(key);; i = (i + 1) & (kSlots - 1)) {
      const int at = slots_[i];
      if (at < 0 || same_bytes(names_[at], key)) return at;
    }
  }
  const std::string& name(int field) const { return names_[field]; }
  int size() const { return static_cast<int>(names_.size()); }  // how many field numbers there are
  // The rules for the type named `event_type`; the common rules for any other name.
  const TypeFields& for_type(std::string_view event_type) const {
    for (size_t i = 0; i < type_names_.size(); ++i)
      if (type_names_[i] == event_type) return types_[i + 1];
    return types_[0];
  }
  const TypeFields& common() const { return types_[0]; }

 private:
  static constexpr size_t kSlots = 512;
  static size_t slot(std::string_view k) { return key_screen_bit(k); }
  int add(const std::string& name);
  TypeFields type_fields(const TypeRules& rules);

  std::vector<std::string> names_;
  std::vector<std::string> type_names_;
  std::vector<TypeFields> types_;
  int slots_[kSlots];
};

}  // namespace ecpipe::detail
