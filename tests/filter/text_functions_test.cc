#include "filter/text_functions.h"

#include <gtest/gtest.h>

#include <string>

namespace wps::filter {
namespace {

constexpr std::string_view kEmoji = "\xF0\x9F\x98\x80";  // U+1F600, two UTF-16 units
constexpr std::string_view kHigh = "\xED\xA0\xBD";       // U+D83D as WTF-8
constexpr std::string_view kLow = "\xED\xB8\x80";        // U+DE00 as WTF-8

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (std::string_view p : parts)
    s += p;
  return s;
}

TEST(TextFunctions, Whitespace) {
  EXPECT_EQ(text::whitespaceLengthAt(" ", 0), 1u);
  EXPECT_EQ(text::whitespaceLengthAt("\xC2\xA0", 0), 2u);
  EXPECT_EQ(text::whitespaceLengthAt("\xE2\x80\xAF", 0), 3u);  // U+202F
  EXPECT_EQ(text::whitespaceLengthAt("\xE2\x80\x8B", 0), 0u);  // U+200B is not white space
  EXPECT_EQ(text::whitespaceLengthAt("a", 0), 0u);
  EXPECT_EQ(text::whitespaceLengthAt("a", 1), 0u);
}

TEST(TextFunctions, Trim) {
  EXPECT_EQ(text::trimWhitespace("  a b \t\r\n"), "a b");
  EXPECT_EQ(text::trimWhitespace("\xE3\x80\x80x\xC2\xA0"), "x");
  EXPECT_EQ(text::trimWhitespace("\xC2\x85\xE1\x9A\x80"), "");
  EXPECT_EQ(text::trimWhitespace("\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(text::trimWhitespace("a\x80"), "a\x80");  // malformed tail is kept
  EXPECT_EQ(text::trimWhitespace(""), "");
}

TEST(TextFunctions, Length) {
  EXPECT_EQ(text::length(""), 0);
  EXPECT_EQ(text::length("abc"), 3);
  EXPECT_EQ(text::length(cat({"\xC3\xA9", kEmoji, "\xE4\xBD\xA0"})), 4);
}

TEST(TextFunctions, IndexOf) {
  EXPECT_EQ(text::indexOf("hello", "l"), 2);
  EXPECT_EQ(text::indexOf("hello", "lo"), 3);
  EXPECT_EQ(text::indexOf("hello", "L"), -1);
  EXPECT_EQ(text::indexOf("hello", ""), 0);
  EXPECT_EQ(text::indexOf("", "a"), -1);
  EXPECT_EQ(text::indexOf(cat({kEmoji, "\xC3\xA9", "x"}), "x"), 3);
}

TEST(TextFunctions, Substring) {
  EXPECT_EQ(text::substring("abc", 1, 1), "b");
  EXPECT_EQ(text::substring("abc", 1, std::nullopt), "bc");
  EXPECT_EQ(text::substring("abc", 3, std::nullopt), "");
  EXPECT_EQ(text::substring("abc", 0, 3), "abc");
  EXPECT_EQ(text::substring("abc", 3, 0), "");
  EXPECT_EQ(text::substring("abc", 4, std::nullopt), std::nullopt);
  EXPECT_EQ(text::substring("abc", -1, std::nullopt), std::nullopt);
  EXPECT_EQ(text::substring("abc", 1, 3), std::nullopt);
  EXPECT_EQ(text::substring("abc", 0, -1), std::nullopt);
  EXPECT_EQ(text::substring("abc", 2147483647, 2147483647), std::nullopt);
  EXPECT_EQ(text::substring("abc", 1, 2147483647), std::nullopt);
  // UTF-16 units, and cuts through a surrogate pair keep the lone half.
  const std::string s = cat({"a", kEmoji, "b"});  // units: a, hi, lo, b
  EXPECT_EQ(text::substring(s, 1, 2), std::string(kEmoji));
  EXPECT_EQ(text::substring(s, 3, std::nullopt), "b");
  EXPECT_EQ(text::substring(s, 0, 2), cat({"a", kHigh}));
  EXPECT_EQ(text::substring(s, 2, std::nullopt), cat({kLow, "b"}));
  EXPECT_EQ(text::substring(s, 2, 0), "");
  EXPECT_EQ(text::substring(s, 4, std::nullopt), "");
  EXPECT_EQ(text::substring(s, 5, std::nullopt), std::nullopt);
  EXPECT_EQ(text::length(*text::substring(s, 0, 2)), 2);
}

TEST(TextFunctions, MalformedInputIsTotal) {
  const std::string bad =
      "\xFF\x80"
      "a\xC3";
  EXPECT_EQ(text::substring(bad, 0, std::nullopt), bad);
  EXPECT_EQ(text::substring(bad, 2, 1), "a");
  EXPECT_EQ(text::indexOf(bad, "a"), 2);
  EXPECT_EQ(text::trimWhitespace(bad), bad);
}

}  // namespace
}  // namespace wps::filter
