// DistinctStrings: ids in the spec's own shapes take compact fast paths (user ids U + 6 digits as bits of a bitmap,
// UUIDs packed in the id table); any other string is interned. Each string has exactly one path, so the count is exact.
#include "ecpipe/distinct.hpp"

#include <vector>

#include "ecpipe/core_only.hpp"
#include "id_first_seen.hpp"
#include "interner.hpp"

namespace ecpipe {

namespace {

// U followed by exactly six ASCII digits: its number, else -1.
int user_number(std::string_view s) {
  if (s.size() != 7 || s[0] != 'U') return -1;
  int n = 0;
  for (size_t i = 1; i < 7; ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return -1;
    n = n * 10 + static_cast<int>(d);
  }
  return n;
}

}  // namespace

class DistinctStrings::Impl {
 public:
  std::vector<uint64_t> user_bits;  // 1,000,000 bits once the first user id arrives
  size_t users = 0;
  detail::IdFirstSeen ids;  // UUIDs packed; other strings interned by the same table
  uint32_t id_count = 0;
};

DistinctStrings::DistinctStrings() : impl_(std::make_unique<Impl>()) {}
DistinctStrings::~DistinctStrings() = default;

void DistinctStrings::add(std::string_view s) {
  Impl& m = *impl_;
  const int user = user_number(s);
  if (user >= 0) {
    if (m.user_bits.empty()) m.user_bits.assign(1000000 / 64 + 1, 0);
    uint64_t& word = m.user_bits[static_cast<size_t>(user) / 64];
    const uint64_t bit = uint64_t{1} << (user % 64);
    m.users += (word & bit) == 0;
    word |= bit;
    return;
  }
  if (m.ids.first_seen(s, m.id_count) == m.id_count) ++m.id_count;
}

size_t DistinctStrings::size() const { return impl_->users + impl_->id_count; }

}  // namespace ecpipe
