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
    bool contains(char32_t c) const;
  };
  enum class Op : uint8_t { Char, Split, Jump, AssertStart, AssertEnd, Match };
  struct Inst {
    Op op;
    int x = 0;  // Char: charset index; Split/Jump: target
    int y = 0;  // Split: second target
  };
  friend class RegexCompiler;

  std::string source_;
  std::vector<Inst> program_;
  std::vector<CharSet> sets_;
  bool anchored_start_ = false;  // the program begins with ^: try only at offset 0
};

}  // namespace ecpipe
