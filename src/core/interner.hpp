// Internal: compact per-batch string sets (event ids, session ids, order ids) — one arena, open addressing.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ecpipe::detail {

// A fast 64-bit hash of bytes (8 at a time, multiply-xorshift mixing); not cryptographic.
inline uint64_t hash_bytes(std::string_view s, uint64_t seed = 0x9E3779B97F4A7C15ULL) {
  uint64_t h = seed ^ (s.size() * 0xC2B2AE3D27D4EB4FULL);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ (w * 0x87C37B91114253D5ULL)) * 0x4CF5AD432745937FULL;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ (tail * 0x87C37B91114253D5ULL)) * 0x4CF5AD432745937FULL;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 32);
}

class StringInterner {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  StringInterner() : slots_(1024, kNone) {}

  // The id of s (0, 1, 2, ... in order of first appearance); `added` says whether s was new.
  uint32_t intern(std::string_view s, bool& added) {
    const uint64_t h = hash_bytes(s);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint32_t id = slots_[i];
      if (id == kNone) {
        added = true;
        const uint32_t fresh = static_cast<uint32_t>(offsets_.size());
        offsets_.push_back(arena_.size());
        arena_.append(s);
        hashes_.push_back(h);
        slots_[i] = fresh;
        if (offsets_.size() * 2 > slots_.size()) grow();
        return fresh;
      }
      if (hashes_[id] == h && at(id) == s) {
        added = false;
        return id;
      }
    }
  }

  std::string_view at(uint32_t id) const {
    const size_t end = id + 1 < offsets_.size() ? offsets_[id + 1] : arena_.size();
    return std::string_view(arena_).substr(offsets_[id], end - offsets_[id]);
  }
  size_t size() const { return offsets_.size(); }

 private:
  void grow() {
    std::vector<uint32_t> bigger(slots_.size() * 2, kNone);
    const size_t mask = bigger.size() - 1;
    for (uint32_t id = 0; id < offsets_.size(); ++id) {
      size_t i = hashes_[id] & mask;
      while (bigger[i] != kNone) i = (i + 1) & mask;
      bigger[i] = id;
    }
    slots_.swap(bigger);
  }

  std::vector<uint32_t> slots_;
  std::vector<uint64_t> hashes_;
  std::vector<size_t> offsets_;
  std::string arena_;
};

}  // namespace ecpipe::detail
