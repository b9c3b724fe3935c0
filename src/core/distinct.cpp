// DistinctStrings over the core's string interner.
#include "ecpipe/distinct.hpp"

#include "ecpipe/core_only.hpp"
#include "interner.hpp"

namespace ecpipe {

class DistinctStrings::Impl {
 public:
  detail::StringInterner strings;
};

DistinctStrings::DistinctStrings() : impl_(std::make_unique<Impl>()) {}
DistinctStrings::~DistinctStrings() = default;
void DistinctStrings::add(std::string_view s) {
  bool added = false;
  impl_->strings.intern(s, added);
}
size_t DistinctStrings::size() const { return impl_->strings.size(); }

}  // namespace ecpipe
