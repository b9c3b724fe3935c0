// DistinctStrings: ids in the schema's own shapes take compact fast paths (user ids U + 6 digits as bits of a bitmap,
// UUIDs packed in the id table); any other string is interned. Each string has exactly one path, so the count is exact.
#include "ecpipe/distinct.hpp"

#include <vector>

#include "ecpipe/core_only.hpp"
#include "id_first_seen.hpp"
#include "interner.hpp"
#include "user_number.hpp"

namespace ecpipe {

class DistinctStrings::Impl {
 public:
  std::vector<uint64_t> user_bits;  // one bit per user number once the first user id arrives
  size_t users = 0;
  detail::IdFirstSeen ids;  // UUIDs packed; other strings interned by the same table
};

DistinctStrings::DistinctStrings() : impl_(std::make_unique<Impl>()) {}
DistinctStrings::~DistinctStrings() = default;
DistinctStrings& DistinctStrings::operator=(DistinctStrings&& other) noexcept = default;

void DistinctStrings::add(std::string_view s) {
  Impl& m = *impl_;
  const int user = detail::user_number(s);
  if (user >= 0) {
    if (m.user_bits.empty()) m.user_bits.assign(detail::kUserNumbers / 64 + 1, 0);
    uint64_t& word = m.user_bits[static_cast<size_t>(user) / 64];
    const uint64_t bit = uint64_t{1} << (user % 64);
    m.users += (word & bit) == 0;
    word |= bit;
    return;
  }
  m.ids.first_seen(s, m.ids.size());
}

size_t DistinctStrings::size() const { return impl_->users + impl_->ids.size(); }

}  // namespace ecpipe
