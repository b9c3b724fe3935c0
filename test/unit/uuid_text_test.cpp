// The vectorised UUID reader and its portable twin against a plain reading of the rule, every byte at every position.
#include <gtest/gtest.h>

#include <string>

#include "../../src/core/uuid_text.hpp"

using ecpipe::detail::parse_uuid_text;
using ecpipe::detail::UuidDigits;

namespace {

// The rule written out plainly: 36 characters, dashes at 8, 13, 18, 23, hex digits elsewhere.
bool plain_is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST(UuidText, EveryByteAtEveryPositionAgreesWithThePlainRule) {
  const std::string base = "0a1B2c3D-4e5F-4a6b-8C7d-9e0f1A2b3c4D";
  ASSERT_TRUE(parse_uuid_text(base, nullptr));
  int accepted = 0;
  for (size_t at = 0; at < base.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      std::string s = base;
      s[at] = static_cast<char>(b);
      UuidDigits d;
      const bool ok = parse_uuid_text(s, &d);
      ASSERT_EQ(ok, plain_is_uuid(s)) << "byte " << b << " at position " << at;
      ASSERT_EQ(parse_uuid_text(s, nullptr), ok);
      UuidDigits portable;
      ASSERT_EQ(ecpipe::detail::parse_uuid_text_portable(s, &portable), ok) << "byte " << b << " at position " << at;
      if (ok) {
        ASSERT_EQ(portable.hi, d.hi);
        ASSERT_EQ(portable.lo, d.lo);
        ASSERT_EQ(portable.upper, d.upper);
      }
      if (ok) {
        ++accepted;
        ASSERT_EQ(ecpipe::detail::uuid_text_of(d), s) << "packing loses the text at position " << at;
      }
    }
  }
  // 32 digit positions × 22 hex spellings + 4 dash positions × 1.
  EXPECT_EQ(accepted, 32 * 22 + 4);
}

TEST(UuidText, LengthAndDashesDecide) {
  EXPECT_FALSE(parse_uuid_text("", nullptr));
  EXPECT_FALSE(parse_uuid_text("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4", nullptr)) << "35 characters";
  EXPECT_FALSE(parse_uuid_text("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d0", nullptr)) << "37 characters";
  EXPECT_FALSE(parse_uuid_text("0a1b2c3d4-e5f-4a6b-8c7d-9e0f1a2b3c4d", nullptr)) << "a dash moved";
  EXPECT_FALSE(parse_uuid_text("0a1b2c3d04e5f04a6b08c7d09e0f1a2b3c4d", nullptr)) << "no dashes";
  EXPECT_TRUE(parse_uuid_text("00000000-0000-0000-0000-000000000000", nullptr));
  EXPECT_TRUE(parse_uuid_text("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", nullptr));
}

TEST(UuidText, CaseIsKeptPerDigit) {
  UuidDigits lower, upper;
  ASSERT_TRUE(parse_uuid_text("abcdef00-0000-0000-0000-0000000000ab", &lower));
  ASSERT_TRUE(parse_uuid_text("ABCDEF00-0000-0000-0000-0000000000AB", &upper));
  EXPECT_EQ(lower.hi, upper.hi);
  EXPECT_EQ(lower.lo, upper.lo);
  EXPECT_EQ(lower.upper, 0u);
  EXPECT_EQ(upper.upper, 0xC000003Fu) << "digits 0-5 and 30-31 are upper-case letters";
  EXPECT_EQ(lower.hi, 0xABCDEF0000000000ULL);
  EXPECT_EQ(lower.lo, 0x00000000000000ABULL);
}
