#include "common/base64.h"

#include <gtest/gtest.h>

namespace wps {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(*base64Decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(*base64Decode(""), "");
}

TEST(Base64, StrictDecodingRejectsMalformedInput) {
  EXPECT_FALSE(base64Decode("Zm9vYmE"));    // missing padding
  EXPECT_FALSE(base64Decode("Zm9v YmE="));  // whitespace
  EXPECT_FALSE(base64Decode("Zm9vYm=="));   // non-zero trailing bits ("Zm9vYm" ends in 'm')
  EXPECT_FALSE(base64Decode("Z"));
  EXPECT_FALSE(base64Decode("Zm9v===="));
  EXPECT_FALSE(base64Decode("Zm9_"));  // URL alphabet in standard decoding
}

TEST(Base64, UrlAlphabetRoundTrip) {
  std::string bytes("\xfb\xff\xfe\x00\x01", 5);
  std::string enc = base64UrlEncode(bytes);
  EXPECT_EQ(enc.find('='), std::string::npos);
  EXPECT_EQ(enc.find('+'), std::string::npos);
  EXPECT_EQ(enc.find('/'), std::string::npos);
  EXPECT_EQ(*base64UrlDecode(enc), bytes);
}

}  // namespace
}  // namespace wps
