// A small ECMA-262 regular-expression subset (the JSON Schema `pattern` dialect) run as a Pike VM:
// linear time in the input, no recursion on input, so a 1 MB string cannot blow the stack.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecpipe {

class Regex {
 public:
  // Throws Error(SchemaInvalid) for syntax outside the supported subset (backreferences, lookaround, \b, flags).
  static Regex compile(std::string_view pattern);

  // ECMA `test()` semantics: true when the pattern matches anywhere in the UTF-8 text.
  bool search(std::string_view utf8) const;
  const std::string& source() const { return source_; }

 private:
  struct CharSet {
    bool negated = false;
    std::vector<std::pair<char32_t, char32_t>> ranges;
    uint64_t ascii[2] = {0, 0};  // membership of code points 0..127, filled by finalize()
    void finalize();
    bool contains(char32_t c) const {
      if (c < 128) return ascii[c >> 6] >> (c & 63) & 1;
      return contains_slow(c);
    }
    bool contains_slow(char32_t c) const;
  };
  enum class Op : uint8_t { Char, Split, Jump, AssertStart, AssertEnd, Match };
  struct Inst {
    Op op;
    int x = 0;  // Char: charset index; Split/Jump: target
    int y = 0;  // Split: second target
  };
  friend class RegexCompiler;

  // Fast path for patterns that are ^ item item ... $ where every item is a class with a fixed count, except
  // possibly the last (e.g. ^U\d{6}$, ^ORD\d{13,}$): matched in one deterministic left-to-right scan.
  struct Run {
    int set;
    int min, max;  // max < 0: unbounded
  };
  bool search_simple(std::string_view utf8) const;
  std::vector<Run> simple_;
  bool has_simple_ = false;

  std::string source_;
  std::vector<Inst> program_;
  std::vector<CharSet> sets_;
  bool anchored_start_ = false;  // the program begins with ^: try only at offset 0
};

}  // namespace ecpipe
