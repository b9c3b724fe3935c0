// Parser and Pike-VM matcher for the JSON Schema pattern subset used by the event schema.
#include "ecpipe/regex.hpp"

#include <algorithm>

#include "ecpipe/error.hpp"
#include "ecpipe/utf8.hpp"
#include "ecpipe/core_only.hpp"

namespace ecpipe {

namespace {

constexpr size_t kMaxProgram = 20000;  // guards {n,m} expansion of hostile schemas

struct Node {
  enum Kind { Empty, Set, Start, End, Concat, Alt, Repeat } kind = Empty;
  int set = 0;
  int min = 0, max = 0;  // Repeat; max < 0 means unbounded
  std::vector<std::unique_ptr<Node>> kids;
};

[[noreturn]] void fail(std::string_view pattern, const std::string& why) {
  throw Error(ErrorKind::SchemaInvalid, "pattern /" + std::string(pattern) + "/: " + why);
}

}  // namespace

void Regex::CharSet::finalize() {
  ascii[0] = ascii[1] = 0;
  for (char32_t c = 0; c < 128; ++c)
    if (contains_slow(c)) ascii[c >> 6] |= uint64_t{1} << (c & 63);
}

bool Regex::CharSet::contains_slow(char32_t c) const {
  bool in = false;
  for (const auto& r : ranges) {
    if (c >= r.first && c <= r.second) {
      in = true;
      break;
    }
  }
  return in != negated;
}

// Builds the AST by recursive descent over the pattern (patterns are short and trusted-size), then emits
// the VM program.
class RegexCompiler {
 public:
  explicit RegexCompiler(std::string_view p, Regex& out) : p_(p), out_(out) {}

  void run() {
    auto root = alternation();
    if (pos_ != p_.size()) fail(p_, "unbalanced ')' at offset " + std::to_string(pos_));
    find_simple_form(*root);
    emit(*root);
    out_.program_.push_back({Regex::Op::Match});
    out_.anchored_start_ = !out_.program_.empty() && out_.program_[0].op == Regex::Op::AssertStart;
  }

 private:
  using Ptr = std::unique_ptr<Node>;
  using CharSet = Regex::CharSet;

  // ^ (Set | Set{n} ...)* $ with only the last run allowed a variable count.
  void find_simple_form(const Node& root) {
    if (root.kind != Node::Concat || root.kids.size() < 2) return;
    if (root.kids.front()->kind != Node::Start || root.kids.back()->kind != Node::End) return;
    std::vector<Regex::Run> runs;
    for (size_t i = 1; i + 1 < root.kids.size(); ++i) {
      const Node& k = *root.kids[i];
      if (k.kind == Node::Set) {
        runs.push_back({k.set, 1, 1});
      } else if (k.kind == Node::Repeat && k.kids[0]->kind == Node::Set) {
        runs.push_back({k.kids[0]->set, k.min, k.max});
      } else {
        return;
      }
    }
    for (size_t i = 0; i + 1 < runs.size(); ++i)
      if (runs[i].min != runs[i].max) return;
    out_.simple_ = std::move(runs);
    out_.has_simple_ = true;
  }

  bool more() const { return pos_ < p_.size(); }
  char peek() const { return p_[pos_]; }

  Ptr alternation() {
    auto first = concatenation();
    if (!more() || peek() != '|') return first;
    auto alt = std::make_unique<Node>();
    alt->kind = Node::Alt;
    alt->kids.push_back(std::move(first));
    while (more() && peek() == '|') {
      ++pos_;
      alt->kids.push_back(concatenation());
    }
    return alt;
  }

  Ptr concatenation() {
    auto cat = std::make_unique<Node>();
    cat->kind = Node::Concat;
    while (more() && peek() != '|' && peek() != ')') cat->kids.push_back(repetition());
    return cat;
  }

  Ptr repetition() {
    auto atom_node = atom();
    while (more()) {
      int lo, hi;
      char c = peek();
      if (c == '*') {
        lo = 0, hi = -1, ++pos_;
      } else if (c == '+') {
        lo = 1, hi = -1, ++pos_;
      } else if (c == '?') {
        lo = 0, hi = 1, ++pos_;
      } else if (c == '{' && braces(lo, hi)) {
      } else {
        break;
      }
      if (more() && peek() == '?') ++pos_;  // lazy: same language, and we only test membership
      if (atom_node->kind == Node::Start || atom_node->kind == Node::End) fail(p_, "quantifier on an anchor");
      auto rep = std::make_unique<Node>();
      rep->kind = Node::Repeat;
      rep->min = lo, rep->max = hi;
      rep->kids.push_back(std::move(atom_node));
      atom_node = std::move(rep);
    }
    return atom_node;
  }

  // Parses {n}, {n,} or {n,m}; a '{' that does not start a quantifier is a literal in ECMA (Annex B).
  bool braces(int& lo, int& hi) {
    size_t p = pos_ + 1;
    auto number = [&](int& v) {
      size_t start = p;
      v = 0;
      while (p < p_.size() && p_[p] >= '0' && p_[p] <= '9' && v < 100000) v = v * 10 + (p_[p++] - '0');
      return p > start;
    };
    if (!number(lo)) return false;
    hi = lo;
    if (p < p_.size() && p_[p] == ',') {
      ++p;
      if (!number(hi)) hi = -1;
    }
    if (p >= p_.size() || p_[p] != '}') return false;
    if (hi >= 0 && hi < lo) fail(p_, "quantifier {" + std::to_string(lo) + "," + std::to_string(hi) + "} out of order");
    pos_ = p + 1;
    return true;
  }

  Ptr set_node(CharSet s) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Set;
    n->set = static_cast<int>(out_.sets_.size());
    s.finalize();
    out_.sets_.push_back(std::move(s));
    return n;
  }

  Ptr atom() {
    char c = peek();
    if (c == '(') {
      ++pos_;
      if (more() && peek() == '?') {
        if (pos_ + 1 < p_.size() && p_[pos_ + 1] == ':') {
          pos_ += 2;
        } else {
          fail(p_, "lookaround and named groups are not supported");
        }
      }
      auto inner = alternation();
      if (!more() || peek() != ')') fail(p_, "missing ')'");
      ++pos_;
      return inner;
    }
    if (c == '^' || c == '$') {
      ++pos_;
      auto n = std::make_unique<Node>();
      n->kind = c == '^' ? Node::Start : Node::End;
      return n;
    }
    if (c == '[') return set_node(bracket());
    if (c == '.') {
      ++pos_;
      CharSet s;
      s.negated = true;
      s.ranges = {{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}};
      return set_node(std::move(s));
    }
    if (c == '*' || c == '+' || c == '?') fail(p_, "nothing to repeat at offset " + std::to_string(pos_));
    if (c == ')') fail(p_, "unbalanced ')'");
    if (c == '\\') {
      ++pos_;
      return set_node(escape(false));
    }
    CharSet s;
    char32_t cp = next_code_point();
    s.ranges.push_back({cp, cp});
    return set_node(std::move(s));
  }

  char32_t next_code_point() {
    size_t len = 0;
    char32_t cp = utf8_decode(p_.substr(pos_), len);
    pos_ += len;
    return cp;
  }

  static CharSet cls(std::initializer_list<std::pair<char32_t, char32_t>> r, bool negated) {
    CharSet s;
    s.ranges = r;
    s.negated = negated;
    return s;
  }

  // The character after a backslash; inside brackets `\b` would be backspace, which we do not need.
  CharSet escape(bool in_bracket) {
    if (!more()) fail(p_, "trailing backslash");
    char c = p_[pos_++];
    switch (c) {
      case 'd': return cls({{'0', '9'}}, false);
      case 'D': return cls({{'0', '9'}}, true);
      case 'w': return cls({{'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'_', '_'}}, false);
      case 'W': return cls({{'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'_', '_'}}, true);
      case 's': return cls({{9, 13}, {' ', ' '}, {0xA0, 0xA0}, {0x2028, 0x2029}, {0xFEFF, 0xFEFF}}, false);
      case 'S': return cls({{9, 13}, {' ', ' '}, {0xA0, 0xA0}, {0x2028, 0x2029}, {0xFEFF, 0xFEFF}}, true);
      case 'n': return cls({{'\n', '\n'}}, false);
      case 'r': return cls({{'\r', '\r'}}, false);
      case 't': return cls({{'\t', '\t'}}, false);
      default: break;
    }
    if ((c >= '0' && c <= '9') || c == 'b' || c == 'B' || c == 'k' || c == 'p' || c == 'P' || c == 'u' ||
        c == 'x' || c == 'c')
      fail(p_, std::string("escape \\") + c + " is not supported");
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) fail(p_, std::string("unknown escape \\") + c);
    (void)in_bracket;
    return cls({{static_cast<char32_t>(c), static_cast<char32_t>(c)}}, false);
  }

  CharSet bracket() {
    ++pos_;  // '['
    CharSet s;
    if (more() && peek() == '^') {
      s.negated = true;
      ++pos_;
    }
    bool first = true;
    while (more() && (peek() != ']' || first)) {
      first = false;
      char32_t lo;
      if (peek() == '\\') {
        ++pos_;
        CharSet e = escape(true);
        if (e.negated || e.ranges.size() != 1 || e.ranges[0].first != e.ranges[0].second) {
          if (e.negated) fail(p_, "negated class escape inside [] is not supported");
          s.ranges.insert(s.ranges.end(), e.ranges.begin(), e.ranges.end());
          continue;
        }
        lo = e.ranges[0].first;
      } else {
        lo = next_code_point();
      }
      char32_t hi = lo;
      if (pos_ + 1 < p_.size() && peek() == '-' && p_[pos_ + 1] != ']') {
        ++pos_;
        if (peek() == '\\') {
          ++pos_;
          CharSet e = escape(true);
          if (e.negated || e.ranges.size() != 1) fail(p_, "class escape as a range end");
          hi = e.ranges[0].first;
        } else {
          hi = next_code_point();
        }
        if (hi < lo) fail(p_, "range out of order in []");
      }
      s.ranges.push_back({lo, hi});
    }
    if (!more()) fail(p_, "missing ']'");
    ++pos_;
    return s;
  }

  void push(Regex::Op op, int x = 0, int y = 0) {
    if (out_.program_.size() >= kMaxProgram) fail(p_, "pattern too large after expanding repetitions");
    out_.program_.push_back({op, x, y});
  }
  int here() const { return static_cast<int>(out_.program_.size()); }

  void emit(const Node& n) {
    switch (n.kind) {
      case Node::Empty: return;
      case Node::Set: push(Regex::Op::Char, n.set); return;
      case Node::Start: push(Regex::Op::AssertStart); return;
      case Node::End: push(Regex::Op::AssertEnd); return;
      case Node::Concat:
        for (const auto& k : n.kids) emit(*k);
        return;
      case Node::Alt: {
        std::vector<int> jumps;
        for (size_t i = 0; i < n.kids.size(); ++i) {
          if (i + 1 < n.kids.size()) {
            int split = here();
            push(Regex::Op::Split, split + 1, 0);
            emit(*n.kids[i]);
            jumps.push_back(here());
            push(Regex::Op::Jump);
            out_.program_[split].y = here();
          } else {
            emit(*n.kids[i]);
          }
        }
        for (int j : jumps) out_.program_[j].x = here();
        return;
      }
      case Node::Repeat: {
        const Node& body = *n.kids[0];
        for (int i = 0; i < n.min; ++i) emit(body);
        if (n.max < 0) {  // star
          int split = here();
          push(Regex::Op::Split, split + 1, 0);
          emit(body);
          push(Regex::Op::Jump, split);
          out_.program_[split].y = here();
          return;
        }
        std::vector<int> splits;
        for (int i = n.min; i < n.max; ++i) {
          splits.push_back(here());
          push(Regex::Op::Split, here() + 1, 0);
          emit(body);
        }
        for (int s : splits) out_.program_[s].y = here();
        return;
      }
    }
  }

  std::string_view p_;
  Regex& out_;
  size_t pos_ = 0;
};

Regex Regex::compile(std::string_view pattern) {
  Regex re;
  re.source_ = std::string(pattern);
  RegexCompiler(pattern, re).run();
  return re;
}

bool Regex::search_simple(std::string_view text) const {
  size_t at = 0;
  for (const Run& run : simple_) {
    const CharSet& set = sets_[run.set];
    int taken = 0;
    while (at < text.size() && (run.max < 0 || taken < run.max)) {
      size_t len = 1;
      const unsigned char b = static_cast<unsigned char>(text[at]);
      const char32_t c = b < 0x80 ? b : utf8_decode(text.substr(at), len);
      if (!set.contains(c)) break;
      at += len;
      ++taken;
    }
    if (taken < run.min) return false;
  }
  return at == text.size();
}

bool Regex::search(std::string_view text) const {
  if (has_simple_) return search_simple(text);
  const int n = static_cast<int>(program_.size());
  // Sparse sets of live threads, deduplicated by program counter (Pike VM without captures). The buffers are
  // per thread and reused, so a search allocates nothing once warm.
  thread_local std::vector<int> cur, next, stack;
  thread_local std::vector<size_t> seen;
  cur.clear(), next.clear(), stack.clear();
  seen.assign(n, SIZE_MAX);
  size_t generation = 0;
  bool matched = false;

  // Follows Split/Jump/assertions from pc at input offset `at`, adding Char/Match threads to `list`.
  auto add = [&](std::vector<int>& list, int pc, size_t at) {
    stack.push_back(pc);
    while (!stack.empty()) {
      int p = stack.back();
      stack.pop_back();
      if (seen[p] == generation) continue;
      seen[p] = generation;
      const Inst& in = program_[p];
      switch (in.op) {
        case Op::Jump: stack.push_back(in.x); break;
        case Op::Split:
          stack.push_back(in.y);
          stack.push_back(in.x);
          break;
        case Op::AssertStart:
          if (at == 0) stack.push_back(p + 1);
          break;
        case Op::AssertEnd:
          if (at == text.size()) stack.push_back(p + 1);
          break;
        case Op::Match: matched = true; break;
        case Op::Char: list.push_back(p); break;
      }
    }
  };

  size_t at = 0;
  add(cur, 0, 0);
  while (!matched && at < text.size()) {
    size_t len = 0;
    char32_t c = utf8_decode(text.substr(at), len);
    ++generation;
    next.clear();
    for (int p : cur)
      if (sets_[program_[p].x].contains(c)) add(next, p + 1, at + len);
    at += len;
    if (!anchored_start_) add(next, 0, at);
    std::swap(cur, next);
    if (cur.empty()) break;
  }
  return matched;
}

}  // namespace ecpipe
