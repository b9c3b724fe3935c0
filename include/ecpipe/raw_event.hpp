// Turning a line that passed the quarantine checks into the typed columns of ecpipe.raw_events.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ecpipe/schema.hpp"
#include "ecpipe/timestamp.hpp"

namespace ecpipe {

// The typed columns of a raw event. A field fills its column only when the schema defines it for the event's
// type and its JSON type fits the column; every other field is kept, as JSON, in `extras`.
struct RawEvent {
  enum Text {
    EventId,
    EventType,
    UserId,
    SessionId,
    Platform,
    DeviceType,
    Os,
    Browser,
    PageUrl,
    PageType,
    Referrer,
    ElementId,
    ElementType,
    ProductId,
    CategoryId,
    SourcePage,
    OrderId,
    PaymentMethod,
    SearchQuery,
    CategoryFilter,
    SortType,
    kTextColumns
  };
  enum Int { Position, Quantity, ResultCount, PageNumber, kIntColumns };
  enum Number { UnitPrice, TotalAmount, kNumberColumns };

  std::array<std::optional<std::string>, kTextColumns> text;
  std::array<std::optional<int64_t>, kIntColumns> ints;
  // numeric(14,2) values in hundredths, made from the number as written (rounded half away from zero, as
  // PostgreSQL rounds the literal), not from its double
  std::array<std::optional<int64_t>, kNumberColumns> hundredths;
  std::optional<bool> is_recommendation;
  std::optional<std::string> extra_data;  // the purchase's extra_data as a JSON object (decoded from a string)
  std::optional<std::string> extras;      // a JSON object of the fields that have no column
  EventTime time;                         // the timestamp resolved in the zone
};

class RawEventExtractor {
 public:
  explicit RawEventExtractor(const CompiledSchema& schema);
  ~RawEventExtractor();
  RawEventExtractor(const RawEventExtractor&) = delete;
  RawEventExtractor& operator=(const RawEventExtractor&) = delete;

  // Fills `out` from a line that validation sent to raw; false with a reason if the line no longer parses or has
  // no valid timestamp (the batch changed underneath, which the loader treats as an error).
  bool extract(std::string_view line, const TimeZone& zone, RawEvent& out, std::string& why);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The value of a JSON number text in hundredths, rounded half away from zero at the second decimal as PostgreSQL
// rounds a literal into numeric(14,2); false when the text is no JSON number or the rounded value does not fit.
bool numeric_14_2_hundredths(std::string_view json_number, int64_t& out);

// Names of the typed text, integer and number columns, in enum order (for SQL generation and tests).
const char* raw_text_column(int i);
const char* raw_int_column(int i);
const char* raw_number_column(int i);

}  // namespace ecpipe
