// map_pages and the mapped vectors change only when pages are mapped: contents and sizes are those of plain vectors.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "ecpipe/mapped_memory.hpp"

TEST(MappedMemory, MappedVectorIsValueInitialised) {
  const size_t n = (8u << 20) / sizeof(uint64_t) + 3;  // 8 MB and a bit: mapped, with an unaligned end
  const std::vector<uint64_t> v = ecpipe::detail::mapped_vector<uint64_t>(n);
  ASSERT_EQ(v.size(), n);
  EXPECT_EQ(std::accumulate(v.begin(), v.end(), uint64_t{0}), 0u);
}

TEST(MappedMemory, ReserveKeepsElementsAndOnlyGrows) {
  std::vector<uint32_t> v = {7, 8, 9};
  ecpipe::detail::reserve_mapped(v, 1u << 20);
  ASSERT_GE(v.capacity(), 1u << 20);
  EXPECT_EQ(v, (std::vector<uint32_t>{7, 8, 9}));
  const uint32_t* data = v.data();
  ecpipe::detail::reserve_mapped(v, 10);  // smaller: nothing moves
  EXPECT_EQ(v.data(), data);
  v.resize(1u << 20, 5);
  EXPECT_EQ(v[3], 5u);
  EXPECT_EQ(v.back(), 5u);
}

TEST(MappedMemory, MapPagesLeavesContentsAlone) {
  std::vector<unsigned char> small(100, 0xAB), big(3u << 20, 0xCD);
  ecpipe::map_pages(small.data(), small.size());      // below the threshold: nothing to do
  ecpipe::map_pages(big.data() + 1, big.size() - 2);  // unaligned both ends: only whole pages inside
  ecpipe::map_pages(nullptr, 0);
  EXPECT_EQ(small, std::vector<unsigned char>(100, 0xAB));
  EXPECT_EQ(big, std::vector<unsigned char>(3u << 20, 0xCD));
}
