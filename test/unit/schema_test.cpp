// The schema compiler: the shipped schema's rules, and loud refusals of what it cannot honour.
#include <gtest/gtest.h>

#include "ecpipe/error.hpp"
#include "ecpipe/interrupts.hpp"
#include "ecpipe/schema.hpp"

using namespace ecpipe;

namespace {
const CompiledSchema& shipped() {
  static const CompiledSchema s = CompiledSchema::compile(read_file(ECPIPE_SOURCE_DIR "/schemas/event_schema.json"));
  return s;
}
std::string error_of(const std::string& text) {
  try {
    CompiledSchema::compile(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Schema, ShippedSchemaHasFiveTypes) {
  ASSERT_EQ(shipped().types().size(), 5u);
  EXPECT_EQ(shipped().discriminator(), "event_type");
  EXPECT_EQ(shipped().rules_for("unknown"), nullptr);
  const TypeRules* cart = shipped().rules_for("add_to_cart");
  ASSERT_NE(cart, nullptr);
  EXPECT_TRUE(cart->is_required("quantity"));
  EXPECT_TRUE(cart->is_required("event_id"));
  EXPECT_FALSE(cart->is_required("category_id"));
  const FieldRule* q = cart->field("quantity");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->types, kInteger);
  EXPECT_EQ(*q->minimum, 1);
  EXPECT_EQ(*q->maximum, 99);
}

TEST(Schema, NullabilityComesFromTypeAndEnum) {
  const TypeRules* search = shipped().rules_for("search");
  EXPECT_TRUE(search->field("sort_type")->allows_null());
  EXPECT_TRUE(search->field("category_filter")->allows_null());
  EXPECT_FALSE(search->field("page_url")->allows_null());
  EXPECT_FALSE(shipped().rules_for("page_view")->field("os")->allows_null());
}

TEST(Schema, CommonFieldsAreMergedIntoEveryType) {
  for (const auto& t : shipped().types()) {
    EXPECT_NE(t.field("user_id"), nullptr) << t.event_type;
    EXPECT_EQ(t.required.size() >= 7, true);
  }
  EXPECT_EQ(shipped().rules_for("click")->field("product_id")->pattern->source(), "^P\\d{4}$");
}

TEST(Schema, RefusesUnsupportedKeywordsWithTheirLocation) {
  const std::string base = R"({"$schema": "http://json-schema.org/draft-07/schema#", )";
  EXPECT_EQ(error_of(base + R"("oneOf": []})"), "event schema /oneOf: unsupported keyword 'oneOf'");
  EXPECT_EQ(error_of(base + R"("properties": {"a": {"type": "number", "maximum": 1e400}}})"),
            error_of(base + R"("properties": {"a": {"type": "number", "maximum": 1e300}}})"))
      << "a bound beyond the double range is read as the largest double (as an event's value is), not refused";
  EXPECT_EQ(error_of(base + R"("properties": {"a": {"type": "string", "multipleOf": 2}}})"),
            "event schema /properties/a/multipleOf: unsupported keyword 'multipleOf'");
  EXPECT_EQ(error_of(base + R"("properties": {"a": {"format": "email"}}})"),
            "event schema /properties/a/format: unsupported format 'email' (supported: date-time, uuid, uri)");
  EXPECT_EQ(error_of(base + R"("additionalProperties": false})"),
            "event schema /additionalProperties: unknown fields are always allowed and kept; only true is supported");
  EXPECT_EQ(error_of(R"({"$schema": "http://json-schema.org/draft-04/schema#"})"),
            "event schema /$schema: must name JSON Schema draft-07");
  EXPECT_EQ(error_of("[1,"), error_of("[1,"));
  EXPECT_NE(error_of("[1,"), "");
  EXPECT_EQ(
      error_of(
          base +
          R"("properties": {"event_type": {"enum": ["a"]}}, "allOf": [{"if": {"properties": {"event_type": {"const": "b"}}}, "then": {}}]})"),
      "event schema /allOf: branch for 'b' which the event_type enum does not list");
}

namespace {
// A minimal valid schema whose common properties and branches are spliced in.
std::string schema_with(const std::string& common_props, const std::string& branches = "",
                        const std::string& types = "\"a\"") {
  return R"j({"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"event_type": {"enum": [)j" + types +
         "]}" + common_props + R"j(}, "allOf": [{"if": {"properties": {"event_type": {"const": "a"}}}, "then": {}})j" +
         branches + "]}";
}
std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}
}  // namespace

TEST(Schema, PatternRefusalsNameTheFieldAndRe2sReason) {
  EXPECT_EQ(error_of(schema_with(R"j(, "user_id": {"pattern": "(?=a)"})j")),
            "event schema /properties/user_id/pattern: pattern /(?=a)/: invalid perl operator: (?=");
  EXPECT_EQ(
      error_of(schema_with(R"j(, "n": {"pattern": "(((){99999}){99999}){99999}"})j")),
      "event schema /properties/n/pattern: pattern /(((){99999}){99999}){99999}/: invalid repetition size: {99999}");
  EXPECT_EQ(error_of(schema_with(R"j(, "n": {"pattern": 5})j")),
            "event schema /properties/n/pattern: must be a string");
  EXPECT_EQ(error_of(schema_with(", \"n\": {\"pattern\": \"a" + std::string(300000, '*') + "\"}")),
            "event schema /properties/n/pattern: pattern /a" + std::string(199, '*') +
                "…/: longer than 16384 bytes (300001)");
  EXPECT_EQ(error_of(schema_with(R"j(, "a/b~c": {"pattern": "\\1"})j")),
            "event schema /properties/a~1b~0c/pattern: pattern /\\1/: invalid escape sequence: \\1");
  // A pattern in a branch is compiled too, and judges its type's values.
  const CompiledSchema s = CompiledSchema::compile(schema_with(
      "",
      R"j(, {"if": {"properties": {"event_type": {"const": "b"}}}, "then": {"properties": {"code": {"pattern": "^\\s*x$"}}}})j",
      R"j("a", "b")j"));
  EXPECT_TRUE(s.rules_for("b")->field("code")->pattern->search("\u00a0x"));
  EXPECT_FALSE(s.rules_for("b")->field("code")->pattern->search("y"));
}

TEST(Schema, DeepOrHugeDocumentsAreRefusedBeforeAnythingWalksThem) {
  // 100,000 nested arrays: nlohmann parses without recursion, and the depth limit stops it at level 64.
  EXPECT_EQ(error_of(std::string(100000, '[') + std::string(100000, ']')),
            "event schema /: nested more than 64 levels deep");
  EXPECT_EQ(error_of(R"j({"definitions": )j" + repeat(R"j({"a": )j", 200000) + "1" + std::string(200000, '}') + "}"),
            "event schema /: nested more than 64 levels deep");
  // 64 levels (the document and 63 arrays under a keyword ecpipe ignores) are fine; 65 are not.
  EXPECT_EQ(
      error_of(schema_with("").insert(1, R"j("definitions": )j" + std::string(63, '[') + std::string(63, ']') + ", ")),
      "");
  EXPECT_EQ(
      error_of(schema_with("").insert(1, R"j("definitions": )j" + std::string(64, '[') + std::string(64, ']') + ", ")),
      "event schema /: nested more than 64 levels deep");
  EXPECT_EQ(error_of(std::string(4 * 1024 * 1024 + 1, ' ')),
            "event schema /: is 4194305 bytes; a schema may have at most 4194304");
}

TEST(Schema, PatternsAreSharedAndBoundedInNumberAndSize) {
  std::string same, distinct;
  for (int i = 0; i < 1000; ++i) same += ", \"f" + std::to_string(i) + R"j(": {"pattern": "^P\\d{4}$"})j";
  const CompiledSchema s = CompiledSchema::compile(schema_with(same));
  EXPECT_EQ(s.rules_for("a")->fields.size(), 1001u) << "one pattern text, compiled once, a thousand fields";
  for (int i = 0; i < 65; ++i)
    distinct += ", \"f" + std::to_string(i) + R"j(": {"pattern": "^x)j" + std::to_string(i) + "$\"}";
  // Keys are read in sorted order (f0, f1, f10, ...), so the 65th distinct pattern is f9's.
  EXPECT_EQ(error_of(schema_with(distinct)),
            "event schema /properties/f9/pattern: more than 64 distinct patterns in one schema");
  // \pL{100} compiles to about 120,000 RE2 instructions: two fit in the schema's 250,000, the third does not.
  std::string big;
  for (int i = 0; i < 3; ++i)
    big += ", \"f" + std::to_string(i) + "\": {\"pattern\": \"\\\\pL{100}" + std::to_string(i) + "\"}";
  EXPECT_EQ(error_of(schema_with(big)),
            "event schema /properties/f2/pattern: the schema's patterns together compile to more than 250000 RE2 "
            "instructions");
}

TEST(Schema, MergedRulesAreBoundedBeforeTheyAreBuilt) {
  // 2,000 types x 2,000 common fields would be four million copied rules: refused up front.
  std::string fields, types = "\"a\"", branches;
  for (int i = 0; i < 2000; ++i) fields += ", \"f" + std::to_string(i) + "\": {}";
  for (int i = 0; i < 2000; ++i) {
    types += ", \"t" + std::to_string(i) + "\"";
    branches +=
        R"j(, {"if": {"properties": {"event_type": {"const": "t)j" + std::to_string(i) + R"j("}}}, "then": {}})j";
  }
  EXPECT_EQ(error_of(schema_with(fields, branches, types)),
            "event schema /allOf: the event types' rules (each with the common rules) would take more than 32 MiB");
  // The same fields with 20 types are fine.
  std::string few_types = "\"a\"", few_branches;
  for (int i = 0; i < 20; ++i) {
    few_types += ", \"t" + std::to_string(i) + "\"";
    few_branches +=
        R"j(, {"if": {"properties": {"event_type": {"const": "t)j" + std::to_string(i) + R"j("}}}, "then": {}})j";
  }
  EXPECT_EQ(CompiledSchema::compile(schema_with(fields, few_branches, few_types)).types().size(), 21u);
}

TEST(Schema, ValuesQuotedInMessagesAreCutAndEscaped) {
  const std::string key(1000, 'k');
  EXPECT_EQ(error_of(schema_with(", \"n\": {\"" + key + "\": 1}")),
            "event schema /properties/n/" + std::string(186, 'k') + "…: unsupported keyword '" + std::string(100, 'k') +
                "…'");
  EXPECT_EQ(error_of(schema_with(R"j(, "n": {"type": "line\nbreak"})j")),
            "event schema /properties/n/type: unknown type 'line\\x0Abreak'");
}

// Compiling polls the server's cancel probe (before each distinct pattern and every 256 fields): a cancel or
// statement_timeout stops a long compile between patterns, never inside a C++ frame the server would longjmp out of.
TEST(Schema, CompilingObservesCancellation) {
  static int polls = 0;
  polls = 0;
  ecpipe::set_interrupt_probe([] { return ++polls >= 2; });
  const std::string text = read_file(ECPIPE_SOURCE_DIR "/schemas/event_schema.json");
  EXPECT_THROW(CompiledSchema::compile(text), ecpipe::Interrupted);
  ecpipe::set_interrupt_probe(nullptr);
  EXPECT_EQ(polls, 2);
  EXPECT_EQ(CompiledSchema::compile(text).types().size(), 5u);
}
