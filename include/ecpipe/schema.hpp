// The event schema compiled from schemas/event_schema.json (JSON Schema Draft-07) into per-type field rules.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ecpipe/regex.hpp"

namespace ecpipe {

// JSON types as a bit set; a field rule with no type bits accepts every type.
enum JsonType : uint8_t {
  kNull = 1,
  kBoolean = 2,
  kInteger = 4,  // a number whose value is whole (2 and 2.0)
  kNumber = 8,
  kString = 16,
  kArray = 32,
  kObject = 64,
};

enum class Format : uint8_t { None, DateTime, Uuid, Uri };

struct FieldRule {
  std::string name;
  uint8_t types = 0;
  bool has_enum = false;
  bool enum_allows_null = false;
  std::vector<std::string> enum_strings;
  std::optional<Regex> pattern;
  Format format = Format::None;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum;
  std::optional<size_t> min_length, max_length;

  bool allows_null() const { return (types == 0 || (types & kNull)) && (!has_enum || enum_allows_null); }
};

// The fields judged for one event type (common fields included) and which of them are required.
struct TypeRules {
  std::string event_type;  // empty for the common rules
  std::vector<FieldRule> fields;
  std::vector<std::string> required;

  const FieldRule* field(std::string_view name) const;
  bool is_required(std::string_view name) const;
};

class CompiledSchema {
 public:
  // Limits on what an operator can hand to compile() (docs/SCHEMA.md); beyond them it refuses with a clear error.
  static constexpr size_t kMaxSchemaBytes = 4 << 20;         // the JSON text
  static constexpr size_t kMaxDepth = 64;                    // JSON nesting
  static constexpr size_t kMaxPatterns = 64;                 // distinct `pattern` strings
  static constexpr size_t kMaxPatternBytesTotal = 64 << 10;  // their total size
  static constexpr size_t kMaxPatternInstructions = 250000;  // their RE2 programs together
  static constexpr size_t kMaxCompiledBytes = 32 << 20;      // the per-type rules built from them

  // Compiles the schema text; throws Error(SchemaInvalid) naming the JSON pointer of any unsupported or
  // malformed keyword, so a schema edit that ecpipe cannot honour fails loudly instead of being ignored.
  static CompiledSchema compile(std::string_view json_text);

  const TypeRules& common() const { return common_; }
  // Rules for a known event type (common + its own), or nullptr for an unknown type.
  const TypeRules* rules_for(std::string_view event_type) const;
  const std::vector<TypeRules>& types() const { return types_; }
  // The field naming the event type ("event_type"), whose `enum` lists the known types.
  const std::string& discriminator() const { return discriminator_; }

 private:
  TypeRules common_;
  std::vector<TypeRules> types_;
  std::string discriminator_;
};

// Reads a whole file; throws Error(Io) with the path and errno text.
std::string read_file(const std::string& path);

}  // namespace ecpipe

namespace ecpipe {
// A JSON summary of a compiled schema: per event type, its required fields and judged fields.
std::string schema_summary(const CompiledSchema& schema);
}  // namespace ecpipe
