// Field-by-field mapping of a parsed event onto raw_events' typed columns; the rest goes to `extras`.
#include "ecpipe/raw_event.hpp"

#include "field_table.hpp"
#include "json_event.hpp"
#include "json_text.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

const char* const kTextNames[] = {
    "event_id",    "event_type",  "user_id",   "session_id",     "platform",     "device_type",     "os",
    "browser",     "page_url",    "page_type", "referrer",       "element_id",   "element_type",    "product_id",
    "category_id", "source_page", "order_id",  "payment_method", "search_query", "category_filter", "sort_type"};
const char* const kIntNames[] = {"position", "quantity", "result_count", "page_number"};
const char* const kNumberNames[] = {"unit_price", "total_amount"};

enum class Kind { Text, Int, Number, Bool, ExtraData, Timestamp, None };
struct Column {
  Kind kind;
  int index;
};

Column column_of(std::string_view name) {
  for (int i = 0; i < RawEvent::kTextColumns; ++i)
    if (name == kTextNames[i]) return {Kind::Text, i};
  for (int i = 0; i < RawEvent::kIntColumns; ++i)
    if (name == kIntNames[i]) return {Kind::Int, i};
  for (int i = 0; i < RawEvent::kNumberColumns; ++i)
    if (name == kNumberNames[i]) return {Kind::Number, i};
  if (name == "is_recommendation") return {Kind::Bool, 0};
  if (name == "extra_data") return {Kind::ExtraData, 0};
  if (name == "timestamp") return {Kind::Timestamp, 0};
  return {Kind::None, 0};
}

constexpr int64_t kMaxHundredths = 99999999999999;  // numeric(14,2): 999999999999.99

}  // namespace

bool numeric_14_2_hundredths(std::string_view text, int64_t& out) {
  const detail::WrittenNumber n = detail::parse_number(text);
  if (!n.complete) return false;
  const detail::Significant s = detail::significant(n);
  int64_t value = 0;
  if (s.first < s.end) {
    if (s.leading_place >= 12) return false;  // 10^12 or more: beyond 999999999999.99 however it rounds
    // the digits down to the hundredths, then the thousandths' digit rounds half away from zero
    for (int64_t place = s.leading_place; place >= -2; --place) value = value * 10 + detail::digit_at_place(n, place);
    if (detail::digit_at_place(n, -3) >= 5) ++value;
  }
  if (value > kMaxHundredths) return false;
  out = n.negative ? -value : value;
  return true;
}

const char* raw_text_column(int i) { return kTextNames[i]; }
const char* raw_int_column(int i) { return kIntNames[i]; }
const char* raw_number_column(int i) { return kNumberNames[i]; }

class RawEventExtractor::Impl {
 public:
  explicit Impl(const CompiledSchema& schema) : fields_(schema) {
    for (int f = 0; f < fields_.size(); ++f) columns_.push_back(column_of(fields_.name(f)));
  }

  bool extract(std::string_view line, const TimeZone& zone, RawEvent& out, std::string& why) {
    out = RawEvent{};
    element root;
    // Validation judged this line already (repeated keys, U+0000): parsing it is enough. Were it different now, the
    // loader's fingerprint of the batch would fail the load.
    bool may_have_nul = false;
    if (!parser_.parse_line(line, root, may_have_nul, why)) return false;
    simdjson::dom::object obj = root.get_object().value_unsafe();
    element type_value;
    const detail::FieldTable::TypeFields& rules =
        !obj["event_type"].get(type_value) && type_value.is_string()
            ? fields_.for_type(std::string_view(type_value.get_string().value_unsafe()))
            : fields_.common();
    bool has_time = false;
    std::string extras = "{";
    // Values are stored as written in the line: the DOM holds non-integer numbers as doubles (1e400, 30 digits or 23
    // decimals would change), so their text, and that of containers, is read from the line, walked only that far.
    detail::MemberTexts texts(line);
    size_t member = 0;
    for (auto field : obj) {
      const size_t at = member++;
      const element v = field.value;
      const int number = fields_.find(field.key);
      const Column c = number >= 0 ? columns_[number] : Column{Kind::None, 0};
      const bool defined = number >= 0 && rules.rule[number] != nullptr;
      if (c.kind == Kind::Timestamp) {
        has_time = resolve(v, zone, out.time);
        continue;
      }
      if (v.is_null() && defined) continue;  // a null the schema allows is simply NULL
      if (defined && fill(c, v, out, texts, at)) continue;
      if (extras.size() > 1) extras += ',';
      append_member(extras, field.key, exact(v) ? std::string_view(simdjson::to_string(v)) : texts.at(at));
    }
    if (!has_time) {
      why = "no valid timestamp";
      return false;
    }
    if (extras.size() > 1) out.extras = extras + "}";
    return true;
  }

 private:
  // Whether the DOM holds the value exactly as written (so its own rendering is the value): not a double, nor a
  // container that may hold one.
  static bool exact(element v) {
    const auto t = v.type();
    return t != element_type::DOUBLE && t != element_type::OBJECT && t != element_type::ARRAY;
  }

  static void append_member(std::string& out, std::string_view key, std::string_view value_text) {
    out += '"';
    for (char ch : key) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20) {
        static const char* hex = "0123456789abcdef";
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      } else {
        out += ch;
      }
    }
    out += "\":";
    out += value_text;
  }

  bool resolve(element v, const TimeZone& zone, EventTime& out) {
    if (!v.is_string()) return false;
    WrittenTimestamp ts;
    std::string why;
    if (!parse_timestamp(std::string_view(v.get_string().value_unsafe()), ts, why)) return false;
    out = resolve_timestamp(ts, zone);
    return true;
  }

  // `texts.at(member)` is the value as written in the line.
  bool fill(Column c, element v, RawEvent& out, detail::MemberTexts& texts, size_t member) {
    switch (c.kind) {
      case Kind::Text:
        if (!v.is_string()) return false;
        out.text[c.index] = std::string(v.get_string().value_unsafe());
        return true;
      case Kind::Int: {  // exactly as written: a double would turn 9007199254740993.0 into ...992
        int64_t value = 0;
        if (v.type() == element_type::INT64) {
          value = v.get_int64().value_unsafe();
        } else if (v.type() != element_type::DOUBLE || !detail::number_to_int64(texts.at(member), value)) {
          return false;  // not a number, a whole number beyond bigint, or not whole
        }
        out.ints[c.index] = value;
        return true;
      }
      case Kind::Number: {
        // numeric(14,2) holds up to 999999999999.99; a value that rounds beyond it is kept in extras instead.
        int64_t hundredths = 0;
        if (v.type() == element_type::INT64) {
          const int64_t whole = v.get_int64().value_unsafe();
          if (whole > kMaxHundredths / 100 || whole < -kMaxHundredths / 100) return false;
          hundredths = whole * 100;
        } else if (v.type() != element_type::DOUBLE || !numeric_14_2_hundredths(texts.at(member), hundredths)) {
          return false;
        }
        out.hundredths[c.index] = hundredths;
        return true;
      }
      case Kind::Bool:
        if (!v.is_bool()) return false;
        out.is_recommendation = v.get_bool().value_unsafe();
        return true;
      case Kind::ExtraData: {  // the object as written, or the JSON text a string holds
        element decoded = v;
        std::string why;
        const bool embedded = v.is_string();
        if (embedded && !parser_.parse_embedded(std::string_view(v.get_string().value_unsafe()), decoded, why))
          return false;
        if (!decoded.is_object()) return false;
        out.extra_data = embedded ? std::string(v.get_string().value_unsafe()) : std::string(texts.at(member));
        return true;
      }
      case Kind::Timestamp:
      case Kind::None: return false;
    }
    return false;
  }

  detail::FieldTable fields_;
  std::vector<Column> columns_;  // by field number: the raw column a field fills
  detail::EventParser parser_;
};

RawEventExtractor::RawEventExtractor(const CompiledSchema& schema) : impl_(std::make_unique<Impl>(schema)) {}
RawEventExtractor::~RawEventExtractor() = default;
bool RawEventExtractor::extract(std::string_view line, const TimeZone& zone, RawEvent& out, std::string& why) {
  return impl_->extract(line, zone, out, why);
}

}  // namespace ecpipe
