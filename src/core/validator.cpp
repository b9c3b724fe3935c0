// The seven checks in one pass over a batch: per-line checks (1, 2, 3, 5, 6, 7's device rule) as lines arrive,
// session-ordered checks (4, 7's platform rule) from compact per-event records at the end.
#include "ecpipe/validator.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ecpipe/error.hpp"
#include "ecpipe/mapped_memory.hpp"
#include "ecpipe/event_type.hpp"
#include "ecpipe/interrupts.hpp"
#include "ecpipe/line_reader.hpp"
#include "ecpipe/quote.hpp"
#include "ecpipe/shard_report.hpp"
#include "id_first_seen.hpp"
#include "field_check.hpp"
#include "field_table.hpp"
#include "interner.hpp"
#include "json_event.hpp"
#include "json_text.hpp"
#include "order_amount.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using detail::FieldTable;
using detail::IdFirstSeen;
using detail::StringInterner;
using simdjson::dom::element;

const char* check_name(CheckId id) {
  switch (id) {
    case CheckId::RequiredFields: return "required_fields";
    case CheckId::DuplicateEventId: return "duplicate_event_id";
    case CheckId::ValueValidity: return "value_validity";
    case CheckId::FunnelSequence: return "funnel_sequence";
    case CheckId::TimestampValidity: return "timestamp_validity";
    case CheckId::OrderAmount: return "order_amount";
    case CheckId::PlatformDevice: return "platform_device";
  }
  return "unknown";
}

const char* batch_status_name(BatchStatus s) {
  switch (s) {
    case BatchStatus::Passed: return "passed";
    case BatchStatus::Failed: return "failed";
    case BatchStatus::NoData: return "no_data";
  }
  return "unknown";
}

BatchStatus BatchReport::status(double min_pass_rate) const {
  if (check(CheckId::RequiredFields).population == 0) return BatchStatus::NoData;
  for (const auto& c : checks)
    if (!c.passed(min_pass_rate)) return BatchStatus::Failed;
  return BatchStatus::Passed;
}

std::string BatchReport::reason_codes(const LineVerdict& v) const {
  std::string out = v.unparseable ? "unparseable" : "";
  for (int i = 0; i < kCheckCount; ++i) {
    if (!(v.failed & (1u << i))) continue;
    if (v.unparseable && i == 0) continue;
    if (!out.empty()) out += ',';
    out += check_name(static_cast<CheckId>(i + 1));
  }
  return out;
}

namespace {

// What the session-ordered checks need of one event: 24 bytes instead of the event. Lines are held in line_no
// order, so line_index orders events as line_no does.
struct TimedEvent {
  uint32_t session;
  uint32_t line_index;
  int64_t micros;
  uint32_t event_id;  // index of the line that first used the event_id, or IdFirstSeen::kNone
  int16_t platform;   // platform number, kUnnumberedPlatform, or -1 when absent or empty (then outside check 7)
  EventType type;
};

// Text headed for the quality log and quarantine details: valid UTF-8 without U+0000 (PostgreSQL text and jsonb
// cannot hold it), and never longer than kMaxReasonChars whatever the data quoted in it.
std::string printable(std::string_view s) { return cut_value(s, kMaxReasonChars); }

// Check 7 compares platforms by number. The first kNumberedPlatforms distinct platforms of a batch are numbered
// (TimedEvent holds 16 bits; real batches have three); an event with any later one is marked kUnnumberedPlatform and
// its platform kept as text.
constexpr size_t kNumberedPlatforms = 32000;
constexpr int16_t kUnnumberedPlatform = INT16_MAX;

// Event days raw_events can hold (its partitions are named by a four-digit year).
const int64_t kFirstEventDay = days_from_civil(1, 1, 1);
const int64_t kLastEventDay = days_from_civil(9999, 12, 31);

// At most this many JSON values (scalars and containers, at any depth, a decoded extra_data included) in one
// event. A jsonb value takes up to ~16 bytes however short its text, and jsonb refuses a container above 256 MB,
// so an event with millions of tiny values could pass validation and then fail to load; real events hold dozens.
constexpr size_t kMaxJsonValues = 100000;
// The largest amount the marts' numeric(14,2) columns take, with a margin for rounding (999,999,999,999.99).
constexpr double kMaxMoney = 999999999999.0;
// The longest order_id or line-item product_id the marts take: both are part of a mart's primary key, and a btree
// entry must fit a third of a page (~2,700 bytes), so a longer id would make its day's marts fail on every re-run.
constexpr size_t kMaxMartKeyBytes = 1000;
// A line needs at least two bytes per value, so only lines longer than this are counted.
constexpr size_t kCountValuesFrom = 2 * kMaxJsonValues;
// A number between 1e-300 and 1e300 in magnitude has more digits after the decimal point than numeric holds (16,383)
// only when written with more than 16,000 digits: only lines at least this long are searched for one.
constexpr size_t kLongNumbers = 16000;

}  // namespace

class BatchValidator::Impl {
 public:
  Impl(const CompiledSchema& schema, const Settings& settings, const TimeZone& zone, const SpanningKeys* spanning,
       ValidatorScope scope)
      : settings_(settings),
        zone_(zone),
        fields_(schema),
        extra_data_field_(fields_.find("extra_data")),
        spanning_(spanning),
        sessions_only_(scope == ValidatorScope::SessionsOnly) {
    for (int i = 0; i < kCheckCount; ++i) report_.checks[i].id = static_cast<CheckId>(i + 1);
  }

  void reserve(size_t lines) {
    detail::reserve_mapped(report_.lines, lines);
    detail::reserve_mapped(timed_, lines);
    event_ids_.reserve(lines);
  }

  void add(int64_t line_no, std::string_view line) {
    if (report_.lines.size() >= IdFirstSeen::kNone)
      throw Error(ErrorKind::Internal, "a batch holds at most 4,294,967,294 lines");
    poll_interrupts();
    fingerprint_.add(line_no, line);
    report_.fingerprint = fingerprint_.value();
    LineVerdict v;
    v.line_no = line_no;
    if (is_blank_line(line)) {
      ++report_.blank_lines;
      report_.lines.push_back(v);
      return;
    }
    check(CheckId::RequiredFields).population++;
    element root;
    bool may_have_nul = false, has_nul = false;
    std::string why;
    const bool too_long = static_cast<uint64_t>(line.size()) > static_cast<uint64_t>(settings_.max_line_bytes);
    if (too_long || !parser_.parse_line(line, root, may_have_nul, why) ||
        !scan_fields(root, may_have_nul, has_nul, why)) {
      // A line ecpipe_ingest cut says how long it was; any other line too long is judged by its length alone.
      const std::string_view note = cut_line_note(line);
      if (!note.empty())
        why = std::string(note);
      else if (too_long)
        why = "line of " + std::to_string(line.size()) + " bytes is longer than ecpipe.max_line_bytes (" +
              std::to_string(settings_.max_line_bytes) + ")";
      v.unparseable = true;
      fail(v, CheckId::RequiredFields, EventRef{}, "unparseable: " + why);
      finish_line(v);
      return;
    }
    ++report_.parsed_events;
    line_ = line;
    judge_event(v, root, has_nul, line.size());
    finish_line(v);
  }

  LineKeys keys_of(std::string_view line) {
    LineKeys k;
    if (is_blank_line(line) || static_cast<uint64_t>(line.size()) > static_cast<uint64_t>(settings_.max_line_bytes))
      return k;
    element root;
    bool may_have_nul = false, has_nul = false;
    std::string why;
    if (!parser_.parse_line(line, root, may_have_nul, why) || !scan_fields(root, may_have_nul, has_nul, why)) return k;
    const EventFields& f = top_;
    k.parsed = true;
    k.event_id = std::string(f.text(FieldTable::kEventId).value_or(""));
    k.session_id = std::string(f.text(FieldTable::kSessionId).value_or(""));
    const auto type_name = f.text(FieldTable::kEventType);
    if (type_name && event_type_of(*type_name) == EventType::Purchase)
      if (const auto order = f.text(FieldTable::kOrderId)) k.order_id = std::string(*order);
    return k;
  }

  BatchReport finish() {
    in_session_checks_ = true;
    session_checks();
    name_kept_samples();
    return std::move(report_);
  }

 private:
  // The scan's findings for the current event, kept between events so that nothing is set up per line.
  struct EventFields {
    FieldTable::Mask seen = 0;
    int count = 0;
    uint8_t order[FieldTable::kMaxFields];    // field numbers in the order the event lists them
    element value[FieldTable::kMaxFields];    // by field number, valid where `seen` has its bit
    uint32_t member[FieldTable::kMaxFields];  // by field number: its place among all of the event's members
    // a top-level value is a container, or a double near 0 or of huge magnitude: a number in it, as written, may be
    // beyond what jsonb holds (kLongNumbers says when any other could be)
    bool may_hold_big_numbers = false;

    bool has(int field) const { return (seen & FieldTable::bit(field)) != 0; }
    element get(int field) const { return value[field]; }
    // The field's text when it is present and a string.
    std::optional<std::string_view> text(int field) const {
      if (!has(field) || !value[field].is_string()) return std::nullopt;
      return string_of(value[field]);
    }
  };

  CheckResult& check(CheckId id) { return report_.checks[check_index(id)]; }

  // A failing event's event_id for its sample: the text while the line is judged; afterwards (the session checks)
  // the index of the line that first used it, turned back into text only for the samples kept.
  struct EventRef {
    std::string_view text;
    uint32_t first_line = IdFirstSeen::kNone;
  };

  // The one way a failure is recorded, whenever it is found: the line's flag for the check and a part of its
  // detail, and, when it makes a new failed member, the check's count and a sample. A line fails a check once. Its
  // failure is a new failed member, except in check 4, whose members are sessions: only a session's first counts.
  void fail(LineVerdict& v, CheckId id, EventRef event, std::string_view reason, bool new_member = true) {
    const uint8_t bit = check_bit(id);
    if (v.failed & bit) return;
    v.failed |= bit;
    if (sessions_only_ && !in_session_checks_) return;  // noted: a session failure then does not count it again
    std::string shown = printable(reason);
    if (sessions_only_) report_.session_failures.push_back({v.line_no, id, shown});
    append_detail(v, id, shown);
    if (!new_member) return;
    ++check(id).failed;
    keep_sample(id, v.line_no, event, std::move(shown));
  }

  // "check: reason; check: reason", in the order the failures were found.
  void append_detail(LineVerdict& v, CheckId id, const std::string& reason) {
    std::string* detail;
    if (v.detail < 0) {
      v.detail = static_cast<int32_t>(report_.details.size());
      detail = &report_.details.emplace_back();
    } else {
      detail = &report_.details[v.detail];
      detail->append("; ");
    }
    detail->append(check_name(id)).append(": ").append(reason);
  }

  void finish_line(LineVerdict& v) {
    v.disposition = (v.unparseable || (v.failed & kQuarantineChecks)) ? Disposition::Quarantine : Disposition::Raw;
    report_.lines.push_back(v);
  }

  static std::string_view string_of(element e) { return std::string_view(e.get_string().value_unsafe()); }

  // One walk over the event's top-level fields: each field the schema knows is numbered and kept (a repeated one
  // is caught by its bit), nested values are checked for repeated keys and U+0000, and unknown keys are screened
  // for repeats by a signature mask. Any repeat found or suspected is confirmed, and worded, by the parser's own
  // walk of the whole event, so the reason is the same as parse_object would give.
  bool scan_fields(element root, bool may_have_nul, bool& has_nul, std::string& why) {
    top_.seen = 0;
    top_.count = 0;
    top_.may_hold_big_numbers = false;
    bool maybe_repeated = false;
    detail::KeyScreen unknown_keys;
    uint32_t member = 0;
    for (auto field : simdjson::dom::object(root)) {
      const auto type = field.value.type();
      if (type == simdjson::dom::element_type::OBJECT || type == simdjson::dom::element_type::ARRAY) {
        top_.may_hold_big_numbers = true;
      } else if (type == simdjson::dom::element_type::DOUBLE) {
        const double magnitude = std::fabs(field.value.get_double().value_unsafe());
        top_.may_hold_big_numbers |= !(magnitude >= 1e-300 && magnitude <= 1e300);
      }
      ++member;
      if (may_have_nul && field.key.find('\0') != std::string_view::npos) has_nul = true;
      if (detail::EventParser::worth_checking(field.value, may_have_nul) &&
          !parser_.check_value(field.value, may_have_nul, has_nul, why))
        return false;
      const int at = fields_.find(field.key);
      if (at >= 0) {
        if (top_.seen & FieldTable::bit(at)) {
          maybe_repeated = true;
          continue;
        }
        top_.seen |= FieldTable::bit(at);
        top_.order[top_.count++] = static_cast<uint8_t>(at);
        top_.value[at] = field.value;
        top_.member[at] = member - 1;
        continue;
      }
      maybe_repeated |= unknown_keys.collides(field.key);
    }
    if (maybe_repeated) {
      bool ignored = false;
      if (!parser_.check_value(root, may_have_nul, ignored, why)) return false;
    }
    return true;
  }

  void judge_event(LineVerdict& v, element root, bool has_nul, size_t line_bytes) {
    const EventFields& f = top_;
    const std::string_view event_id = f.text(FieldTable::kEventId).value_or("");
    const auto type_name = f.text(FieldTable::kEventType);
    const EventType type = type_name ? event_type_of(*type_name) : EventType::Unknown;
    const FieldTable::TypeFields& rules = type_name ? fields_.for_type(*type_name) : fields_.common();
    // Ask for the ids' table slots now; judging the fields below hides the wait for them.
    const IdFirstSeen::Probe id_probe = event_ids_.prepare(event_id);
    const std::string_view session = f.text(FieldTable::kSessionId).value_or("");
    const IdFirstSeen::Probe session_probe = session.empty() ? IdFirstSeen::Probe() : sessions_.prepare(session);

    std::string limit_reason;
    has_decoded_extra_ = false;
    // U+0000 anywhere, or anything else PostgreSQL or the marts could not store, fails check 3 (limit_reason says
    // which when it is not U+0000).
    const bool unstorable = has_nul || !storable_values(root, rules, line_bytes, limit_reason);
    required_and_values(v, rules, event_id, unstorable, limit_reason);
    const uint32_t event_id_key = duplicate_event_id(v, id_probe);
    int64_t micros = 0;
    const bool timed = timestamp_validity(v, f, event_id, micros);
    if (type == EventType::Purchase) order_amount(v, root, f, event_id);
    platform_device(v, f, event_id);

    // a session on several shards is walked by a SessionsOnly validator over all of its lines
    if (timed && !session.empty() &&
        !(spanning_ && !spanning_->sessions.empty() && spanning_->sessions.count(std::string(session)))) {
      TimedEvent t;
      t.session = sessions_.first_seen(session_probe, sessions_.size());
      t.line_index = static_cast<uint32_t>(report_.lines.size());
      t.micros = micros;
      t.event_id = event_id_key;
      t.platform = platform_key(f, t.line_index);
      t.type = type;
      timed_.push_back(t);
    }
  }

  // An integer field's value, when the DOM holds it as a double that is whole (2.0, 1e3), must be whole as written
  // too: 1.0000000000000000000001 is a whole double but no integer. Judged from the line's text, rarely needed.
  bool whole_as_written(const FieldRule& rule, int field) const {
    if (!(rule.types & kInteger) || (rule.types & kNumber)) return true;
    if (top_.value[field].type() != simdjson::dom::element_type::DOUBLE) return true;
    return detail::number_is_whole(detail::member_text(line_, top_.member[field]));
  }

  // What the loader stores must fit PostgreSQL: a purchase's extra_data written as a string is stored decoded, so
  // U+0000 inside it (a \\u0000 in the string) is U+0000 in the event; and an event may hold at most
  // kMaxJsonValues JSON values, so that its jsonb stays far below jsonb's limits (only a long line can hold that
  // many, so only long lines are counted).
  bool storable_values(element root, const FieldTable::TypeFields& rules, size_t line_bytes, std::string& reason) {
    element extra;
    bool decoded = false;
    const bool has_extra = extra_data_field_ >= 0 && rules.rule[extra_data_field_] && top_.has(extra_data_field_);
    if (has_extra && top_.get(extra_data_field_).is_string()) {
      const std::string_view text = string_of(top_.get(extra_data_field_));
      std::string why;
      bool nul = false;
      if (parser_.parse_embedded(text, extra, why, &nul)) decoded = true;
      decoded_extra_ = extra;
      has_decoded_extra_ = decoded;
      if (nul) {
        reason = "extra_data: a string in it contains U+0000";
        return false;
      }
    }
    if (has_extra && !extra_data_fits_marts(decoded ? extra : top_.get(extra_data_field_), reason)) return false;
    // Values without a column of their own are stored as jsonb, numbers as written: one beyond numeric's range
    // could not be stored.
    std::string_view big;
    if (top_.may_hold_big_numbers || line_bytes >= kLongNumbers) big = detail::first_number_beyond_numeric(line_);
    if (big.empty() && decoded) big = detail::first_number_beyond_numeric(string_of(top_.get(extra_data_field_)));
    if (!big.empty()) {
      reason = "number " + cut_value(big, 40) + " is beyond what PostgreSQL's numeric holds (" +
               std::to_string(detail::kNumericMaxIntegerDigits) + " digits before the decimal point, " +
               std::to_string(detail::kNumericMaxScale) + " after)";
      return false;
    }
    const auto order_id = top_.text(FieldTable::kOrderId);
    if (order_id && order_id->size() > kMaxMartKeyBytes) {
      reason = "order_id: " + std::to_string(order_id->size()) + " bytes, longer than a mart key may be (" +
               std::to_string(kMaxMartKeyBytes) + ")";
      return false;
    }
    if (line_bytes <= kCountValuesFrom) return true;
    size_t values = detail::count_values(root, kMaxJsonValues + 1);
    if (decoded) values += detail::count_values(extra, kMaxJsonValues + 1);
    if (values <= kMaxJsonValues) return true;
    reason = "the event holds more than " + std::to_string(kMaxJsonValues) + " JSON values";
    return false;
  }

  // The marts keep an order's discount, shipping and items amount, and each line item's amount, in numeric(14,2),
  // and a line item's product_id in a key: a purchase whose extra_data holds more (the items can be huge when the
  // discount cancels them out) or a longer id would make the marts of its day fail, so it fails check 3 instead.
  static bool extra_data_fits_marts(element extra, std::string& reason) {
    if (!extra.is_object()) return true;
    const simdjson::dom::object obj = extra.get_object().value_unsafe();
    for (const char* key : {"discount_amount", "shipping_fee"}) {
      element value;
      double d = 0;
      if (obj[key].get(value) || !detail::number_of(value, d) || std::fabs(d) <= kMaxMoney) continue;
      reason = std::string("extra_data.") + key + " " + detail::describe(value) + " does not fit numeric(14,2)";
      return false;
    }
    element products;
    if (obj["products"].get(products) || !products.is_array()) return true;
    long double items = 0;
    for (element item : simdjson::dom::array(products)) {
      element id, q, p;
      double quantity = 0, price = 0;
      if (!item.is_object() || item["product_id"].get(id) || !id.is_string() || string_of(id).empty() ||
          item["quantity"].get(q) || !detail::number_of(q, quantity) || item["unit_price"].get(p) ||
          !detail::number_of(p, price))
        continue;  // not a line item: the marts ignore it
      if (string_of(id).size() > kMaxMartKeyBytes) {
        reason = "extra_data.products: a product_id of " + std::to_string(string_of(id).size()) +
                 " bytes, longer than a mart key may be (" + std::to_string(kMaxMartKeyBytes) + ")";
        return false;
      }
      const long double amount = static_cast<long double>(quantity) * price;
      items += amount;
      if (std::fabs(amount) <= kMaxMoney && std::fabs(items) <= kMaxMoney) continue;
      reason = "extra_data.products: an items amount beyond numeric(14,2) (" + detail::describe(q) + " x " +
               detail::describe(p) + ")";
      return false;
    }
    return true;
  }

  // Checks 1 and 3 from the compiled schema, over the fields the scan kept, in the order the event lists them.
  void required_and_values(LineVerdict& v, const FieldTable::TypeFields& rules, std::string_view event_id,
                           bool unstorable, const std::string& limit_reason) {
    FieldTable::Mask present = 0;
    std::string reason;
    bool value_failed = false;
    std::string value_reason;
    if (unstorable)
      value_failed = true, value_reason = limit_reason.empty() ? "a string contains U+0000" : limit_reason;
    for (int k = 0; k < top_.count; ++k) {
      const int i = top_.order[k];
      const element value = top_.value[i];
      const bool required = (rules.required & FieldTable::bit(i)) != 0;
      const bool is_null = value.is_null();
      const bool is_empty = value.is_string() && string_of(value).empty();
      if (!is_null && !(is_empty && required)) present |= FieldTable::bit(i);
      const FieldRule* rule = rules.rule[i];
      // The timestamp field is judged by check 5, never by check 3.
      if (!rule || value_failed || i == FieldTable::kTimestamp) continue;
      if (is_null) {
        if (!required && !rule->allows_null()) value_failed = true, value_reason = rule->name + ": null is not allowed";
        continue;
      }
      if (is_empty && required) continue;  // check 1 counts it as missing
      if (!detail::value_satisfies(*rule, value, reason)) {
        value_failed = true, value_reason = reason;
      } else if (!whole_as_written(*rule, i)) {
        value_failed = true;
        value_reason =
            rule->name + ": expected integer, got number " + cut_value(detail::member_text(line_, top_.member[i]), 40);
      }
    }
    const FieldTable::Mask missing = rules.required & ~present;
    if (missing) fail(v, CheckId::RequiredFields, {event_id}, "missing required " + field_names(rules, missing));
    check(CheckId::ValueValidity).population++;
    if (value_failed) fail(v, CheckId::ValueValidity, {event_id}, value_reason);
  }

  // The names of the fields in `fields`, in the order the schema requires them.
  std::string field_names(const FieldTable::TypeFields& rules, FieldTable::Mask fields) const {
    std::string names;
    for (int i : rules.required_in_order)
      if (fields & FieldTable::bit(i)) names += (names.empty() ? "" : ", ") + fields_.name(i);
    return names;
  }

  uint32_t duplicate_event_id(LineVerdict& v, const IdFirstSeen::Probe& probe) {
    check(CheckId::DuplicateEventId).population++;
    const std::string_view event_id = probe.id;
    if (event_id.empty()) return IdFirstSeen::kNone;
    const uint32_t line_index = static_cast<uint32_t>(report_.lines.size());
    const uint32_t first = event_ids_.first_seen(probe, line_index);
    if (spanning_ && !spanning_->event_first_line.empty()) {
      // on several shards: the batch's first line decides
      const auto found = spanning_->event_first_line.find(std::string(event_id));
      if (found != spanning_->event_first_line.end()) {
        if (found->second != v.line_no)
          fail(v, CheckId::DuplicateEventId, {event_id},
               "event_id already seen at line " + std::to_string(found->second));
        return first;
      }
    }
    if (first != line_index)
      fail(v, CheckId::DuplicateEventId, {event_id},
           "event_id already seen at line " + std::to_string(report_.lines[first].line_no));
    return first;
  }

  bool timestamp_validity(LineVerdict& v, const EventFields& f, std::string_view event_id, int64_t& micros) {
    check(CheckId::TimestampValidity).population++;
    std::string reason;
    const element value = f.get(FieldTable::kTimestamp);
    if (!f.has(FieldTable::kTimestamp)) {
      reason = "timestamp is missing";
    } else if (!value.is_string()) {
      reason = std::string("timestamp is ") + detail::json_type_name(value) + ", not a string";
    } else {
      WrittenTimestamp ts;
      std::string why;
      const std::string_view text = string_of(value);
      if (!parse_timestamp(text, ts, why)) {
        reason = "timestamp " + detail::describe(value) + ": " + why;
      } else if (ts.year < settings_.min_year) {
        reason =
            "timestamp year " + std::to_string(ts.year) + " < ecpipe.min_year " + std::to_string(settings_.min_year);
      } else {
        const EventTime t = resolve_timestamp(ts, zone_);
        if (t.unix_micros - settings_.now_us > settings_.max_future_us) {
          reason = "timestamp " + cut_value(text) + " is more than ecpipe.max_future after now";
        } else if (t.event_day < kFirstEventDay || t.event_day > kLastEventDay) {
          // With ecpipe.min_year = 1, 0001-01-01T00:00:00+14:00 falls on a day of 1 BC: no partition may hold it.
          reason = "timestamp " + cut_value(text) + " falls on " + format_day(t.event_day) +
                   " in ecpipe.timezone, outside the days ecpipe stores (0001-01-01 to 9999-12-31)";
        } else {
          v.has_time = true;
          micros = t.unix_micros;
          return true;
        }
      }
    }
    fail(v, CheckId::TimestampValidity, {event_id}, reason);
    return false;
  }

  void order_amount(LineVerdict& v, element root, const EventFields& f, std::string_view event_id) {
    check(CheckId::OrderAmount).population++;
    std::string reason;
    // extra_data written as a string was decoded once already, by storable_values (the embedded parse stays valid).
    if (!detail::order_amount_consistent(root, parser_, settings_.amount_tolerance, reason,
                                         has_decoded_extra_ ? &decoded_extra_ : nullptr)) {
      fail(v, CheckId::OrderAmount, {event_id}, reason);
    }
    const auto order_id = f.text(FieldTable::kOrderId);
    if (!order_id) return;
    if (spanning_ && !spanning_->orders.empty() && spanning_->orders.count(std::string(*order_id))) {
      // on several shards: settled over the batch
      const auto found = spanning_->order_failures.find(v.line_no);
      if (found != spanning_->order_failures.end())
        fail(v, CheckId::OrderAmount, {event_id},
             "order_id " + cut_value(*order_id) + " already used by another event at line " +
                 std::to_string(found->second));
      return;
    }
    // An order_id belongs to the first purchase line that used it; a later line with another event_id fails.
    bool added = false;
    const uint32_t order = order_ids_.intern(*order_id, added);
    bool id_added = false;
    const uint32_t eid = event_id.empty() ? StringInterner::kNone : order_event_ids_.intern(event_id, id_added);
    if (added) {
      orders_.push_back({eid, false, v.line_no});
      return;
    }
    OrderOwner& owner = orders_[order];
    if (owner.event_id != eid || owner.contested)
      fail(v, CheckId::OrderAmount, {event_id},
           "order_id " + cut_value(*order_id) + " already used by another event at line " +
               std::to_string(owner.first_line));
    if (owner.event_id != eid) owner.contested = true;
  }

  // The platform's number for check 7's session rule, or -1 when it has none. Platforms are few: a linear look-up
  // beats hashing.
  int16_t platform_key(const EventFields& f, uint32_t line_index) {
    const std::string_view p = f.text(FieldTable::kPlatform).value_or("");
    if (p.empty()) return -1;
    for (size_t i = 0; i < platform_names_.size(); ++i)
      if (detail::same_bytes(platform_names_[i], p)) return static_cast<int16_t>(i);
    if (platform_names_.size() == kNumberedPlatforms) {
      unnumbered_platforms_.emplace(line_index, p);
      return kUnnumberedPlatform;
    }
    platform_names_.emplace_back(p);
    return static_cast<int16_t>(platform_names_.size() - 1);
  }

  std::string_view platform_of(const TimedEvent& t) const {
    return t.platform == kUnnumberedPlatform ? unnumbered_platforms_.at(t.line_index) : platform_names_[t.platform];
  }

  // A platform past the numbered ones is never equal to a numbered one; two of them compare by text.
  bool same_platform(const TimedEvent& a, const TimedEvent& b) const {
    if (a.platform != kUnnumberedPlatform || b.platform != kUnnumberedPlatform) return a.platform == b.platform;
    return platform_of(a) == platform_of(b);
  }

  // Check 7's device rule; the session rule runs in session_checks().
  void platform_device(LineVerdict& v, const EventFields& f, std::string_view event_id) {
    const std::string_view platform = f.text(FieldTable::kPlatform).value_or("");
    if (platform.empty()) return;
    check(CheckId::PlatformDevice).population++;
    const bool mobile_only = platform == "ios" || platform == "android";
    if (!mobile_only && platform != "web") return;
    const std::string_view device = f.text(FieldTable::kDeviceType).value_or("");
    const bool allowed =
        mobile_only ? device == "mobile" : (device == "desktop" || device == "mobile" || device == "tablet");
    if (allowed) return;
    const std::string shown =
        f.has(FieldTable::kDeviceType) ? detail::describe(f.get(FieldTable::kDeviceType)) : "missing";
    fail(v, CheckId::PlatformDevice, {event_id},
         "device_type " + shown + " is not allowed on " + cut_value(platform) +
             (mobile_only ? " (mobile only)" : " (desktop, mobile or tablet)"));
  }

  int64_t line_no_of(const TimedEvent& t) const { return report_.lines[t.line_index].line_no; }

  // A session-ordered failure, kept until the session texts for its reason have been looked up.
  struct SessionFailure {
    uint32_t at;         // the failing event in timed_
    uint32_t reference;  // the event in timed_ whose platform is the session's (check 7)
    CheckId check;
    bool new_member;  // funnel_sequence: the session's first failure, which counts the session
  };

  // Checks 4 and 7 (platform consistency) walk each session in (instant, line_no) order. Failures are collected
  // first and worded afterwards, so only failing sessions have their id turned back into text.
  void session_checks() {
    poll_interrupts();
    std::sort(timed_.begin(), timed_.end(), [](const TimedEvent& a, const TimedEvent& b) {
      if (a.session != b.session) return a.session < b.session;
      if (a.micros != b.micros) return a.micros < b.micros;
      return a.line_index < b.line_index;
    });
    std::vector<SessionFailure> failures;
    for (size_t begin = 0; begin < timed_.size();) {
      size_t end = begin;
      while (end < timed_.size() && timed_[end].session == timed_[begin].session) ++end;
      check_session(begin, end, failures);
      begin = end;
    }
    word_session_failures(failures);
  }

  // One session, timed_[begin, end): check 7's platform rule for each event, and check 4 for the session.
  void check_session(size_t begin, size_t end, std::vector<SessionFailure>& failures) {
    // Check 7's reference: the first event in session order that is in its population (a non-empty platform);
    // every event here has a valid timestamp. Events before it without a platform are not compared.
    size_t reference = begin;
    while (reference < end && timed_[reference].platform < 0) ++reference;
    bool member = false, session_failed = false, seen_view = false, seen_cart = false;
    for (size_t i = begin; i < end; ++i) {
      interrupts_.tick();
      const TimedEvent& t = timed_[i];
      const auto at = static_cast<uint32_t>(i), reference_at = static_cast<uint32_t>(reference);
      if (t.platform >= 0 && !same_platform(t, timed_[reference]))
        failures.push_back({at, reference_at, CheckId::PlatformDevice, true});
      if (t.type == EventType::Unknown) continue;
      member = true;
      if ((t.type == EventType::Purchase && !seen_cart) || (t.type == EventType::AddToCart && !seen_view)) {
        failures.push_back({at, reference_at, CheckId::FunnelSequence, !session_failed});
        session_failed = true;
      }
      if (t.type == EventType::PageView || t.type == EventType::Click) seen_view = true;
      if (t.type == EventType::AddToCart) seen_cart = true;
    }
    if (member) ++check(CheckId::FunnelSequence).population;
  }

  void word_session_failures(const std::vector<SessionFailure>& failures) {
    std::vector<uint32_t> wanted;
    for (const auto& f : failures) wanted.push_back(timed_[f.at].session);
    const auto sessions = sessions_.texts(wanted);
    for (const auto& f : failures) {
      interrupts_.tick();
      const TimedEvent& t = timed_[f.at];
      const std::string session = cut_value(sessions.at(t.session));
      fail(report_.lines[t.line_index], f.check, EventRef{{}, t.event_id}, session_failure_reason(f, session),
           f.new_member);
    }
  }

  std::string session_failure_reason(const SessionFailure& f, const std::string& session) const {
    const TimedEvent& t = timed_[f.at];
    if (f.check == CheckId::PlatformDevice) {
      const TimedEvent& reference = timed_[f.reference];
      return "platform " + cut_value(platform_of(t)) + " differs from " + cut_value(platform_of(reference)) +
             ", the platform of session " + session + " at line " + std::to_string(line_no_of(reference));
    }
    const std::string line = std::to_string(line_no_of(t));
    if (t.type == EventType::Purchase)
      return "purchase at line " + line + " has no add_to_cart before it in session " + session;
    return "add_to_cart at line " + line + " has no page_view or click before it in session " + session;
  }

  // A sample kept for the quality log; its event_id is text already, or the line that first used it.
  struct KeptSample {
    int64_t line_no;
    uint32_t first_line;  // IdFirstSeen::kNone when event_id is the text
    std::string event_id;
    std::string reason;
  };
  static bool lower_line(const KeptSample& a, const KeptSample& b) { return a.line_no < b.line_no; }

  // Keeps the kMaxSamples failures of a check with the lowest line numbers, found in line order (while lines are
  // judged) or in session order (the session checks), in a max-heap: memory stays flat however many fail. The
  // event_id is cut only for a sample kept.
  void keep_sample(CheckId id, int64_t line_no, EventRef event, std::string&& reason) {
    auto& kept = kept_samples_[check_index(id)];
    if (kept.size() == kMaxSamples) {
      if (line_no >= kept.front().line_no) return;
      std::pop_heap(kept.begin(), kept.end(), lower_line);
      kept.pop_back();
    }
    kept.push_back({line_no, event.first_line, cut_value(event.text), std::move(reason)});
    std::push_heap(kept.begin(), kept.end(), lower_line);
  }

  // The kept samples in line order into the report; those found by the session checks get their event_id's text
  // in one walk over the id set.
  void name_kept_samples() {
    std::vector<uint32_t> wanted;
    for (auto& kept : kept_samples_) {
      std::sort_heap(kept.begin(), kept.end(), lower_line);
      for (const auto& s : kept)
        if (s.first_line != IdFirstSeen::kNone) wanted.push_back(s.first_line);
    }
    std::unordered_map<uint32_t, std::string> texts;
    if (!wanted.empty()) texts = event_ids_.texts(wanted);
    for (int i = 0; i < kCheckCount; ++i) {
      auto& samples = report_.checks[i].samples;
      for (auto& s : kept_samples_[i]) {
        if (s.first_line != IdFirstSeen::kNone) {
          const auto found = texts.find(s.first_line);
          if (found != texts.end()) s.event_id = cut_value(found->second);
        }
        samples.push_back({s.line_no, std::move(s.event_id), std::move(s.reason)});
      }
    }
  }

  struct OrderOwner {
    uint32_t event_id;
    bool contested;  // some earlier line used this order_id with another event_id
    int64_t first_line;
  };

  Settings settings_;
  const TimeZone& zone_;
  FieldTable fields_;
  int extra_data_field_;   // the field number of extra_data, or -1 when the schema has no such field
  element decoded_extra_;  // the current event's extra_data string, decoded, when has_decoded_extra_
  bool has_decoded_extra_ = false;
  EventFields top_;
  std::string_view line_;  // the line being judged, as written (the DOM may hold its numbers rounded)
  detail::EventParser parser_;
  BatchReport report_;
  BatchFingerprint fingerprint_;
  IdFirstSeen event_ids_;
  IdFirstSeen sessions_;  // session_id → dense session number
  StringInterner order_ids_, order_event_ids_;
  std::vector<std::string> platform_names_;                         // by platform number
  std::unordered_map<uint32_t, std::string> unnumbered_platforms_;  // by line index: platforms past the numbered ones
  std::vector<OrderOwner> orders_;
  std::vector<TimedEvent> timed_;
  std::array<std::vector<KeptSample>, kCheckCount> kept_samples_;
  InterruptCounter interrupts_;
  const SpanningKeys* spanning_;  // what spans shards, for a shard's validator; else nullptr
  bool sessions_only_;            // ValidatorScope::SessionsOnly
  bool in_session_checks_ = false;
};

void BatchFingerprint::add(int64_t line_no, std::string_view line) {
  value_ = detail::hash_bytes(line, value_ ^ static_cast<uint64_t>(line_no));
}

BatchValidator::BatchValidator(const CompiledSchema& schema, const Settings& settings, const TimeZone& zone,
                               const SpanningKeys* spanning, ValidatorScope scope)
    : impl_(std::make_unique<Impl>(schema, settings, zone, spanning, scope)) {}
BatchValidator::~BatchValidator() = default;
void BatchValidator::reserve(size_t lines) { impl_->reserve(lines); }
void BatchValidator::add(int64_t line_no, std::string_view line) { impl_->add(line_no, line); }
BatchReport BatchValidator::finish() { return impl_->finish(); }
LineKeys BatchValidator::keys_of(std::string_view line) { return impl_->keys_of(line); }

std::unordered_map<int64_t, int64_t> settle_orders(const std::vector<std::pair<int64_t, std::string>>& lines) {
  std::unordered_map<int64_t, int64_t> failing;
  if (lines.empty()) return failing;
  const std::string& owner = lines.front().second;  // an empty event_id is none, equal only to none
  bool contested = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const bool other = lines[i].second != owner;
    if (other || contested) failing.emplace(lines[i].first, lines.front().first);
    contested = contested || other;
  }
  return failing;
}

BatchReport merge_shard_reports(std::vector<BatchReport> shards, const BatchReport& sessions) {
  BatchReport out = merge_shard_checks(shards, sessions);
  size_t lines = 0;
  for (const auto& r : shards) lines += r.lines.size();
  out.lines.reserve(lines);
  for (auto& r : shards)
    for (LineVerdict v : r.lines) {
      if (v.detail >= 0) {
        out.details.push_back(std::move(r.details[v.detail]));
        v.detail = static_cast<int32_t>(out.details.size() - 1);
      }
      out.lines.push_back(v);
    }
  std::sort(out.lines.begin(), out.lines.end(),
            [](const LineVerdict& a, const LineVerdict& b) { return a.line_no < b.line_no; });
  // the spanning sessions' findings, after each line's own (a line fails a check once)
  for (const auto& f : sessions.session_failures) {
    const auto at = std::lower_bound(out.lines.begin(), out.lines.end(), f.line_no,
                                     [](const LineVerdict& v, int64_t n) { return v.line_no < n; });
    if (at == out.lines.end() || at->line_no != f.line_no)
      throw Error(ErrorKind::Internal, "a session failure on a line no shard reported");
    if (at->detail < 0) {
      if (at->failed & check_bit(f.check)) continue;
      at->detail = static_cast<int32_t>(out.details.size());
      out.details.emplace_back();
    }
    apply_session_failure(at->failed, out.details[at->detail], f);
  }
  return out;
}

BatchReport validate_lines(const std::vector<std::string>& lines, const CompiledSchema& schema,
                           const Settings& settings, const TimeZone& zone) {
  BatchValidator v(schema, settings, zone);
  v.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) v.add(static_cast<int64_t>(i + 1), lines[i]);
  return v.finish();
}

}  // namespace ecpipe
