#include "common/strings.h"

#include <gtest/gtest.h>

namespace wps {
namespace {

TEST(Strings, CaseInsensitiveComparison) {
  EXPECT_TRUE(iequals("Chat", "cHAT"));
  EXPECT_FALSE(iequals("Chat", "Chats"));
  EXPECT_TRUE(istartsWith("Bearer abc", "bearer "));
}

TEST(Strings, PercentDecode) {
  EXPECT_EQ(*percentDecode("room%252Fpart", false), "room%2Fpart");
  EXPECT_EQ(*percentDecode("a+b", false), "a+b");
  EXPECT_EQ(*percentDecode("a+b", true), "a b");
  EXPECT_EQ(*percentDecode("%C3%A4", false), "\xC3\xA4");
  EXPECT_FALSE(percentDecode("%G1", false));
  EXPECT_FALSE(percentDecode("abc%4", false));
  EXPECT_FALSE(percentDecode("abc%", false));
}

TEST(Strings, PercentEncodeData) {
  EXPECT_EQ(percentEncodeData("a b`[],~_.-"), "a%20b%60%5B%5D%2C~_.-");
}

TEST(Strings, ParseIntegers) {
  EXPECT_EQ(parseUint64("0"), 0u);
  EXPECT_EQ(parseUint64("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(parseUint64("18446744073709551616"));
  EXPECT_FALSE(parseUint64("-1"));
  EXPECT_FALSE(parseUint64(""));
  EXPECT_FALSE(parseUint64(" 1"));
  EXPECT_EQ(parseInt64("-42"), -42);
  EXPECT_EQ(parseInt64("-9223372036854775808"), INT64_MIN);
  EXPECT_FALSE(parseInt64("9223372036854775808"));
}

TEST(Strings, Blank) {
  EXPECT_TRUE(isBlank(""));
  EXPECT_TRUE(isBlank(" \t\r\n"));
  EXPECT_TRUE(isBlank("\xC2\xA0\xE3\x80\x80"));
  EXPECT_FALSE(isBlank(" a "));
}

TEST(Strings, JsonString) {
  std::string out;
  appendJsonString(out, "a\"b\\c\n\x01");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\"");
}

}  // namespace
}  // namespace wps
