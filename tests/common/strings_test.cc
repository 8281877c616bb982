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

TEST(Strings, Utf8Validation) {
  EXPECT_TRUE(isValidUtf8("hello world, plain ascii text"));
  EXPECT_TRUE(isValidUtf8("\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(isValidUtf8("abc\xE2\x82"));       // truncated
  EXPECT_FALSE(isValidUtf8("\x80"));
}

TEST(Strings, Utf16Length) {
  EXPECT_EQ(utf16Length("abc"), 3u);
  EXPECT_EQ(utf16Length("\xC3\xA4"), 1u);
  EXPECT_EQ(utf16Length("\xF0\x9F\x98\x80"), 2u);
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
