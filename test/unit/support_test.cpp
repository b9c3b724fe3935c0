// Small core pieces: the error boundary's C++ half, durations, and the landing line reader.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "ecpipe/boundary.hpp"
#include "ecpipe/line_reader.hpp"
#include "ecpipe/durations.hpp"
#include "ecpipe/settings.hpp"

using namespace ecpipe;

TEST(Boundary, ExceptionsBecomeDataWithTheirKind) {
  CaughtError c;
  int r = run_catching<int>(c, []() -> int { throw Error(ErrorKind::InvalidArgument, "bad users"); });
  EXPECT_EQ(r, 0);
  EXPECT_EQ(c.kind, CaughtKind::InvalidArgument);
  EXPECT_STREQ(c.message, "bad users");

  CaughtError oom;
  run_catching<int>(oom, []() -> int { throw std::bad_alloc(); });
  EXPECT_EQ(oom.kind, CaughtKind::OutOfMemory);

  CaughtError server;
  run_catching<int>(server, []() -> int { throw ServerError(42, "from the server"); });
  EXPECT_EQ(server.kind, CaughtKind::Server);
  EXPECT_EQ(server.server_sqlstate, 42);
  EXPECT_STREQ(server.detail, "");
  EXPECT_STREQ(server.hint, "");

  CaughtError hinted;  // a server error's DETAIL and HINT travel with it (a long one cut, not overflowed)
  const std::string long_hint(2000, 'h');
  run_catching<int>(hinted, [&]() -> int { throw ServerError(7, "busy", "held by pid 1", long_hint.c_str()); });
  EXPECT_STREQ(hinted.message, "busy");
  EXPECT_STREQ(hinted.detail, "held by pid 1");
  EXPECT_EQ(std::string(hinted.hint), long_hint.substr(0, sizeof hinted.hint - 1));

  CaughtError odd;
  run_catching<int>(odd, []() -> int { throw 7; });
  EXPECT_EQ(odd.kind, CaughtKind::Internal);

  CaughtError none;
  EXPECT_EQ(run_catching<int>(none, [] { return 5; }), 5);
  EXPECT_FALSE(none);
}

TEST(Boundary, LongMessagesAreCutNotOverflowed) {
  CaughtError c;
  const std::string big(5000, 'x');
  run_catching<int>(c, [&]() -> int { throw std::runtime_error(big); });
  EXPECT_EQ(std::string(c.message).size(), sizeof c.message - 1);
}

TEST(Duration, PostgresLikeSpellings) {
  int64_t us = 0;
  std::string why;
  ASSERT_TRUE(parse_duration("1 day", us, why));
  EXPECT_EQ(us, 86400LL * 1000000);
  ASSERT_TRUE(parse_duration("1d 12h", us, why));
  EXPECT_EQ(us, 36LL * 3600 * 1000000);
  ASSERT_TRUE(parse_duration("90 min", us, why));
  EXPECT_EQ(us, 5400LL * 1000000);
  ASSERT_TRUE(parse_duration("30", us, why));
  EXPECT_EQ(us, 30LL * 1000000);
  EXPECT_FALSE(parse_duration("1 fortnight", us, why));
  EXPECT_EQ(why, "unknown unit \"fortnight\" (use us, ms, s, min, h, d or w)");
  EXPECT_FALSE(parse_duration("-1 day", us, why));
  EXPECT_FALSE(parse_duration("", us, why));
}

TEST(Duration, DefaultMaxFutureIsItsTextParsed) {
  EXPECT_STREQ(kDefaultMaxFuture, "1 day");
  EXPECT_EQ(default_max_future_us(), 86400LL * 1000000);
  EXPECT_EQ(Settings{}.max_future_us, 86400LL * 1000000);
}

TEST(LineReader, KeepsEveryByteAndSplitsOnlyOnNewline) {
  const std::string path = ::testing::TempDir() + "/ecpipe_lines.jsonl";
  std::string big(3 << 20, 'y');  // longer than the reader's initial buffer
  {
    std::ofstream f(path, std::ios::binary);
    f << "a\r\n"
      << "\n"
      << big << "\n"
      << std::string("x\0y", 3) << "\n"
      << "last";
  }
  LineReader r(path, 64 << 20);
  std::vector<std::string> got;
  std::string_view line;
  while (r.next(line)) got.emplace_back(line);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], "a\r");
  EXPECT_EQ(got[1], "");
  EXPECT_EQ(got[2], big);
  EXPECT_EQ(got[3], std::string("x\0y", 3));
  EXPECT_EQ(got[4], "last");
  EXPECT_FALSE(storable_as_text(got[3]));
  EXPECT_TRUE(storable_as_text("한국어 😀"));
  EXPECT_FALSE(storable_as_text("\xff"));
  std::remove(path.c_str());
}

TEST(LineReader, MissingFileIsAnIoError) {
  try {
    LineReader r("/nonexistent/ecpipe.jsonl", 1024);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
  }
}
