// Internal: text ids (event ids for check 2, session ids for checks 4 and 7) mapped to the number given when each
// was first seen, in about 40 bytes per id — a canonical UUID is packed into 20 bytes (its hex digits and which of
// them were upper case) in an open-addressing table; any other id falls back to the string interner.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ecpipe/mapped_memory.hpp"

#include "interner.hpp"
#include "uuid_text.hpp"

namespace ecpipe::detail {

class IdFirstSeen {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // A canonical UUID as stored: 20 bytes of id, 4 of its number.
  struct Packed {
    uint64_t hi = 0, lo = 0;  // the 32 hex digits, 4 bits each
    uint32_t upper = 0;       // bit k: digit k was written as an upper-case letter
    uint32_t value = kNone;   // the number given when first seen, or kNone for an empty slot
  };

  IdFirstSeen() : table_(1024) {}

  // Sizes the table for `ids` ids at once (three quarters full), instead of doubling up to it.
  void reserve(size_t ids) {
    if (ids * 4 / 3 + 1 > table_.size()) rehash(ids * 4 / 3 + 1);
  }

  // An id ready for first_seen(): packed, hashed, and its table slot already requested from memory, so that other
  // work can run while the cache line arrives.
  struct Probe {
    std::string_view id;
    bool packed = false;  // a canonical UUID: looked up in the table, else in the interner
    Packed key;
    size_t home = 0;
  };
  Probe prepare(std::string_view id) const {
    Probe probe;
    probe.id = id;
    probe.packed = pack(id, probe.key);
    if (probe.packed) {
      probe.home = home(probe.key, table_.size());
      __builtin_prefetch(&table_[probe.home]);
    }
    return probe;
  }

  // How many distinct ids it holds: passing size() as the value numbers the ids densely in order of first sight.
  uint32_t size() const { return static_cast<uint32_t>(used_ + other_values_.size()); }

  // The number `id` was given when first seen; `value` (which must not be kNone) when it is new.
  uint32_t first_seen(std::string_view id, uint32_t value) { return first_seen(prepare(id), value); }

  uint32_t first_seen(const Probe& probe, uint32_t value) {
    const Packed& p = probe.key;
    if (!probe.packed) {
      bool added = false;
      const uint32_t key = others_.intern(probe.id, added);
      if (added) other_values_.push_back(value);
      return other_values_[key];
    }
    for (size_t i = probe.home;; i = i + 1 == table_.size() ? 0 : i + 1) {
      Packed& slot = table_[i];
      if (slot.value == kNone) {
        slot = p;
        slot.value = value;
        if (++used_ * 4 > table_.size() * 3) rehash(table_.size() * 2);
        return value;
      }
      if (slot.hi == p.hi && slot.lo == p.lo && slot.upper == p.upper) return slot.value;
    }
  }

  // The ids given these numbers (one walk over the set), for the few reasons and samples that need the text.
  std::unordered_map<uint32_t, std::string> texts(const std::vector<uint32_t>& values) const {
    std::unordered_map<uint32_t, std::string> out;
    for (uint32_t v : values) out.emplace(v, std::string());
    for (const Packed& p : table_) {
      if (p.value == kNone) continue;
      const auto found = out.find(p.value);
      if (found != out.end()) found->second = unpack(p);
    }
    for (uint32_t key = 0; key < other_values_.size(); ++key) {
      const auto found = out.find(other_values_[key]);
      if (found != out.end()) found->second = std::string(others_.at(key));
    }
    return out;
  }

 private:
  // 8-4-4-4-12 hex digits, exactly as the text was written (the case of each letter is kept).
  static bool pack(std::string_view s, Packed& p) {
    UuidDigits digits;
    if (!parse_uuid_text(s, &digits)) return false;
    p.hi = digits.hi;
    p.lo = digits.lo;
    p.upper = digits.upper;
    return true;
  }

  static std::string unpack(const Packed& p) {
    UuidDigits digits;
    digits.hi = p.hi;
    digits.lo = p.lo;
    digits.upper = p.upper;
    return uuid_text_of(digits);
  }

  static uint64_t hash(const Packed& p) {
    uint64_t h = (p.hi * 0x9E3779B97F4A7C15ULL) ^ (p.lo * 0xC2B2AE3D27D4EB4FULL) ^ p.upper;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 29);
  }

  // Any table size works: the hash is mapped onto it by multiplication, not by a mask.
  static size_t home(const Packed& p, size_t size) {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash(p)) * size) >> 64);
  }

  void rehash(size_t size) {
    std::vector<Packed> bigger = mapped_vector<Packed>(size);
    for (const Packed& p : table_) {
      if (p.value == kNone) continue;
      size_t i = home(p, size);
      while (bigger[i].value != kNone) i = i + 1 == size ? 0 : i + 1;
      bigger[i] = p;
    }
    table_.swap(bigger);
  }

  std::vector<Packed> table_;
  size_t used_ = 0;
  StringInterner others_;
  std::vector<uint32_t> other_values_;  // the number of each interned id
};

}  // namespace ecpipe::detail
