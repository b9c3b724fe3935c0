// Internal: compact per-batch string sets (event ids, session ids, order ids) — one arena, open addressing.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ecpipe::detail {

// A fast 64-bit hash of bytes (multiply-xorshift mixing, four independent lanes over 32-byte blocks so the
// multiplies overlap); not cryptographic.
// Equality for short strings without a memcmp call: lengths, then 8 bytes at a time.
inline bool same_bytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  size_t i = 0;
  for (; i + 8 <= a.size(); i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return false;
  }
  for (; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

inline uint64_t hash_bytes(std::string_view s, uint64_t seed = 0x9E3779B97F4A7C15ULL) {
  uint64_t h = seed ^ (s.size() * 0xC2B2AE3D27D4EB4FULL);
  size_t i = 0;
  if (s.size() >= 32) {
    uint64_t lane[4] = {h, h ^ 0x9E3779B97F4A7C15ULL, h ^ 0xBF58476D1CE4E5B9ULL, h ^ 0x94D049BB133111EBULL};
    for (; i + 32 <= s.size(); i += 32) {
      for (int k = 0; k < 4; ++k) {
        uint64_t w;
        std::memcpy(&w, s.data() + i + 8 * k, 8);
        lane[k] = (lane[k] ^ w) * 0x87C37B91114253D5ULL;
        lane[k] ^= lane[k] >> 29;
      }
    }
    h = lane[0] ^ (lane[1] * 3) ^ (lane[2] * 5) ^ (lane[3] * 7);
  }
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ (w * 0x87C37B91114253D5ULL)) * 0x4CF5AD432745937FULL;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);  // an empty view may have no data at all
  h = (h ^ (tail * 0x87C37B91114253D5ULL)) * 0x4CF5AD432745937FULL;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 32);
}

class StringInterner {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint64_t kEmpty = UINT64_MAX;

  StringInterner() : slots_(1024, kEmpty) {}

  // The id of s (0, 1, 2, ... in order of first appearance); `added` says whether s was new.
  uint32_t intern(std::string_view s, bool& added) {
    const uint64_t h = hash_bytes(s);
    const uint64_t tag = h >> 32;  // the slot keeps these hash bits beside the id: most misses never touch the arena
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const uint64_t slot = slots_[i];
      if (slot == kEmpty) {
        added = true;
        const uint32_t fresh = static_cast<uint32_t>(offsets_.size());
        offsets_.push_back(arena_.size());
        arena_.append(s);
        slots_[i] = (tag << 32) | fresh;
        if (offsets_.size() * 2 > slots_.size()) grow();
        return fresh;
      }
      const uint32_t id = static_cast<uint32_t>(slot);
      if ((slot >> 32) == tag && same_bytes(at(id), s)) {
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
    std::vector<uint64_t> bigger(slots_.size() * 2, kEmpty);
    const size_t mask = bigger.size() - 1;
    for (uint32_t id = 0; id < offsets_.size(); ++id) {
      const uint64_t h = hash_bytes(at(id));  // hashed again rather than kept: 8 bytes less per string
      size_t i = h & mask;
      while (bigger[i] != kEmpty) i = (i + 1) & mask;
      bigger[i] = ((h >> 32) << 32) | id;
    }
    slots_.swap(bigger);
  }

  std::vector<uint64_t> slots_;
  std::vector<size_t> offsets_;
  std::string arena_;
};

}  // namespace ecpipe::detail
