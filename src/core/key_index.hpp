// Internal: open-addressing tables of 64-bit keys (two packed ids), the per-day state of the marts: KeyIndex maps each
// to a dense index 0, 1, 2, ... in order of first appearance (user × session); KeySet only says whether a key is new
// (platform × step × user, product × user), in half the memory.
#pragma once
#include <cstdint>
#include <vector>

#include "ecpipe/mapped_memory.hpp"

namespace ecpipe::detail {

// A 64-bit finalizer (MurmurHash3's): every bit of the key moves the slot.
inline uint64_t mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xFF51AFD7ED558CCDULL;
  k ^= k >> 33;
  k *= 0xC4CEB9FE1A85EC53ULL;
  return k ^ (k >> 33);
}

class KeyIndex {
 public:
  KeyIndex() : slots_(1024) {}

  // The index of `key`; `added` says whether it was new.
  uint32_t find_or_add(uint64_t key, bool& added) {
    const size_t mask = slots_.size() - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.index == kEmpty) {
        added = true;
        s = {key, size_};
        if (++size_ * 2 > slots_.size()) grow();
        return size_ - 1;
      }
      if (s.key == key) {
        added = false;
        return s.index;
      }
    }
  }
  uint32_t size() const { return size_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t key = 0;
    uint32_t index = kEmpty;
  };
  void grow() {
    std::vector<Slot> bigger = mapped_vector<Slot>(slots_.size() * 2);
    const size_t mask = bigger.size() - 1;
    for (const Slot& s : slots_) {
      if (s.index == kEmpty) continue;
      size_t i = mix(s.key) & mask;
      while (bigger[i].index != kEmpty) i = (i + 1) & mask;
      bigger[i] = s;
    }
    slots_.swap(bigger);
  }

  std::vector<Slot> slots_;
  uint32_t size_ = 0;
};

class KeySet {
 public:
  KeySet() : slots_(1024, kEmpty) {}

  // Adds `key`; true when it was not in the set yet.
  bool add(uint64_t key) {
    const uint64_t stored = key + 1;  // 0 marks an empty slot; UINT64_MAX is kept apart
    if (stored == kEmpty) {
      const bool added = !has_max_;
      has_max_ = true;
      return added;
    }
    const size_t mask = slots_.size() - 1;
    for (size_t i = mix(stored) & mask;; i = (i + 1) & mask) {
      if (slots_[i] == stored) return false;
      if (slots_[i] == kEmpty) {
        slots_[i] = stored;
        if (++size_ * 2 > slots_.size()) grow();
        return true;
      }
    }
  }

 private:
  static constexpr uint64_t kEmpty = 0;
  void grow() {
    std::vector<uint64_t> bigger = mapped_vector<uint64_t>(slots_.size() * 2);  // zero: every slot empty
    const size_t mask = bigger.size() - 1;
    for (uint64_t s : slots_) {
      if (s == kEmpty) continue;
      size_t i = mix(s) & mask;
      while (bigger[i] != kEmpty) i = (i + 1) & mask;
      bigger[i] = s;
    }
    slots_.swap(bigger);
  }

  std::vector<uint64_t> slots_;
  size_t size_ = 0;
  bool has_max_ = false;
};

inline uint64_t pack_keys(uint32_t high, uint32_t low) { return (uint64_t{high} << 32) | low; }

}  // namespace ecpipe::detail
