// JSON Schema patterns: a linear, non-recursive rewrite of the ECMA-262 spelling into RE2 syntax (keeping ECMA's
// meaning of \s, `.`, [] and [^]), checked against ecpipe's limits, then compiled by RE2 under a memory budget.
#include "ecpipe/regex.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ecpipe/error.hpp"
#include "ecpipe/quote.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

// RE2 is linear in the input, but when its DFA runs out of memory the fallback costs up to ~7 ns per (input byte x
// program instruction), inside RE2 where no cancel can reach. This bounds one search to about half a second
// whatever the pattern; a longer value does not match (docs/SCHEMA.md).
constexpr uint64_t kMaxMatchWork = uint64_t{1} << 26;

// ECMA-262 WhiteSpace and LineTerminator, and their complement, as RE2 class contents.
constexpr const char* kSpace =
    "\\x{9}-\\x{D}\\x{20}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";
constexpr const char* kNonSpace =
    "\\x{0}-\\x{8}\\x{E}-\\x{1F}\\x{21}-\\x{9F}\\x{A1}-\\x{167F}\\x{1681}-\\x{1FFF}\\x{200B}-\\x{2027}"
    "\\x{202A}-\\x{202E}\\x{2030}-\\x{205E}\\x{2060}-\\x{2FFF}\\x{3001}-\\x{FEFE}\\x{FF00}-\\x{10FFFF}";
// ECMA `.`: any code point but a line terminator.
constexpr const char* kDot = "[^\\n\\r\\x{2028}\\x{2029}]";

[[noreturn]] void fail(std::string_view pattern, const std::string& why) {
  throw Error(ErrorKind::SchemaInvalid, "pattern /" + message_excerpt(pattern) + "/: " + message_excerpt(why));
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The ECMA pattern as RE2 syntax, in one left-to-right scan that tracks only whether it is inside [...] and how
// deep the groups are.
class Translator {
 public:
  explicit Translator(std::string_view p) : p_(p) {}

  std::string run() {
    out_.reserve(p_.size() + 16);
    while (i_ < p_.size()) {
      const char c = p_[i_];
      if (c == '\\') {
        escape();
      } else if (in_class_) {
        if (c == '[')
          out_ += "\\[";  // literal in ECMA; RE2 would read [: as a POSIX class
        else
          out_ += c;
        if (c == ']') in_class_ = false;
        ++i_;
      } else if (c == '[') {
        open_class();
      } else if (c == '.') {
        out_ += kDot;
        ++i_;
      } else if (c == '(') {
        open_group();
      } else if (c == ')') {
        if (depth_ > 0) --depth_;
        out_ += c;
        ++i_;
      } else if (c == '{') {
        check_repetition();
        out_ += c;
        ++i_;
      } else if (c == ']') {
        out_ += '\\';  // a lone ] is a literal (ECMA Annex B)
        out_ += c;
        ++i_;
      } else {
        out_ += c;
        ++i_;
      }
    }
    return std::move(out_);
  }

 private:
  void open_class() {
    // ECMA's [] matches nothing and [^] matches any code point; RE2 would read the ] as a member.
    if (p_.substr(i_, 2) == "[]") {
      out_ += "[^\\x{0}-\\x{10FFFF}]";
      i_ += 2;
    } else if (p_.substr(i_, 3) == "[^]") {
      out_ += "[\\x{0}-\\x{10FFFF}]";
      i_ += 3;
    } else {
      in_class_ = true;
      out_ += '[';
      ++i_;
      if (i_ < p_.size() && p_[i_] == '^') {
        out_ += '^';
        ++i_;
      }
    }
  }

  // A quantifier {n}, {n,} or {n,m} with a count above 1000 is refused in RE2's words: RE2 itself reads a count it
  // cannot hold (past 2^31) as literal text, which would change the pattern's meaning.
  void check_repetition() const {
    size_t j = i_ + 1;
    const auto digits = [&] {
      const size_t from = j;
      while (j < p_.size() && is_digit(p_[j])) ++j;
      return p_.substr(from, j - from);
    };
    const std::string_view low = digits();
    std::string_view high;
    if (low.empty()) return;  // not a quantifier: a literal {
    if (j < p_.size() && p_[j] == ',') {
      ++j;
      high = digits();
    }
    if (j >= p_.size() || p_[j] != '}') return;
    for (std::string_view count : {low, high}) {
      const size_t first = count.find_first_not_of('0');
      if (first != std::string_view::npos &&
          (count.size() - first > 4 || std::stoi(std::string(count.substr(first))) > 1000))
        fail(p_, "invalid repetition size: " + std::string(p_.substr(i_, j + 1 - i_)));
    }
  }

  void open_group() {
    if (++depth_ > Regex::kMaxGroupDepth)
      fail(p_, "groups nested more than " + std::to_string(Regex::kMaxGroupDepth) + " deep");
    ++i_;
    if (i_ >= p_.size() || p_[i_] != '?') {
      out_ += '(';
      return;
    }
    const char kind = i_ + 1 < p_.size() ? p_[i_ + 1] : '\0';
    const char after = i_ + 2 < p_.size() ? p_[i_ + 2] : '\0';
    if (kind == '<' && after != '=' && after != '!') {  // (?<name>...): captures nothing here, a plain group
      size_t end = i_ + 2;
      if (end < p_.size() && is_digit(p_[end])) fail(p_, "malformed group name at offset " + std::to_string(i_ - 1));
      while (end < p_.size() && (is_ascii_letter(p_[end]) || is_digit(p_[end]) || p_[end] == '_' || p_[end] == '$'))
        ++end;
      if (end == i_ + 2 || end >= p_.size() || p_[end] != '>')
        fail(p_, "malformed group name at offset " + std::to_string(i_ - 1));
      out_ += "(?:";
      i_ = end + 1;
      return;
    }
    if (kind != ':' && kind != '=' && kind != '!' && kind != '<')
      fail(p_, std::string("(?") + (kind ? std::string(1, kind) : "") +
                   " is not part of the pattern dialect: only (?: (?= (?! (?<= (?<! (?<name> groups");
    out_ += '(';  // (?: is RE2's too; lookaround reaches RE2, which refuses it with its own message
  }

  void escape() {
    if (i_ + 1 >= p_.size()) {
      out_ += '\\';  // RE2: "trailing \"
      ++i_;
      return;
    }
    const char e = p_[i_ + 1];
    switch (e) {
      case 's':
        out_ += in_class_ ? std::string(kSpace) : std::string("[") + kSpace + "]";
        i_ += 2;
        return;
      case 'S':
        out_ += in_class_ ? std::string(kNonSpace) : std::string("[^") + kSpace + "]";
        i_ += 2;
        return;
      case 'b':
        out_ += in_class_ ? "\\x{8}" : "\\b";  // [\b] is a backspace in ECMA
        i_ += 2;
        return;
      case 'u': unicode_escape(); return;
      case 'x':
        if (i_ + 3 >= p_.size() || !is_hex(p_[i_ + 2]) || !is_hex(p_[i_ + 3]))
          fail(p_, "\\x must be followed by two hex digits");
        out_.append(p_.substr(i_, 4));
        i_ += 4;
        return;
      case 'c':
        if (i_ + 2 < p_.size() && is_ascii_letter(p_[i_ + 2])) {
          out_ += "\\x{" + hex(static_cast<unsigned>(p_[i_ + 2]) % 32) + "}";
          i_ += 3;
          return;
        }
        fail(p_, "\\c must be followed by a letter");
      case '0':
        if (i_ + 2 >= p_.size() || !is_digit(p_[i_ + 2])) {
          out_ += "\\x{0}";
          i_ += 2;
          return;
        }
        break;
      default: break;
    }
    // ECMA's other letter escapes mean the same in RE2 (\d \D \w \W \B \f \n \r \t \v \xHH; \p{..} as in ECMA's u
    // mode; \k and \1-\9 reach RE2, which refuses backreferences). Any other letter means something else in RE2
    // (\a is a bell, \z an anchor, \C a single byte) or nothing in ECMA: refused here.
    static constexpr std::string_view kSame = "dDwWBfnrtvxpPk";
    if (is_ascii_letter(e) && kSame.find(e) == std::string_view::npos)
      fail(p_, std::string("escape \\") + e + " is not part of the pattern dialect");
    if ((e == 'p' || e == 'P') && ++unicode_classes_ > Regex::kMaxUnicodeClasses)
      fail(p_, "more than " + std::to_string(Regex::kMaxUnicodeClasses) + " \\p{...} classes");
    out_ += '\\';
    out_ += e;
    i_ += 2;
  }

  static std::string hex(unsigned v) {
    static const char digits[] = "0123456789ABCDEF";
    std::string s;
    do {
      s.insert(s.begin(), digits[v & 15]);
      v >>= 4;
    } while (v);
    return s;
  }

  // \uXXXX, and \uD83D\uDE00 surrogate pairs as one code point; a lone surrogate can never occur in UTF-8 text.
  void unicode_escape() {
    auto four = [&](size_t at, unsigned& v) {
      if (at + 4 > p_.size()) return false;
      v = 0;
      for (size_t k = at; k < at + 4; ++k) {
        if (!is_hex(p_[k])) return false;
        v = v * 16 + static_cast<unsigned>(is_digit(p_[k]) ? p_[k] - '0' : (p_[k] | 0x20) - 'a' + 10);
      }
      return true;
    };
    unsigned cp = 0;
    if (!four(i_ + 2, cp)) fail(p_, "\\u must be followed by four hex digits");
    size_t next = i_ + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned low = 0;
      if (p_.substr(next, 2) == "\\u" && four(next + 2, low) && low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        next += 6;
      } else {
        fail(p_, "\\u" + hex(cp) + " is a lone surrogate");
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      fail(p_, "\\u" + hex(cp) + " is a lone surrogate");
    }
    out_ += "\\x{" + hex(cp) + "}";
    i_ = next;
  }

  std::string_view p_;
  std::string out_;
  size_t i_ = 0;
  int depth_ = 0;
  int unicode_classes_ = 0;
  bool in_class_ = false;
};

// The anchored fixed form the event schema uses for ids: ^ then ASCII literals and \d, each with an optional
// count, then $; only the last item may have a variable count. Matched by one byte scan (RE2 costs ~10x more per
// short id). RE2 has already accepted the pattern, so this only has to recognise the form, never to reject.
struct Run {
  bool digit;  // \d, else the literal `ch`
  char ch;
  uint32_t min, max;  // max == UINT32_MAX: unbounded
};

bool parse_number(std::string_view p, size_t& i, uint32_t& v) {
  const size_t start = i;
  v = 0;
  while (i < p.size() && is_digit(p[i]) && i - start < 4) v = v * 10 + static_cast<uint32_t>(p[i++] - '0');
  return i > start && (i >= p.size() || !is_digit(p[i]));
}

bool fixed_form(std::string_view p, std::vector<Run>& runs) {
  if (p.size() < 2 || p.front() != '^' || p.back() != '$') return false;
  const size_t end = p.size() - 1;
  size_t i = 1;
  while (i < end) {
    Run r{false, 0, 1, 1};
    if (p[i] == '\\' && i + 1 < end && p[i + 1] == 'd') {
      r.digit = true;
      i += 2;
    } else if (is_ascii_letter(p[i]) || is_digit(p[i]) || p[i] == '-' || p[i] == '_') {
      r.ch = p[i++];
    } else {
      return false;
    }
    if (i < end && p[i] == '{') {
      ++i;
      if (!parse_number(p, i, r.min)) return false;
      r.max = r.min;
      if (i < end && p[i] == ',') {
        ++i;
        r.max = UINT32_MAX;
        if (i < end && is_digit(p[i]) && !parse_number(p, i, r.max)) return false;
      }
      if (i >= end || p[i] != '}' || r.max < r.min) return false;
      ++i;
    } else if (i < end && (p[i] == '+' || p[i] == '*' || p[i] == '?')) {
      r.min = p[i] == '+' ? 1 : 0;
      r.max = p[i] == '?' ? 1 : UINT32_MAX;
      ++i;
    }
    if (i < end && (p[i] == '?' || p[i] == '+' || p[i] == '*' || p[i] == '{')) return false;  // lazy or stacked
    runs.push_back(r);
  }
  if (i != end) return false;
  for (size_t k = 0; k + 1 < runs.size(); ++k)
    if (runs[k].min != runs[k].max) return false;
  return true;
}

bool match_fixed(const std::vector<Run>& runs, std::string_view text) {
  size_t at = 0;
  for (const Run& r : runs) {
    uint32_t taken = 0;
    while (at < text.size() && taken < r.max && (r.digit ? is_digit(text[at]) : text[at] == r.ch)) {
      ++at;
      ++taken;
    }
    if (taken < r.min) return false;
  }
  return at == text.size();
}

}  // namespace

struct Regex::Compiled {
  std::string source;
  std::unique_ptr<RE2> re;
  size_t max_text = 0;  // longer values are not searched (kMaxMatchWork)
  bool has_fixed = false;
  std::vector<Run> fixed;
};

Regex Regex::compile(std::string_view pattern) {
  if (pattern.size() > kMaxPatternBytes)
    fail(pattern,
         "longer than " + std::to_string(kMaxPatternBytes) + " bytes (" + std::to_string(pattern.size()) + ")");
  const std::string translated = Translator(pattern).run();
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingUTF8);
  options.set_log_errors(false);
  options.set_max_mem(kMaxMemoryBytes);
  options.set_never_capture(true);
  auto c = std::make_shared<Compiled>();
  c->source = std::string(pattern);
  c->re = std::make_unique<RE2>(translated, options);
  if (!c->re->ok()) {
    if (c->re->error_code() == RE2::ErrorPatternTooLarge)
      fail(pattern, "compiles to more than the " + std::to_string(kMaxMemoryBytes >> 20) +
                        " MiB program budget (RE2: " + c->re->error() + ")");
    fail(pattern, c->re->error());
  }
  c->max_text = static_cast<size_t>(kMaxMatchWork / static_cast<uint64_t>(std::max(1, c->re->ProgramSize())));
  c->has_fixed = fixed_form(pattern, c->fixed);
  Regex out;
  out.impl_ = std::move(c);
  return out;
}

bool Regex::search(std::string_view utf8) const {
  const Compiled& c = *impl_;
  if (c.has_fixed) return match_fixed(c.fixed, utf8);
  if (utf8.size() > c.max_text) return false;
  return RE2::PartialMatch(re2::StringPiece(utf8.data(), utf8.size()), *c.re);
}

const std::string& Regex::source() const { return impl_->source; }

size_t Regex::program_size() const { return static_cast<size_t>(impl_->re->ProgramSize()); }

}  // namespace ecpipe
