#include "common/crypto.h"

#include <gtest/gtest.h>

namespace wps {
namespace {

TEST(Crypto, HmacSha256Rfc4231Case2) {
  EXPECT_EQ(toHexLower(hmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("abc", "abc"));
  EXPECT_FALSE(constantTimeEquals("abc", "abd"));
  EXPECT_FALSE(constantTimeEquals("abc", "ab"));
  EXPECT_TRUE(constantTimeEquals("", ""));
}

TEST(Crypto, RandomBytesDiffer) {
  EXPECT_EQ(secureRandomBytes(16).size(), 16u);
  EXPECT_NE(secureRandomBytes(16), secureRandomBytes(16));
}

}  // namespace
}  // namespace wps
