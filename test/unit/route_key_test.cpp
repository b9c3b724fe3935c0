// Route keys: user_id, else session_id, else the line number, for any line at all.
#include <gtest/gtest.h>

#include <string>

#include "ecpipe/route_key.hpp"

using ecpipe::route_key;

TEST(RouteKey, UserThenSessionThenLineNumber) {
  EXPECT_EQ(route_key(R"({"user_id": "U000001", "session_id": "s-1"})", 7), "U000001");
  EXPECT_EQ(route_key(R"({"session_id": "s-1"})", 7), "s-1") << "no user_id: its session";
  EXPECT_EQ(route_key(R"({"user_id": "", "session_id": "s-1"})", 7), "s-1") << "an empty user_id is none";
  EXPECT_EQ(route_key(R"({"user_id": 12, "session_id": null})", 7), "7") << "not strings: the line number";
  EXPECT_EQ(route_key(R"({"event_id": "e"})", 12345678901), "12345678901");
}

TEST(RouteKey, AnyLineGetsOne) {
  EXPECT_EQ(route_key("not json", 3), "3");
  EXPECT_EQ(route_key("", 4), "4");
  EXPECT_EQ(route_key(R"(["U000001"])", 5), "5") << "not an object";
  EXPECT_EQ(route_key(R"({"user_id": "U1", "user_id": "U2"})", 6), "6") << "a repeated key: unparseable";
  EXPECT_EQ(route_key(std::string(100000, '['), 8), "8") << "deep nesting";
  EXPECT_EQ(route_key(R"({"user_id": ")" + std::string(65, 'u') + R"(", "session_id": "s"})", 9), "s")
      << "an id longer than any real one is not used";
  EXPECT_EQ(route_key(R"({"user_id": "U\u0000", "session_id": "s"})", 10), "s") << "a key is a text value: no U+0000";
  EXPECT_EQ(route_key("{\"user_id\": \"U\xff\"}", 11), "11") << "invalid UTF-8 does not parse";
}
