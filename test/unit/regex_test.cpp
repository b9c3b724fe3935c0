// The schema's pattern dialect: ECMA meaning for what JSON Schema patterns use, RE2 underneath, exact refusals and
// limits for hostile patterns.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ecpipe/error.hpp"
#include "ecpipe/regex.hpp"

using ecpipe::Regex;

namespace {
std::string refusal(const std::string& pattern) {
  try {
    Regex::compile(pattern);
  } catch (const ecpipe::Error& e) {
    EXPECT_EQ(e.kind(), ecpipe::ErrorKind::SchemaInvalid);
    return e.what();
  }
  return "";
}
std::string repeat(const std::string& s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}
}  // namespace

TEST(Regex, AnchoredDigitsAsInTheSchema) {
  Regex user = Regex::compile("^U\\d{6}$");
  EXPECT_TRUE(user.search("U000001"));
  EXPECT_FALSE(user.search("U00001"));
  EXPECT_FALSE(user.search("U0000012"));
  EXPECT_FALSE(user.search("u000001"));
  EXPECT_FALSE(user.search("U000001\n")) << "ECMA $ does not match before a final newline";
  EXPECT_FALSE(user.search("U٠٠٠٠٠١")) << "\\d is ASCII only";
}

TEST(Regex, FixedPatternsOverNonAsciiInput) {
  const auto user = Regex::compile("^U\\d{6}$");
  EXPECT_TRUE(user.search("U123456"));
  EXPECT_FALSE(user.search("U12345\xd9\xa3")) << "an Arabic-Indic digit is not \\d";
  EXPECT_FALSE(user.search("U\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96"))
      << "fullwidth digits";
  EXPECT_FALSE(user.search("U12345\xff"));
  const auto any = Regex::compile("^.{3}$");
  EXPECT_TRUE(any.search("한국어")) << "three code points, nine bytes";
  EXPECT_FALSE(any.search("한국"));
}

// The byte-scan fast path for ^literal\d{n}$ forms must agree with RE2: the same patterns wrapped in (?:) go to
// RE2 instead.
TEST(Regex, FastPathAgreesWithRe2) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"^U\\d{6}$", "^(?:U)\\d{6}$"},     {"^P\\d{4}$", "^(?:P)\\d{4}$"}, {"^ORD\\d{13,}$", "^(?:ORD)\\d{13,}$"},
      {"^CAT\\d{3}$", "^(?:CAT)\\d{3}$"}, {"^a-b_c?$", "^(?:a-b_c?)$"},   {"^x*$", "^(?:x*)$"},
      {"^\\d{2,4}$", "^(?:\\d{2,4})$"},   {"^Z\\d+$", "^(?:Z\\d+)$"},     {"^$", "^(?:)$"}};
  const std::vector<std::string> texts = {"",
                                          "U123456",
                                          "U12345",
                                          "U1234567",
                                          "P0001",
                                          "P001",
                                          "ORD2024010112345",
                                          "ORD202401011234",
                                          "ORD20240101123456789",
                                          "CAT001",
                                          "a-b_c",
                                          "a-b_",
                                          "a-b_cc",
                                          "xxx",
                                          "x",
                                          "12",
                                          "1234",
                                          "12345",
                                          "1",
                                          "Z1",
                                          "Z",
                                          "Z12a",
                                          "U12345\n",
                                          "\nU123456",
                                          "U１23456",
                                          "ü",
                                          "CAT00\xff"};
  for (const auto& [fast, slow] : pairs) {
    const Regex f = Regex::compile(fast), s = Regex::compile(slow);
    for (const auto& t : texts) EXPECT_EQ(f.search(t), s.search(t)) << fast << " on '" << t << "'";
  }
}

TEST(Regex, OpenEndedRepetition) {
  Regex order = Regex::compile("^ORD\\d{13,}$");
  EXPECT_TRUE(order.search("ORD2024010112345"));
  EXPECT_TRUE(order.search("ORD20240101123456789"));
  EXPECT_FALSE(order.search("ORD202401011234"));
}

TEST(Regex, UnanchoredSearchAndAlternation) {
  EXPECT_TRUE(Regex::compile("b+c").search("aaabbbcd"));
  EXPECT_FALSE(Regex::compile("b+c").search("aaac"));
  Regex ts = Regex::compile("^\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})?$");
  EXPECT_TRUE(ts.search("12"));
  EXPECT_TRUE(ts.search("12.5Z"));
  EXPECT_TRUE(ts.search("12-09:30"));
  EXPECT_FALSE(ts.search("12."));
  EXPECT_FALSE(ts.search("12Z+01:00"));
}

TEST(Regex, ClassesAndDotOverCodePoints) {
  EXPECT_TRUE(Regex::compile("^[^a-c]$").search("한"));
  EXPECT_TRUE(Regex::compile("^.{2}$").search("😀x"));
  EXPECT_FALSE(Regex::compile("^.$").search("\n"));
  EXPECT_TRUE(Regex::compile("^[\\w-]+$").search("elem_1-a"));
}

// Where RE2's own reading differs from ECMA-262, the ECMA meaning is kept.
TEST(Regex, EcmaMeaningWhereRe2Differs) {
  const Regex dot = Regex::compile("^.$");
  EXPECT_FALSE(dot.search("\r")) << "ECMA . excludes \\r (RE2's . would match it)";
  EXPECT_FALSE(dot.search("\u2028"));
  EXPECT_FALSE(dot.search("\u2029"));
  EXPECT_TRUE(dot.search("\t"));
  const Regex space = Regex::compile("^\\s$");
  for (const char* s : {" ", "\t", "\v", "\f", "\u00a0", "\u2003", "\u3000", "\ufeff", "\u2028"})
    EXPECT_TRUE(space.search(s)) << "ECMA \\s includes U+" << std::hex
                                 << static_cast<int>(static_cast<unsigned char>(s[0]));
  EXPECT_FALSE(space.search("x"));
  EXPECT_FALSE(space.search("\u200b")) << "zero-width space is not WhiteSpace";
  const Regex not_space = Regex::compile("^\\S$");
  EXPECT_TRUE(not_space.search("x"));
  EXPECT_TRUE(not_space.search("\u200b"));
  EXPECT_FALSE(not_space.search("\u00a0"));
  EXPECT_FALSE(not_space.search("\v"));
  const Regex in_class = Regex::compile("^[\\S]$");
  EXPECT_TRUE(in_class.search("😀"));
  EXPECT_FALSE(in_class.search("\u3000"));
  EXPECT_TRUE(Regex::compile("^[\\s,]+$").search(" ,\u00a0,"));

  EXPECT_FALSE(Regex::compile("[]").search("anything")) << "ECMA [] matches nothing";
  EXPECT_TRUE(Regex::compile("^[^]$").search("\n")) << "ECMA [^] matches any code point";
  EXPECT_TRUE(Regex::compile("^[[]$").search("["));
  const Regex posix = Regex::compile("^[[:alpha:]]$");  // ECMA: a class of [ : a l p h, then a literal ]
  EXPECT_TRUE(posix.search("a]"));
  EXPECT_FALSE(posix.search("b"));
  EXPECT_TRUE(Regex::compile("^a]$").search("a]"));
  EXPECT_TRUE(Regex::compile("^[\\b]$").search("\b")) << "[\\b] is a backspace";
  EXPECT_TRUE(Regex::compile("\\bcat\\b").search("a cat sat"));
  EXPECT_FALSE(Regex::compile("\\bcat\\b").search("concatenate"));

  EXPECT_TRUE(Regex::compile("^\\u00e9$").search("é"));
  EXPECT_TRUE(Regex::compile("^\\uD83D\\uDE00$").search("😀")) << "a surrogate pair is one code point";
  EXPECT_TRUE(Regex::compile("^\\cJ$").search("\n"));
  EXPECT_TRUE(Regex::compile(std::string("^\\0$")).search(std::string(1, '\0')));
  EXPECT_TRUE(Regex::compile("^(?<year>\\d{4})-\\d{2}$").search("2026-12"));
  EXPECT_TRUE(Regex::compile("^\\p{Hangul}+$").search("한국어"));
  EXPECT_FALSE(Regex::compile("^\\p{Hangul}+$").search("abc"));
  EXPECT_TRUE(Regex::compile("^a{2,}?$").search("aaa")) << "lazy quantifiers test the same language";
  EXPECT_TRUE(Regex::compile("^a{,2}$").search("a{,2}")) << "a brace that is no quantifier is a literal";
}

TEST(Regex, LongInputIsLinearAndSafe) {
  std::string big(1 << 20, 'a');
  EXPECT_FALSE(Regex::compile("^(a|aa)*b$").search(big));  // exponential for a backtracker
  EXPECT_TRUE(Regex::compile("a$").search(big));
}

// One search is bounded to 2^26 (input bytes x compiled instructions): a value longer than that for its pattern
// does not match, instead of pinning the CPU inside RE2 where no cancel can reach.
TEST(Regex, SearchWorkIsBounded) {
  const Regex wide = Regex::compile("[ab]{100}c");  // about a hundred instructions: values up to ~600 kB
  EXPECT_TRUE(wide.search(std::string(500000, 'a') + "c"));
  EXPECT_FALSE(wide.search(std::string(700000, 'a') + "c"));
  const Regex narrow = Regex::compile("c");
  EXPECT_TRUE(narrow.search(std::string(700000, 'a') + "c"));
}

TEST(Regex, RefusesWhatRe2CannotHonourWithItsReason) {
  EXPECT_EQ(refusal("(a"), "pattern /(a/: missing ): (a");
  EXPECT_EQ(refusal("a)"), "pattern /a)/: unexpected ): a)");
  EXPECT_EQ(refusal("[a"), "pattern /[a/: missing ]: [a");
  EXPECT_EQ(refusal("(?=a)"), "pattern /(?=a)/: invalid perl operator: (?=");
  EXPECT_EQ(refusal("(?<!a)b"), "pattern /(?<!a)b/: invalid perl operator: (?<");
  EXPECT_EQ(refusal("(a)\\1"), "pattern /(a)\\1/: invalid escape sequence: \\1");
  EXPECT_EQ(refusal("(?<n>a)\\k<n>"), "pattern /(?<n>a)\\k<n>/: invalid escape sequence: \\k");
  EXPECT_EQ(refusal("*a"), "pattern /*a/: no argument for repetition operator: *");
  EXPECT_EQ(refusal("a**"), "pattern /a**/: bad repetition operator: **");
  EXPECT_EQ(refusal("a{3,1}"), "pattern /a{3,1}/: invalid repetition size: {3,1}");
  EXPECT_EQ(refusal("a{1001}"), "pattern /a{1001}/: invalid repetition size: {1001}");
  EXPECT_EQ(refusal("a{4294967297}"), "pattern /a{4294967297}/: invalid repetition size: {4294967297}")
      << "a count past 2^31 is no literal";
  EXPECT_EQ(refusal("a{2,99999999999}"), "pattern /a{2,99999999999}/: invalid repetition size: {2,99999999999}");
  EXPECT_TRUE(Regex::compile("^x{y}$").search("x{y}")) << "a brace that is no quantifier stays a literal";
  EXPECT_EQ(refusal("(((){99999}){99999}){99999}"),
            "pattern /(((){99999}){99999}){99999}/: invalid repetition size: {99999}");
  EXPECT_EQ(refusal("((a{40}){40})"), "pattern /((a{40}){40})/: invalid repetition size: {40}")
      << "nested counts multiply: 1600 > 1000";
  EXPECT_EQ(refusal("\\p{Klingon}"), "pattern /\\p{Klingon}/: invalid character class range: \\p{Klingon}");
  EXPECT_EQ(
      refusal("\\pL{200}"),
      "pattern /\\pL{200}/: compiles to more than the 2 MiB program budget (RE2: pattern too large - compile failed)");
  EXPECT_TRUE(Regex::compile("a{1000}").search(std::string(1000, 'a')));
  EXPECT_TRUE(Regex::compile("((a{10}){10}){10}").search(std::string(1000, 'a')));
}

TEST(Regex, RefusesWhatIsNotThePatternDialect) {
  EXPECT_EQ(refusal("(?i)abc"),
            "pattern /(?i)abc/: (?i is not part of the pattern dialect: only (?: (?= (?! (?<= (?<! (?<name> groups");
  EXPECT_EQ(refusal("(?P<n>a)"),
            "pattern /(?P<n>a)/: (?P is not part of the pattern dialect: only (?: (?= (?! (?<= (?<! (?<name> groups");
  EXPECT_EQ(refusal("(?<1>a)"), "pattern /(?<1>a)/: malformed group name at offset 0");
  EXPECT_EQ(refusal("\\Qa.b\\E"), "pattern /\\Qa.b\\E/: escape \\Q is not part of the pattern dialect");
  EXPECT_EQ(refusal("a\\z"), "pattern /a\\z/: escape \\z is not part of the pattern dialect");
  EXPECT_EQ(refusal("\\C"), "pattern /\\C/: escape \\C is not part of the pattern dialect");
  EXPECT_EQ(refusal("\\a"), "pattern /\\a/: escape \\a is not part of the pattern dialect");
  EXPECT_EQ(refusal("\\u12"), "pattern /\\u12/: \\u must be followed by four hex digits");
  EXPECT_EQ(refusal("\\uD800x"), "pattern /\\uD800x/: \\uD800 is a lone surrogate");
  EXPECT_EQ(refusal("\\c1"), "pattern /\\c1/: \\c must be followed by a letter");
  EXPECT_EQ(refusal("\\x{41}"), "pattern /\\x{41}/: \\x must be followed by two hex digits");
  EXPECT_EQ(refusal("\\x4"), "pattern /\\x4/: \\x must be followed by two hex digits");
  EXPECT_TRUE(Regex::compile("^\\x41\\x7e$").search("A~"));
}

TEST(Regex, HostileSizesEndInAClearErrorWithTheirPatternCut) {
  // Each of these overflowed the stack or ran for minutes in the hand-written engine.
  const std::string nested = repeat("(", 30000) + repeat(")", 30000);
  EXPECT_EQ(refusal(nested), "pattern /" + repeat("(", 200) + "…/: longer than 16384 bytes (60000)");
  const std::string stars = "a" + std::string(300000, '*');
  EXPECT_EQ(refusal(stars), "pattern /a" + std::string(199, '*') + "…/: longer than 16384 bytes (300001)");
  EXPECT_EQ(refusal(std::string(1 << 20, 'x')),
            "pattern /" + std::string(200, 'x') + "…/: longer than 16384 bytes (1048576)");
  // Nesting within the size limit is bounded on its own.
  const std::string deep = repeat("(a", 101) + repeat(")", 101);
  EXPECT_EQ(refusal(deep), "pattern /" + repeat("(a", 100) + "…/: groups nested more than 100 deep");
  EXPECT_TRUE(Regex::compile(repeat("(a", 100) + repeat(")", 100)).search(std::string(100, 'a')));
  const std::string brackets = repeat("[", 16000);
  EXPECT_EQ(refusal(brackets), "pattern /" + repeat("[", 200) + "…/: missing ]: [" + repeat("\\[", 94) + "…");
  // Control characters and invalid UTF-8 in a refused pattern are escaped in the message.
  EXPECT_EQ(refusal("a\n(\xff"), "pattern /a\\x0A(\\xFF/: invalid UTF-8");
}
