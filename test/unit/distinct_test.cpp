// DistinctStrings counts exactly, whichever path a string takes (user-id bitmap, packed UUID, interned text).
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "ecpipe/distinct.hpp"

using ecpipe::DistinctStrings;

TEST(DistinctStrings, CountsExactlyAcrossEveryShape) {
  const std::vector<std::string> values = {"U000001",
                                           "U000001",
                                           "U999999",
                                           "U000000",  // user ids: the bitmap
                                           "U12345",
                                           "U1234567",
                                           "u000001",
                                           "U00000x",
                                           "U000001 ",  // almost user ids: interned
                                           "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                                           "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D",  // two spellings, two ids
                                           "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",  // repeated
                                           "s-1",
                                           "s-1",
                                           "",
                                           "",
                                           "U\xd9\xa3\xd9\xa3\xd9\xa3"};
  DistinctStrings d;
  std::set<std::string> expected;
  for (const auto& v : values) {
    d.add(v);
    expected.insert(v);
  }
  EXPECT_EQ(d.size(), expected.size());
  EXPECT_EQ(d.size(), 13u);
}

TEST(DistinctStrings, ManyUsersAndSessions) {
  DistinctStrings users, sessions;
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 200000; i += 3) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "U%06d", i % 1000000);
      users.add(buf);
      std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", i * 2654435761u, i);
      sessions.add(buf);
    }
  EXPECT_EQ(users.size(), 66667u);
  EXPECT_EQ(sessions.size(), 66667u);
}
