// The schema's pattern dialect: ECMA semantics for the constructs the schema uses, refusals for the rest.
#include <gtest/gtest.h>

#include "ecpipe/error.hpp"
#include "ecpipe/regex.hpp"

using ecpipe::Regex;

TEST(Regex, AnchoredDigitsAsInTheSchema) {
  Regex user = Regex::compile("^U\\d{6}$");
  EXPECT_TRUE(user.search("U000001"));
  EXPECT_FALSE(user.search("U00001"));
  EXPECT_FALSE(user.search("U0000012"));
  EXPECT_FALSE(user.search("u000001"));
  EXPECT_FALSE(user.search("U000001\n")) << "ECMA $ does not match before a final newline";
  EXPECT_FALSE(user.search("U٠٠٠٠٠١")) << "\\d is ASCII only";
}

TEST(Regex, FixedPatternsOverNonAsciiInput) {
  // The anchored fast path reads ASCII bytes directly and decodes anything else as one code point.
  const auto user = Regex::compile("^U\\d{6}$");
  EXPECT_TRUE(user.search("U123456"));
  EXPECT_FALSE(user.search("U12345\xd9\xa3")) << "an Arabic-Indic digit is not \\d";
  EXPECT_FALSE(user.search("U\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96")) << "fullwidth digits";
  EXPECT_FALSE(user.search("U12345\xff"));
  const auto any = Regex::compile("^.{3}$");
  EXPECT_TRUE(any.search("한국어")) << "three code points, nine bytes";
  EXPECT_FALSE(any.search("한국"));
}

TEST(Regex, OpenEndedRepetition) {
  Regex order = Regex::compile("^ORD\\d{13,}$");
  EXPECT_TRUE(order.search("ORD2024010112345"));
  EXPECT_TRUE(order.search("ORD20240101123456789"));
  EXPECT_FALSE(order.search("ORD202401011234"));
}

TEST(Regex, UnanchoredSearchAndAlternation) {
  EXPECT_TRUE(Regex::compile("b+c").search("aaabbbcd"));
  EXPECT_FALSE(Regex::compile("b+c").search("aaac"));
  Regex ts = Regex::compile("^\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})?$");
  EXPECT_TRUE(ts.search("12"));
  EXPECT_TRUE(ts.search("12.5Z"));
  EXPECT_TRUE(ts.search("12-09:30"));
  EXPECT_FALSE(ts.search("12."));
  EXPECT_FALSE(ts.search("12Z+01:00"));
}

TEST(Regex, ClassesAndDotOverCodePoints) {
  EXPECT_TRUE(Regex::compile("^[^a-c]$").search("한"));
  EXPECT_TRUE(Regex::compile("^.{2}$").search("😀x"));
  EXPECT_FALSE(Regex::compile("^.$").search("\n"));
  EXPECT_TRUE(Regex::compile("^[\\w-]+$").search("elem_1-a"));
}

TEST(Regex, LongInputIsLinearAndSafe) {
  std::string big(1 << 20, 'a');
  EXPECT_FALSE(Regex::compile("^(a|aa)*b$").search(big));  // exponential for a backtracker
  EXPECT_TRUE(Regex::compile("a$").search(big));
}

TEST(Regex, RefusesWhatItCannotHonour) {
  for (const char* p : {"(a", "a)", "[a", "(?=a)", "\\1", "\\bx", "*a", "a{3,1}", "\\p{L}"})
    EXPECT_THROW(Regex::compile(p), ecpipe::Error) << p;
}
