// Counts distinct strings exactly in compact memory: the loader's users and sessions (ids in the schema's shapes take
// compact paths, anything else is interned).
#pragma once
#include <cstddef>
#include <memory>
#include <string_view>

namespace ecpipe {

class DistinctStrings {
 public:
  DistinctStrings();
  ~DistinctStrings();
  DistinctStrings(const DistinctStrings&) = delete;
  DistinctStrings& operator=(const DistinctStrings&) = delete;
  DistinctStrings& operator=(DistinctStrings&& other) noexcept;  // `other` is spent: only destroy it

  void add(std::string_view s);
  size_t size() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ecpipe
