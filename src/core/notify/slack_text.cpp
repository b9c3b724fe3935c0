// Values from data made inert for Slack mrkdwn (escaped, cut), and the sanitizer every queued payload goes through.
#include <nlohmann/json.hpp>
#include <optional>

#include "ecpipe/error.hpp"
#include "ecpipe/notify/slack.hpp"
#include "ecpipe/utf8.hpp"
#include "../json_text.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using nlohmann::json;

namespace {

constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // …
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
constexpr std::string_view kGrave = "\xCB\x8B";            // U+02CB, shown for a backtick

// Output of at most `max` characters: pieces are appended whole; the first that does not fit ends the value with
// an ellipsis (taking back what leaves no room for it).
class Cut {
 public:
  explicit Cut(size_t max) : max_(max) {}
  // False once the value is cut: stop feeding.
  bool add(std::string_view piece, size_t chars) {
    if (chars_ + chars > max_) {
      out_.resize(fit_);
      if (max_ > 0) out_ += kEllipsis;
      return false;
    }
    out_ += piece;
    chars_ += chars;
    if (chars_ + 1 <= max_) fit_ = out_.size();
    return true;
  }
  std::string take() { return std::move(out_); }

 private:
  size_t max_, chars_ = 0, fit_ = 0;
  std::string out_;
};

// Control characters (C0, DEL, C1), line and paragraph separators and bidirectional embeddings / overrides /
// isolates (which can make a value read backwards): shown as a space.
bool invisible(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

// The escaping both functions share; `keep_markup` (the sanitizer) keeps backticks, tabs and entities already
// written, so that it is idempotent and leaves ecpipe's own payloads as they are.
std::string escape(std::string_view s, size_t max, bool keep_newlines, bool keep_markup) {
  Cut cut(max);
  for (size_t i = 0; i < s.size();) {
    const Utf8Sequence next = utf8_sequence(s.substr(i));
    if (!next.well_formed) {
      if (!cut.add(kReplacement, 1)) break;
      i += next.length;
      continue;
    }
    const size_t n = next.length;
    const std::string_view seq = s.substr(i, n);
    const uint32_t cp = next.code_point;
    bool more = true;
    if (cp == '&') {
      size_t entity = 0;
      if (keep_markup)
        for (std::string_view e : {"&amp;", "&lt;", "&gt;"})
          if (s.compare(i, e.size(), e) == 0) entity = e.size();
      if (entity > 0) {
        more = cut.add(s.substr(i, entity), entity);
        i += entity;
        if (!more) break;
        continue;
      }
      more = cut.add("&amp;", 5);
    } else if (cp == '<') {
      more = cut.add("&lt;", 4);
    } else if (cp == '>') {
      more = cut.add("&gt;", 4);
    } else if (cp == '`' && !keep_markup) {
      more = cut.add(kGrave, 1);
    } else if ((cp == '\n' && keep_newlines) || (cp == '\t' && keep_markup)) {
      more = cut.add(seq, 1);
    } else if (invisible(cp)) {
      more = cut.add(" ", 1);
    } else {
      more = cut.add(seq, 1);
    }
    if (!more) break;
    i += n;
  }
  return cut.take();
}

std::optional<std::string> string_at(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Slack's limits: header text 150 characters, section text 3000, a field or context element 2000, 10 fields or
// elements, 50 blocks.
constexpr size_t kHeaderMax = 150, kSectionMax = 3000, kFieldMax = 2000, kTextMax = 3000, kItemsMax = 10,
                 kBlocksMax = 50;

json text_object(const json& t, size_t max, bool plain_only) {
  const auto text = string_at(t, "text");
  if (!text) return nullptr;
  std::string safe = escape(*text, max, true, true);
  if (safe.empty()) return nullptr;  // Slack refuses an empty text object
  const bool plain = plain_only || string_at(t, "type").value_or("mrkdwn") == "plain_text";
  return {{"type", plain ? "plain_text" : "mrkdwn"}, {"text", std::move(safe)}};
}

json text_list(const json& list, size_t max) {
  json out = json::array();
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (out.size() == kItemsMax) break;
    json t = text_object(item, max, false);
    if (!t.is_null()) out.push_back(std::move(t));
  }
  return out;
}

json block(const json& b) {
  const std::string type = string_at(b, "type").value_or("");
  if (type == "divider") return {{"type", "divider"}};
  if (type == "header") {
    json t = text_object(b.value("text", json()), kHeaderMax, true);
    return t.is_null() ? json() : json{{"type", "header"}, {"text", std::move(t)}};
  }
  if (type == "section") {
    json out = {{"type", "section"}};
    json t = text_object(b.value("text", json()), kSectionMax, false);
    if (!t.is_null()) out["text"] = std::move(t);
    json fields = text_list(b.value("fields", json()), kFieldMax);
    if (!fields.empty()) out["fields"] = std::move(fields);
    return out.size() > 1 ? out : json();
  }
  if (type == "context") {
    json elements = text_list(b.value("elements", json()), kFieldMax);
    return elements.empty() ? json() : json{{"type", "context"}, {"elements", std::move(elements)}};
  }
  return nullptr;  // anything else (actions, buttons, images, inputs, ...) is dropped
}

}  // namespace

std::string slack_text(std::string_view value, size_t max_chars, bool keep_newlines) {
  return escape(value, max_chars, keep_newlines, false);
}

std::string slack_code(std::string_view value, size_t max_chars) {
  if (value.empty()) return "\xE2\x80\x94";  // —
  return "`" + slack_text(value, max_chars) + "`";
}

std::string slack_payload(const std::string& payload_json) {
  std::string finite;
  const json in = json::parse(detail::with_finite_numbers(payload_json, finite), nullptr, false);
  if (in.is_discarded() || !in.is_object())
    throw Error(ErrorKind::InvalidArgument, "a Slack payload must be a JSON object with \"text\" or \"blocks\"");
  json out = json::object();
  if (const auto text = string_at(in, "text")) {
    std::string safe = escape(*text, kTextMax, true, true);
    if (!safe.empty()) out["text"] = std::move(safe);
  }
  json blocks = json::array();
  if (const auto it = in.find("blocks"); it != in.end() && it->is_array()) {
    for (const auto& b : *it) {
      if (blocks.size() == kBlocksMax) break;
      json safe = block(b);
      if (!safe.is_null()) blocks.push_back(std::move(safe));
    }
  }
  if (!blocks.empty()) out["blocks"] = std::move(blocks);
  if (out.empty())
    throw Error(ErrorKind::InvalidArgument, "a Slack payload must be a JSON object with \"text\" or \"blocks\"");
  out["unfurl_links"] = false;
  out["unfurl_media"] = false;
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace ecpipe
