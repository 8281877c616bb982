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

TEST(Strings, CountQueryParametersMatchesTheParser) {
  for (std::string_view q : {"", "a", "a=1&b=&c", "&&a=1&&", "a=1&a=2&a=3", "=&=x", "%G1&b"}) {
    auto parsed = parseQueryString(q);
    size_t items = parsed ? parsed->size() : 2;  // "%G1&b": two items, malformed escape
    EXPECT_EQ(countQueryParameters(q), items) << q;
  }
}

TEST(Strings, QueryParameterCap) {
  EXPECT_EQ(kMaxQueryParameters, 100u);
  std::string q = "k0=v";
  for (int i = 1; i < 100; ++i)
    q += "&k" + std::to_string(i) + "=v";
  EXPECT_EQ(countQueryParameters(q), 100u);
  EXPECT_EQ(countQueryParameters(q + "&"), 100u);
  EXPECT_EQ(countQueryParameters(q + "&x"), 101u);
  // A large count stays one linear pass (no quadratic blow-up): 200 000 items.
  std::string big;
  for (int i = 0; i < 200000; ++i)
    big += "a&";
  EXPECT_EQ(countQueryParameters(big), 200000u);
}

}  // namespace
}  // namespace wps
