// JSON numbers judged from their digits (what jsonb's numeric holds, wholeness, int64) and members' value texts,
// against PostgreSQL's own limits as its numeric input states them.
#include <gtest/gtest.h>

#include <string>

#include "../../src/core/json_text.hpp"

using namespace ecpipe::detail;

TEST(JsonText, WhatNumericHolds) {
  // digits before the decimal point: up to 131072 (10^131071 has 131072)
  EXPECT_TRUE(number_fits_numeric("1e131071"));
  EXPECT_TRUE(number_fits_numeric("9.9e131071"));
  EXPECT_FALSE(number_fits_numeric("1e131072"));
  EXPECT_FALSE(number_fits_numeric("0.1e131073"));
  EXPECT_TRUE(number_fits_numeric("0.0e131072")) << "zero has no digits before the point";
  EXPECT_TRUE(number_fits_numeric("1" + std::string(131071, '0')));
  EXPECT_FALSE(number_fits_numeric("1" + std::string(131072, '0')));
  // digits after it: up to 16383, trailing zeros included
  EXPECT_TRUE(number_fits_numeric("1e-16383"));
  EXPECT_FALSE(number_fits_numeric("1e-16384"));
  EXPECT_FALSE(number_fits_numeric("0e-16384"));
  EXPECT_TRUE(number_fits_numeric("12.5e-16382"));
  EXPECT_FALSE(number_fits_numeric("12.5e-16383"));
  EXPECT_TRUE(number_fits_numeric("0." + std::string(16383, '0')));
  EXPECT_FALSE(number_fits_numeric("0." + std::string(16384, '0')));
  // the written exponent: PostgreSQL refuses |e| >= INT_MAX / 2 even for zero
  EXPECT_TRUE(number_fits_numeric("0e999999"));
  EXPECT_FALSE(number_fits_numeric("0e1073741823"));
  EXPECT_FALSE(number_fits_numeric("0e99999999999999999999"));
  for (const char* ordinary : {"0", "-0", "1.5", "-2E+5", "1e400", "0.1e-400", "123456789012345678901234567890"})
    EXPECT_TRUE(number_fits_numeric(ordinary)) << ordinary;
}

TEST(JsonText, WholeNumbersByTheirDigits) {
  for (const char* whole : {"0", "-0", "2", "2.0", "2.000", "2e3", "200e-2", "1E+2", "0.0e-9", "120e-1"})
    EXPECT_TRUE(number_is_whole(whole)) << whole;
  EXPECT_FALSE(number_is_whole("250e-2"));
  EXPECT_FALSE(number_is_whole("1.0000000000000000000001")) << "a double says 1";
  EXPECT_FALSE(number_is_whole("0.5"));
  EXPECT_FALSE(number_is_whole("1e-400"));
  EXPECT_TRUE(number_is_whole("1e400"));
}

TEST(JsonText, Int64ExactlyOrNot) {
  int64_t v = 0;
  ASSERT_TRUE(number_to_int64("9007199254740993", v));
  EXPECT_EQ(v, 9007199254740993);
  ASSERT_TRUE(number_to_int64("9007199254740993.000", v));
  EXPECT_EQ(v, 9007199254740993);
  ASSERT_TRUE(number_to_int64("9223372036854775807", v));
  EXPECT_EQ(v, INT64_MAX);
  ASSERT_TRUE(number_to_int64("-9223372036854775808", v));
  EXPECT_EQ(v, INT64_MIN);
  ASSERT_TRUE(number_to_int64("25e1", v));
  EXPECT_EQ(v, 250);
  ASSERT_TRUE(number_to_int64("-0", v));
  EXPECT_EQ(v, 0);
  EXPECT_FALSE(number_to_int64("9223372036854775808", v));
  EXPECT_FALSE(number_to_int64("-9223372036854775809", v));
  EXPECT_FALSE(number_to_int64("1e19", v));
  EXPECT_FALSE(number_to_int64("2.5", v));
  EXPECT_FALSE(number_to_int64("1e400", v));
}

TEST(JsonText, MembersInOneWalk) {
  const std::string object = R"( { "a" : 1e400 , "b":"x\"}y", "c": {"d": [1, "]"]}, "e":-0.5 ,"f":null} )";
  MemberTexts members(object);
  size_t k = 0;
  for (const char* want : {"1e400", R"("x\"}y")", R"({"d": [1, "]"]})", "-0.5", "null"})
    EXPECT_EQ(members.at(k++), want);
  EXPECT_EQ(members.at(4), "null") << "the same member again";
  EXPECT_EQ(members.at(5), "");
  EXPECT_EQ(member_text(object, 2), R"({"d": [1, "]"]})");
  EXPECT_EQ(member_text(R"({"a": "\\", "b": "\\\"", "c": 3})", 2), "3") << "backslashes before a quote";
  MemberTexts skipping(object);
  EXPECT_EQ(skipping.at(3), "-0.5") << "walks past the members not asked for";
  EXPECT_EQ(MemberTexts("{}").at(0), "");
}

TEST(JsonText, FirstNumberBeyondNumericOutsideStrings) {
  EXPECT_EQ(first_number_beyond_numeric(R"({"a": "1e999999", "b": [1, 2.5, -1e400]})"), "");
  EXPECT_EQ(first_number_beyond_numeric(R"({"a": "x", "b": [1, 0e-20000, 1e131072]})"), "0e-20000");
  EXPECT_EQ(first_number_beyond_numeric(R"({"k\"1e131072": 1e131072})"), "1e131072");
}
