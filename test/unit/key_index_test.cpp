// KeyIndex and KeySet, the marts' per-day tables of packed keys, against std::map / std::set.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>

#include "../../src/core/key_index.hpp"

using ecpipe::detail::KeyIndex;
using ecpipe::detail::KeySet;
using ecpipe::detail::pack_keys;

TEST(KeySet, SaysNewOnlyOnceForEveryKeyIncludingTheExtremes) {
  KeySet set;
  EXPECT_TRUE(set.add(0));
  EXPECT_FALSE(set.add(0));
  EXPECT_TRUE(set.add(UINT64_MAX)) << "the one key that cannot be stored as key + 1";
  EXPECT_FALSE(set.add(UINT64_MAX));
  EXPECT_TRUE(set.add(UINT64_MAX - 1));
  EXPECT_FALSE(set.add(UINT64_MAX - 1));
}

TEST(KeySet, AgreesWithStdSetThroughGrowth) {
  KeySet set;
  std::set<uint64_t> reference;
  uint64_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const uint64_t key = pack_keys(static_cast<uint32_t>(x >> 60), static_cast<uint32_t>(x >> 45));  // repeats often
    ASSERT_EQ(set.add(key), reference.insert(key).second) << "key " << key << " at " << i;
  }
  EXPECT_GT(reference.size(), 50000u);
}

TEST(KeyIndex, GivesDenseIndexesInOrderOfFirstAppearance) {
  KeyIndex index;
  std::map<uint64_t, uint32_t> reference;
  bool added = false;
  for (uint32_t i = 0; i < 100000; ++i) {
    const uint64_t key = pack_keys(i % 977, i % 1013);
    const uint32_t got = index.find_or_add(key, added);
    const auto [at, fresh] = reference.emplace(key, static_cast<uint32_t>(reference.size()));
    ASSERT_EQ(added, fresh);
    ASSERT_EQ(got, at->second);
  }
  EXPECT_EQ(index.size(), reference.size());
}
