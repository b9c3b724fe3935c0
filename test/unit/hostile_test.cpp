// Hostile lines: each ends as a failed check with a reason (usually unparseable), never a crash.
#include <gtest/gtest.h>

#include "event_fixture.hpp"

using namespace ecpipe;
using fixture::event;

namespace {
std::string detail(const BatchReport& r, size_t i) { return r.lines[i].detail < 0 ? "" : r.details[r.lines[i].detail]; }
BatchReport one(const std::string& line) { return fixture::run(std::vector<std::string>{line}); }
}  // namespace

TEST(Hostile, InvalidUtf8AndLoneSurrogates) {
  auto r = one("{\"a\": \"\xff\xfe\"}");
  EXPECT_TRUE(r.lines[0].unparseable);
  EXPECT_EQ(detail(r, 0), "required_fields: unparseable: invalid UTF-8");
  r = one(R"({"a": "\ud800"})");
  EXPECT_EQ(detail(r, 0), "required_fields: unparseable: invalid string (bad escape or lone surrogate)");
  r = one(R"({"a": "\udc00x"})");
  EXPECT_TRUE(r.lines[0].unparseable);
}

TEST(Hostile, NanInfinityAndRepeatedKeys) {
  for (const char* s : {R"({"a": NaN})", R"({"a": Infinity})", R"({"a": -inf})"})
    EXPECT_TRUE(one(s).lines[0].unparseable) << s;
  auto r = one(R"({"a": 1, "b": {"c": 1, "c": 2}})");
  EXPECT_EQ(detail(r, 0), "required_fields: unparseable: repeated key \"c\"");
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\": 1, ";
  many += "\"k7\": 2}";
  EXPECT_EQ(detail(one(many), 0), "required_fields: unparseable: repeated key \"k7\"");
  EXPECT_TRUE(one(R"({"a\u0062": 1, "ab": 2})").lines[0].unparseable) << "keys compare after unescaping";
  // The validator numbers schema fields in its own walk: a repeat of one is caught there, a repeat of an unknown
  // key by the screen, and a nested repeat is named before a top-level one, as the parser's walk names them.
  EXPECT_EQ(detail(one(R"({"event_type": "click", "user_id": "U000001", "event_type": "search"})"), 0),
            "required_fields: unparseable: repeated key \"event_type\"");
  EXPECT_EQ(detail(one(R"({"event_type": "click", "x_note": 1, "user_id": "U000001", "x_note": 2})"), 0),
            "required_fields: unparseable: repeated key \"x_note\"");
  EXPECT_EQ(detail(one(R"({"platform": "web", "platform": "ios", "extra_data": {"c": 1, "c": 2}})"), 0),
            "required_fields: unparseable: repeated key \"c\"");
  EXPECT_EQ(detail(one(R"({"platform": "web", "x_a": 1, "x_b": 2, "Platform": "ios"})"), 0).find("unparseable"),
            std::string::npos)
      << "keys differing in case are different keys";
}

TEST(Hostile, DeepNesting) {
  std::string deep = "{\"a\": " + std::string(10000, '[') + std::string(10000, ']') + "}";
  auto r = one(deep);
  EXPECT_EQ(detail(r, 0), "required_fields: unparseable: nested deeper than 1024 levels");
  std::string ok = "{\"a\": " + std::string(500, '[') + std::string(500, ']') + "}";
  EXPECT_FALSE(one(ok).lines[0].unparseable);
  // Levels count values: the line's object is level 1, a value inside a container one level deeper than it.
  auto nested = [](int arrays, const std::string& inner) {
    return "{\"a\": " + std::string(arrays, '[') + inner + std::string(arrays, ']') + "}";
  };
  EXPECT_FALSE(one(nested(1022, "1")).lines[0].unparseable) << "the 1 at level 1024";
  EXPECT_FALSE(one(nested(1022, "[]")).lines[0].unparseable) << "the empty array at level 1024";
  EXPECT_TRUE(one(nested(1023, "1")).lines[0].unparseable) << "the 1 at level 1025";
  EXPECT_TRUE(one(nested(1023, "[]")).lines[0].unparseable) << "the empty array at level 1025";
}

TEST(Hostile, HugeNumbersAreJudgedNotCrashed) {
  auto e = event("add_to_cart", 1).dump();
  const std::string q = "\"quantity\":1";
  std::string huge = e;
  huge.replace(huge.find(q), q.size(), "\"quantity\": 1e400");
  auto r = one(huge);
  EXPECT_FALSE(r.lines[0].unparseable);
  EXPECT_EQ(r.check(CheckId::ValueValidity).failed, 1);
  EXPECT_EQ(detail(r, 0).substr(0, detail(r, 0).find("; ")),
            "value_validity: quantity: 1.79769313486232e+308 > maximum 99");
  std::string bigint = e;
  bigint.replace(bigint.find(q), q.size(), "\"quantity\": 123456789012345678901234567890");
  EXPECT_EQ(one(bigint).check(CheckId::ValueValidity).failed, 1);
  std::string kept = e;
  kept.insert(1, "\"extra\": -1e999, ");
  EXPECT_EQ(one(kept).check(CheckId::ValueValidity).failed, 0) << "unknown fields are kept, not judged";
  std::string tiny = e;
  tiny.insert(1, "\"extra\": 1e-400, \"s\": \"1e400 in a string\", ");
  EXPECT_FALSE(one(tiny).lines[0].unparseable);
}

TEST(Hostile, NumbersJsonbCannotHoldFailCheck3) {
  // Values without a column are stored as jsonb, numbers exactly as written: one beyond PostgreSQL's numeric would
  // fail the load, so the line fails check 3 (quarantined) instead; one numeric holds is kept.
  const std::string e = event("page_view", 1).dump();
  auto with = [&](const std::string& member) { return std::string(e).insert(1, member + ", "); };
  const std::string why =
      " is beyond what PostgreSQL's numeric holds (131072 digits before the decimal point, 16383 after)";
  for (const char* kept : {"\"x\": 1e131071", "\"x\": -1e999", "\"x\": [0.1e-400, {\"y\": 1e-16383}]"})
    EXPECT_EQ(one(with(kept)).check(CheckId::ValueValidity).failed, 0) << kept;
  auto r = one(with("\"x\": 1e131072"));
  EXPECT_EQ(r.check(CheckId::ValueValidity).failed, 1);
  EXPECT_EQ(r.lines[0].disposition, Disposition::Quarantine);
  EXPECT_EQ(detail(r, 0), "value_validity: number 1e131072" + why);
  EXPECT_EQ(detail(one(with("\"x\": {\"y\": [0e-16384]}")), 0), "value_validity: number 0e-16384" + why);
  // 1.000…0 is an ordinary double: only its length says that numeric cannot hold its 16,384 decimals
  EXPECT_EQ(one(with("\"x\": 1." + std::string(16383, '0'))).check(CheckId::ValueValidity).failed, 0);
  EXPECT_EQ(one(with("\"x\": 1." + std::string(16384, '0'))).check(CheckId::ValueValidity).failed, 1);
  // in a purchase's extra_data written as a string too
  auto purchase = event("purchase", 2);
  purchase["extra_data"] =
      R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}], "shipping_fee": 0e-20000})";
  EXPECT_EQ(detail(fixture::run_events({purchase}), 0).substr(0, 40), "value_validity: number 0e-20000 is beyon");
}

TEST(Hostile, IntegersBeyond64BitsAreNumbersNotParseErrors) {
  const std::string e = event("page_view", 1).dump();
  auto with = [&](const std::string& member) { return std::string(e).insert(1, member + ", "); };
  for (const char* n : {"-9223372036854775808", "-9223372036854775809", "-9999999999999999999", "-10000000000000000000",
                        "18446744073709551615", "18446744073709551616", "123456789012345678901234567890"}) {
    const auto r = one(with(std::string("\"x\": [1, {\"y\": ") + n + "}]"));
    EXPECT_FALSE(r.lines[0].unparseable) << n;
    EXPECT_EQ(r.check(CheckId::ValueValidity).failed, 0) << n;
  }
  auto purchase = event("purchase", 2);  // in an extra_data string: decoded, not "not valid JSON"
  purchase["extra_data"] =
      R"({"products": [{"product_id": "P1001", "quantity": 1, "unit_price": 89000}], "z": -9223372036854775809})";
  EXPECT_EQ(fixture::run_events({purchase}).check(CheckId::OrderAmount).failed, 0);
  for (const char* bad : {"01", "-01", "1.", "1e", "1e+", "-", "--1", "0x10", "-Infinity"})
    EXPECT_EQ(detail(one(with(std::string("\"x\": ") + bad)), 0),
              "required_fields: unparseable: a number not written as JSON writes numbers (01, 1., 1e, -, 0x10)")
        << bad;
}

TEST(Hostile, IntegersAreWholeAsWritten) {
  const std::string e = event("add_to_cart", 1).dump();
  const std::string q = "\"quantity\":1";
  auto with = [&](const std::string& text) {
    return std::string(e).replace(e.find(q), q.size(), "\"quantity\": " + text);
  };
  for (const char* whole : {"2.0", "2e0", "200e-2", "99.000000000000000000000"})
    EXPECT_EQ(one(with(whole)).check(CheckId::ValueValidity).failed, 0) << whole;
  auto r = one(with("1.0000000000000000000001"));
  EXPECT_EQ(r.check(CheckId::ValueValidity).failed, 1) << "a double says 1";
  EXPECT_EQ(detail(r, 0).substr(0, detail(r, 0).find("; ")),
            "value_validity: quantity: expected integer, got number 1.0000000000000000000001");
  EXPECT_EQ(r.lines[0].disposition, Disposition::Quarantine);
}

TEST(Hostile, NumbersAsStringsAndWrongTypes) {
  auto e = event("add_to_cart", 1);
  e["quantity"] = "2";
  e["unit_price"] = true;
  auto r = fixture::run_events({e});
  EXPECT_EQ(r.check(CheckId::ValueValidity).failed, 1);
  EXPECT_EQ(r.lines[0].disposition, Disposition::Quarantine);
}

TEST(Hostile, MegabyteStringsAndSqlText) {
  auto e = event("search", 1);
  e["search_query"] = std::string(1 << 20, 'x');
  EXPECT_EQ(fixture::run_events({e}).check(CheckId::ValueValidity).failed, 1);
  auto big_extra = event("page_view", 2);
  big_extra["blob"] = std::string(1 << 20, 'y');
  EXPECT_EQ(fixture::run_events({big_extra}).check(CheckId::ValueValidity).failed, 0);
  auto sql = event("search", 3);
  sql["search_query"] = "'); DROP TABLE ecpipe.raw_events; --";
  EXPECT_EQ(fixture::run_events({sql}).check(CheckId::ValueValidity).failed, 0);
  auto long_id = event("page_view", 4);
  long_id["user_id"] = std::string(1 << 20, '9');
  EXPECT_EQ(fixture::run_events({long_id}).check(CheckId::ValueValidity).failed, 1);
}

TEST(Hostile, NotJsonAtAll) {
  std::vector<std::string> ls = {"hello",
                                 "{",
                                 "}",
                                 "\"just a string\"",
                                 "42",
                                 "null",
                                 "{\"a\":1} {\"b\":2}",
                                 "\xEF\xBB\xBF{\"bom\": 1}",
                                 std::string("{\"a\": \"x\0y\"}", 13)};
  auto r = fixture::run(ls);
  EXPECT_EQ(r.check(CheckId::RequiredFields).population, static_cast<int64_t>(ls.size()));
  for (size_t i = 0; i < ls.size(); ++i) EXPECT_TRUE(r.lines[i].unparseable) << i;
  EXPECT_EQ(detail(r, 7),
            "required_fields: unparseable: starts with a byte order mark (U+FEFF), which JSON Lines does not allow");
}
