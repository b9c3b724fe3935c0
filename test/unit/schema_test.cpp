// The schema compiler: the shipped schema's rules, and loud refusals of what it cannot honour.
#include <gtest/gtest.h>

#include "ecpipe/error.hpp"
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
  EXPECT_EQ(error_of(base + R"("properties": {"a": {"type": "string", "multipleOf": 2}}})"),
            "event schema /properties/a/multipleOf: unsupported keyword 'multipleOf'");
  EXPECT_EQ(error_of(base + R"("properties": {"a": {"format": "email"}}})"),
            "event schema /properties/a/format: unsupported format 'email' (supported: date-time, uuid, uri)");
  EXPECT_EQ(error_of(base + R"("additionalProperties": false})"),
            "event schema /additionalProperties: unknown fields are always allowed and kept; only true is supported");
  EXPECT_EQ(error_of(R"({"$schema": "http://json-schema.org/draft-04/schema#"})"),
            "event schema /$schema: must name JSON Schema draft-07");
  EXPECT_EQ(error_of("[1,"), error_of("[1,")) ;
  EXPECT_NE(error_of("[1,"), "");
  EXPECT_EQ(error_of(base + R"("properties": {"event_type": {"enum": ["a"]}}, "allOf": [{"if": {"properties": {"event_type": {"const": "b"}}}, "then": {}}]})"),
            "event schema /allOf: branch for 'b' which the event_type enum does not list");
}
