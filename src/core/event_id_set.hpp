// Internal: the batch's event ids for check 2 in about 40 bytes each — a canonical UUID is packed into 20 bytes
// (its hex digits and which of them were upper case) in an open-addressing table; any other id falls back to the
// string interner. An id is named by the index of the line that first used it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "interner.hpp"

namespace ecpipe::detail {

class EventIdSet {
 public:
  static constexpr uint32_t kNoLine = UINT32_MAX;

  // A canonical UUID as stored: 20 bytes of id, 4 of line.
  struct Packed {
    uint64_t hi = 0, lo = 0;  // the 32 hex digits, 4 bits each
    uint32_t upper = 0;       // bit k: digit k was written as an upper-case letter
    uint32_t line = kNoLine;  // first line index, or kNoLine for an empty slot
  };

  EventIdSet() : table_(1024) {}

  // Sizes the table for `ids` ids at once (three quarters full), instead of doubling up to it.
  void reserve(size_t ids) {
    if (ids * 4 / 3 + 1 > table_.size()) rehash(ids * 4 / 3 + 1);
  }

  // An id ready for first_line(): packed, hashed, and its table slot already requested from memory, so that other
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

  // The index of the first line that used `id`; `line` itself when it is new.
  uint32_t first_line(std::string_view id, uint32_t line) { return first_line(prepare(id), line); }

  uint32_t first_line(const Probe& probe, uint32_t line) {
    const Packed& p = probe.key;
    if (!probe.packed) {
      bool added = false;
      const uint32_t key = others_.intern(probe.id, added);
      if (added) other_lines_.push_back(line);
      return other_lines_[key];
    }
    for (size_t i = probe.home;; i = i + 1 == table_.size() ? 0 : i + 1) {
      Packed& slot = table_[i];
      if (slot.line == kNoLine) {
        slot = p;
        slot.line = line;
        if (++used_ * 4 > table_.size() * 3) rehash(table_.size() * 2);
        return line;
      }
      if (slot.hi == p.hi && slot.lo == p.lo && slot.upper == p.upper) return slot.line;
    }
  }

  // The ids named by these first-line indexes (one walk over the set), for the few samples that need the text.
  std::unordered_map<uint32_t, std::string> texts(const std::vector<uint32_t>& lines) const {
    std::unordered_map<uint32_t, std::string> out;
    for (uint32_t l : lines) out.emplace(l, std::string());
    for (const Packed& p : table_) {
      if (p.line == kNoLine) continue;
      const auto found = out.find(p.line);
      if (found != out.end()) found->second = unpack(p);
    }
    for (uint32_t key = 0; key < other_lines_.size(); ++key) {
      const auto found = out.find(other_lines_[key]);
      if (found != out.end()) found->second = std::string(others_.at(key));
    }
    return out;
  }

 private:
  static int hex_digit(char c, bool& upper) {
    upper = false;
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return upper = true, c - 'A' + 10;
    return -1;
  }

  // 8-4-4-4-12 hex digits, exactly as the text was written (the case of each letter is kept).
  static bool pack(std::string_view s, Packed& p) {
    if (s.size() != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
    int k = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (i == 8 || i == 13 || i == 18 || i == 23) continue;
      bool upper = false;
      const int d = hex_digit(s[i], upper);
      if (d < 0) return false;
      uint64_t& word = k < 16 ? p.hi : p.lo;
      word = (word << 4) | static_cast<uint64_t>(d);
      if (upper) p.upper |= uint32_t{1} << k;
      ++k;
    }
    return true;
  }

  static std::string unpack(const Packed& p) {
    std::string out;
    for (int k = 0; k < 32; ++k) {
      if (k == 8 || k == 12 || k == 16 || k == 20) out += '-';
      const uint64_t word = k < 16 ? p.hi : p.lo;
      const int d = static_cast<int>((word >> (4 * (15 - k % 16))) & 15);
      out += d < 10 ? static_cast<char>('0' + d) : static_cast<char>(((p.upper >> k & 1) ? 'A' : 'a') + d - 10);
    }
    return out;
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
    std::vector<Packed> bigger(size);
    for (const Packed& p : table_) {
      if (p.line == kNoLine) continue;
      size_t i = home(p, size);
      while (bigger[i].line != kNoLine) i = i + 1 == size ? 0 : i + 1;
      bigger[i] = p;
    }
    table_.swap(bigger);
  }

  std::vector<Packed> table_;
  size_t used_ = 0;
  StringInterner others_;
  std::vector<uint32_t> other_lines_;  // first line index of each interned id
};

}  // namespace ecpipe::detail
