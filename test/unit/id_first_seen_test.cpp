// The compact event-id set behind check 2: exact string identity (case kept), UUIDs packed, other ids interned.
#include <gtest/gtest.h>

#include <cstdio>

#include "../../src/core/id_first_seen.hpp"

using ecpipe::detail::IdFirstSeen;

namespace {

std::string uuid(unsigned n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", n * 2654435761u, n);
  return buf;
}

}  // namespace

TEST(IdFirstSeen, FirstLineNamesAnIdAndCaseMatters) {
  IdFirstSeen ids;
  const std::string lower = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  std::string upper = lower;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(ids.first_seen(lower, 0), 0u);
  EXPECT_EQ(ids.first_seen(upper, 1), 1u) << "ids compare as strings: another case is another id";
  EXPECT_EQ(ids.first_seen(lower, 2), 0u);
  EXPECT_EQ(ids.first_seen(upper, 3), 1u);
  EXPECT_EQ(ids.first_seen("e-1", 4), 4u) << "not a UUID: interned as text";
  EXPECT_EQ(ids.first_seen("e-1", 5), 4u);
  EXPECT_EQ(ids.first_seen("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g", 6), 6u) << "a non-hex digit is not a UUID";
  EXPECT_EQ(ids.size(), 4u) << "two UUID spellings, e-1 and the non-hex id";
  const auto texts = ids.texts({0, 1, 4, 6, 99});
  EXPECT_EQ(texts.at(0), lower);
  EXPECT_EQ(texts.at(1), upper);
  EXPECT_EQ(texts.at(4), "e-1");
  EXPECT_EQ(texts.at(6), "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4g");
  EXPECT_EQ(texts.at(99), "") << "an unknown line names no id";
}

TEST(IdFirstSeen, HoldsEveryIdThroughGrowth) {
  IdFirstSeen ids;
  for (unsigned i = 0; i < 100000; ++i) ASSERT_EQ(ids.first_seen(uuid(i), i), i);
  for (unsigned i = 0; i < 100000; i += 7) ASSERT_EQ(ids.first_seen(uuid(i), 100000 + i), i);
  EXPECT_EQ(ids.size(), 100000u);
  EXPECT_EQ(ids.texts({54321}).at(54321), uuid(54321));
  IdFirstSeen sized;
  sized.reserve(3000);
  for (unsigned i = 0; i < 5000; ++i) ASSERT_EQ(sized.first_seen(uuid(i), i), i) << "grows past its reservation";
  for (unsigned i = 0; i < 5000; ++i) ASSERT_EQ(sized.first_seen(uuid(i), 9999), i);
}
