// Compiles the Draft-07 event schema (a documented subset) into TypeRules; nlohmann is fine here (once per backend).
#include "ecpipe/schema.hpp"

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_set>

#include "ecpipe/error.hpp"
#include "ecpipe/quote.hpp"
#include "ecpipe/interrupts.hpp"
#include "json_text.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

using nlohmann::json;

namespace {

// Every message names the JSON pointer (cut) and says why; values quoted in `why` are cut by q() first.
[[noreturn]] void bad(const std::string& where, const std::string& why) {
  throw Error(ErrorKind::SchemaInvalid, "event schema " + (where.empty() ? std::string("/") : message_excerpt(where)) +
                                            ": " + message_excerpt(why, 1000));
}

std::string q(std::string_view value) { return message_excerpt(value, 100); }

// A child's JSON pointer.
std::string child(const std::string& where, std::string_view key) { return where + "/" + json_pointer_token(key); }

// Patterns are compiled once per distinct text and shared by every rule that uses them. Their number, total size
// and compiled programs together are bounded, which bounds the time compiling a schema's patterns can take.
class PatternCache {
 public:
  Regex get(const std::string& text, const std::string& where) {
    if (auto it = compiled_.find(text); it != compiled_.end()) return it->second;
    if (compiled_.size() >= CompiledSchema::kMaxPatterns)
      bad(where, "more than " + std::to_string(CompiledSchema::kMaxPatterns) + " distinct patterns in one schema");
    bytes_ += std::min(text.size(), Regex::kMaxPatternBytes);  // a longer one is refused by Regex::compile
    if (bytes_ > CompiledSchema::kMaxPatternBytesTotal)
      bad(where, "the schema's distinct patterns together exceed " +
                     std::to_string(CompiledSchema::kMaxPatternBytesTotal) + " bytes");
    poll_interrupts();
    std::optional<Regex> re;
    try {
      re = Regex::compile(text);
    } catch (const Interrupted&) {
      throw;
    } catch (const Error& e) {
      bad(where, e.what());
    }
    instructions_ += re->program_size();
    if (instructions_ > CompiledSchema::kMaxPatternInstructions)
      bad(where, "the schema's patterns together compile to more than " +
                     std::to_string(CompiledSchema::kMaxPatternInstructions) + " RE2 instructions");
    return compiled_.emplace(text, *re).first->second;
  }

 private:
  std::map<std::string, Regex> compiled_;
  size_t bytes_ = 0;
  size_t instructions_ = 0;
};

// Approximate bytes a rule occupies once compiled; what the merged per-type rules may add up to is bounded.
size_t cost_of(const FieldRule& r) {
  size_t n = sizeof(FieldRule) + r.name.size();
  for (const auto& e : r.enum_strings) n += sizeof(std::string) + e.size();
  return n;
}
size_t cost_of(const std::vector<std::string>& names) {
  size_t n = 0;
  for (const auto& s : names) n += sizeof(std::string) + s.size();
  return n;
}

// Keywords that carry no validation meaning and may appear anywhere.
bool annotation(const std::string& k) {
  return k == "title" || k == "description" || k == "$comment" || k == "examples" || k == "default";
}

uint8_t type_bit(const std::string& name, const std::string& where) {
  if (name == "null") return kNull;
  if (name == "boolean") return kBoolean;
  if (name == "integer") return kInteger;
  if (name == "number") return kNumber | kInteger;
  if (name == "string") return kString;
  if (name == "array") return kArray;
  if (name == "object") return kObject;
  bad(where, "unknown type '" + q(name) + "'");
}

double number_of(const json& v, const std::string& where) {
  if (!v.is_number()) bad(where, "must be a number");
  return v.get<double>();
}

size_t count_of(const json& v, const std::string& where) {
  if (!v.is_number_unsigned()) bad(where, "must be a non-negative integer");
  return v.get<size_t>();
}

FieldRule compile_field(const std::string& name, const json& s, const std::string& where, PatternCache& patterns) {
  if (!s.is_object()) bad(where, "a property schema must be an object");
  FieldRule r;
  r.name = name;
  for (const auto& [k, v] : s.items()) {
    const std::string at = child(where, k);
    if (annotation(k)) continue;
    if (k == "type") {
      if (v.is_string()) {
        r.types = type_bit(v.get<std::string>(), at);
      } else if (v.is_array() && !v.empty()) {
        for (const auto& t : v) {
          if (!t.is_string()) bad(at, "type names must be strings");
          r.types |= type_bit(t.get<std::string>(), at);
        }
      } else {
        bad(at, "must be a type name or a non-empty array of them");
      }
    } else if (k == "enum") {
      if (!v.is_array() || v.empty()) bad(at, "must be a non-empty array");
      r.has_enum = true;
      for (const auto& e : v) {
        if (e.is_null()) {
          r.enum_allows_null = true;
        } else if (e.is_string()) {
          r.enum_strings.push_back(e.get<std::string>());
        } else {
          bad(at, "only string and null enum values are supported");
        }
      }
    } else if (k == "pattern") {
      if (!v.is_string()) bad(at, "must be a string");
      r.pattern = patterns.get(v.get<std::string>(), at);
    } else if (k == "format") {
      const std::string f = v.is_string() ? v.get<std::string>() : "";
      if (f == "date-time")
        r.format = Format::DateTime;
      else if (f == "uuid")
        r.format = Format::Uuid;
      else if (f == "uri")
        r.format = Format::Uri;
      else
        bad(at, "unsupported format '" + q(f) + "' (supported: date-time, uuid, uri)");
    } else if (k == "minimum") {
      r.minimum = number_of(v, at);
    } else if (k == "maximum") {
      r.maximum = number_of(v, at);
    } else if (k == "exclusiveMinimum") {
      r.exclusive_minimum = number_of(v, at);
    } else if (k == "exclusiveMaximum") {
      r.exclusive_maximum = number_of(v, at);
    } else if (k == "minLength") {
      r.min_length = count_of(v, at);
    } else if (k == "maxLength") {
      r.max_length = count_of(v, at);
    } else {
      bad(at, "unsupported keyword '" + q(k) + "'");
    }
  }
  return r;
}

std::vector<std::string> compile_required(const json& v, const std::string& where) {
  if (!v.is_array()) bad(where, "must be an array of field names");
  std::vector<std::string> out;
  for (const auto& n : v) {
    if (!n.is_string()) bad(where, "must be an array of field names");
    out.push_back(n.get<std::string>());
  }
  return out;
}

void compile_properties(const json& v, const std::string& where, std::vector<FieldRule>& out, PatternCache& patterns) {
  if (!v.is_object()) bad(where, "must be an object");
  InterruptCounter interrupts(256);
  for (const auto& [name, s] : v.items()) {
    interrupts.tick();
    out.push_back(compile_field(name, s, child(where, name), patterns));
  }
}

// An allOf member of the form {"if": {"properties": {<disc>: {"const": T}}, "required": [<disc>]},
// "then": {"properties": {...}, "required": [...]}} adds the rules of event type T.
TypeRules compile_branch(const json& b, const std::string& where, std::string& discriminator, PatternCache& patterns) {
  if (!b.is_object() || !b.contains("if") || !b.contains("then"))
    bad(where, "each allOf member must be an if/then pair selecting one event type");
  for (const auto& [k, v] : b.items())
    if (k != "if" && k != "then" && !annotation(k)) bad(child(where, k), "unsupported keyword '" + q(k) + "'");
  const json& cond = b["if"];
  const std::string cw = where + "/if";
  if (!cond.is_object() || !cond.contains("properties") || !cond["properties"].is_object() ||
      cond["properties"].size() != 1)
    bad(cw, "must test exactly one property with const");
  for (const auto& [k, v] : cond.items())
    if (k != "properties" && k != "required" && !annotation(k)) bad(child(cw, k), "unsupported keyword '" + q(k) + "'");
  const auto prop = cond["properties"].begin();
  if (!prop.value().is_object() || prop.value().size() != 1 || !prop.value().contains("const") ||
      !prop.value()["const"].is_string())
    bad(child(cw + "/properties", prop.key()), "must be {\"const\": \"<event type>\"}");
  if (!discriminator.empty() && discriminator != prop.key())
    bad(cw, "all branches must test the same field ('" + q(discriminator) + "')");
  discriminator = prop.key();

  TypeRules t;
  t.event_type = prop.value()["const"].get<std::string>();
  const json& then = b["then"];
  const std::string tw = where + "/then";
  if (!then.is_object()) bad(tw, "must be an object");
  for (const auto& [k, v] : then.items()) {
    if (k == "properties")
      compile_properties(v, tw + "/properties", t.fields, patterns);
    else if (k == "required")
      t.required = compile_required(v, tw + "/required");
    else if (k == "type" && v == "object")
      continue;
    else if (!annotation(k))
      bad(child(tw, k), "unsupported keyword '" + q(k) + "'");
  }
  return t;
}

// nlohmann parses without recursion, but comparing, dumping or copying a value recurses: the nesting is bounded
// first, by one scan over the text (nlohmann's callback parser cannot do it: it is quadratic in an object's size).
// On a prefix that is valid JSON the scan sees exactly the parser's nesting; the parser stops at the first error.
void check_depth(std::string_view text) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > CompiledSchema::kMaxDepth)
        bad("", "nested more than " + std::to_string(CompiledSchema::kMaxDepth) + " levels deep");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

}  // namespace

const FieldRule* TypeRules::field(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

bool TypeRules::is_required(std::string_view name) const {
  for (const auto& r : required)
    if (r == name) return true;
  return false;
}

const TypeRules* CompiledSchema::rules_for(std::string_view event_type) const {
  for (const auto& t : types_)
    if (t.event_type == event_type) return &t;
  return nullptr;
}

CompiledSchema CompiledSchema::compile(std::string_view text) {
  if (text.size() > kMaxSchemaBytes)
    bad("",
        "is " + std::to_string(text.size()) + " bytes; a schema may have at most " + std::to_string(kMaxSchemaBytes));
  check_depth(text);
  json doc;
  try {
    std::string finite;  // a bound of 1e400 is the largest double, as an event's 1e400 is
    const std::string_view parsed = detail::with_finite_numbers(text, finite);
    doc = json::parse(parsed.begin(), parsed.end());
  } catch (const json::parse_error& e) {
    bad("", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) bad("", "must be a JSON object");
  CompiledSchema s;
  PatternCache patterns;
  std::vector<TypeRules> branches;
  for (const auto& [k, v] : doc.items()) {
    const std::string at = child("", k);
    if (k == "$schema") {
      if (!v.is_string() || v.get<std::string>().find("draft-07") == std::string::npos)
        bad(at, "must name JSON Schema draft-07");
    } else if (k == "$id" || annotation(k) || k == "definitions") {
      continue;
    } else if (k == "type") {
      if (v != "object") bad(at, "an event must be of type object");
    } else if (k == "additionalProperties") {
      if (v != true) bad(at, "unknown fields are always allowed and kept; only true is supported");
    } else if (k == "required") {
      s.common_.required = compile_required(v, at);
    } else if (k == "properties") {
      compile_properties(v, at, s.common_.fields, patterns);
    } else if (k == "allOf") {
      if (!v.is_array()) bad(at, "must be an array");
      for (size_t i = 0; i < v.size(); ++i) {
        poll_interrupts();
        branches.push_back(compile_branch(v[i], at + "/" + std::to_string(i), s.discriminator_, patterns));
      }
    } else {
      bad(at, "unsupported keyword '" + q(k) + "'");
    }
  }
  if (s.discriminator_.empty()) bad("/allOf", "no event type branches");
  const FieldRule* disc = s.common_.field(s.discriminator_);
  if (!disc || !disc->has_enum) bad(child("/properties", s.discriminator_), "must list the known event types in enum");
  std::set<std::string> known(disc->enum_strings.begin(), disc->enum_strings.end());
  // Every type copies the common rules: bound what the copies add up to before making them.
  size_t common_cost = cost_of(s.common_.required);
  for (const auto& f : s.common_.fields) common_cost += cost_of(f);
  size_t total = 0;
  for (const auto& b : branches) {
    size_t own = sizeof(TypeRules) + b.event_type.size() + cost_of(b.required);
    for (const auto& f : b.fields) own += cost_of(f);
    total += own + common_cost;
    if (total > kMaxCompiledBytes)
      bad("/allOf", "the event types' rules (each with the common rules) would take more than " +
                        std::to_string(kMaxCompiledBytes >> 20) + " MiB");
  }
  for (auto& b : branches) {
    poll_interrupts();
    if (!known.count(b.event_type))
      bad("/allOf", "branch for '" + q(b.event_type) + "' which the " + q(s.discriminator_) + " enum does not list");
    // A type's rules are the common rules plus its own; its own win where both define a field.
    TypeRules merged;
    merged.event_type = b.event_type;
    merged.required = s.common_.required;
    merged.required.insert(merged.required.end(), b.required.begin(), b.required.end());
    merged.fields = b.fields;
    std::unordered_set<std::string_view> own;
    for (const auto& f : b.fields) own.insert(f.name);
    for (const auto& f : s.common_.fields)
      if (!own.count(f.name)) merged.fields.push_back(f);
    s.types_.push_back(std::move(merged));
  }
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Io, "could not open \"" + path + "\": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ecpipe

namespace ecpipe {

std::string schema_summary(const CompiledSchema& schema) {
  json out = json::object();
  out["discriminator"] = schema.discriminator();
  out["common_required"] = schema.common().required;
  json types = json::object();
  for (const auto& t : schema.types()) {
    json fields = json::array();
    for (const auto& f : t.fields) fields.push_back(f.name);
    types[t.event_type] = {{"required", t.required}, {"fields", fields}};
  }
  out["event_types"] = types;
  return out.dump();
}

}  // namespace ecpipe
