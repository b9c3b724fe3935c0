// The JSON Schema `pattern` dialect (ECMA-262 meaning) compiled by RE2: linear-time matching, a memory budget per
// pattern, no recursion on the pattern's depth. docs/SCHEMA.md lists what is accepted and refused.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ecpipe {

class Regex {
 public:
  // Limits checked before RE2 sees a pattern (RE2 itself bounds repetition counts and program size).
  static constexpr size_t kMaxPatternBytes = 16 * 1024;
  static constexpr int kMaxGroupDepth = 100;
  // Each \p{...} is a class of hundreds of ranges that RE2 merges and compiles one by one.
  static constexpr int kMaxUnicodeClasses = 32;
  // RE2's memory budget for one pattern (program and matching caches).
  static constexpr int64_t kMaxMemoryBytes = 2 * 1024 * 1024;

  // Throws Error(SchemaInvalid) "pattern /<pattern, cut>/: <why>" for a pattern outside the dialect or limits.
  static Regex compile(std::string_view pattern);

  // ECMA `test()` semantics: true when the pattern matches anywhere in the UTF-8 text.
  bool search(std::string_view utf8) const;
  const std::string& source() const;
  // Instructions in the compiled RE2 program (what compiling and searching cost grows with).
  size_t program_size() const;

  struct Compiled;  // RE2 program and the optional fixed-form fast path; shared, so rules copy cheaply

 private:
  std::shared_ptr<const Compiled> impl_;
};

}  // namespace ecpipe
