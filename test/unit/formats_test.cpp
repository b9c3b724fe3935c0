// The `format` keywords of check 3: absolute URIs (whitespace anywhere, either side of the 16-byte fast scan) and
// UUIDs.
#include <gtest/gtest.h>

#include <string>

#include "../../src/core/field_check.hpp"

using ecpipe::detail::is_absolute_uri;
using ecpipe::detail::is_uuid;

TEST(Formats, AbsoluteUriRefusesWhitespaceAtEveryPosition) {
  const std::string url = "https://shop.example.com/products/P0001?ref=home&utm=spring#reviews";
  ASSERT_TRUE(is_absolute_uri(url));
  // An ASCII space, DEL, a control byte, and three non-ASCII spaces, put at every position past the scheme: inside
  // a 16-byte block, on its edges and in the scalar tail.
  for (const std::string bad : {" ", "\x7f", "\t", "\xc2\xa0", "\xe3\x80\x80", "\xef\xbb\xbf"}) {
    for (size_t at = 6; at <= url.size(); ++at) {
      std::string s = url;
      s.insert(at, bad);
      EXPECT_FALSE(is_absolute_uri(s)) << "bytes of length " << bad.size() << " at " << at;
    }
  }
  EXPECT_TRUE(is_absolute_uri("https://shop.example.com/검색?q=신발&page=1234567890")) << "non-ASCII letters are fine";
  EXPECT_FALSE(is_absolute_uri("/relative/path/that/is/longer/than/sixteen"));
  EXPECT_FALSE(is_absolute_uri("1http://x"));
  EXPECT_TRUE(is_absolute_uri("urn:isbn:0451450523"));
}

TEST(Formats, UuidAnyCaseButExactShape) {
  EXPECT_TRUE(is_uuid("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"));
  EXPECT_TRUE(is_uuid("0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D"));
  EXPECT_FALSE(is_uuid("{0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}"));
  EXPECT_FALSE(is_uuid("0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d"));
  EXPECT_FALSE(is_uuid("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4\xc3"));
}
