#include "common/utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace wps {
namespace {

constexpr std::string_view kEmoji = "\xF0\x9F\x98\x80";  // U+1F600, two UTF-16 units
constexpr std::string_view kHigh = "\xED\xA0\xBD";       // U+D83D as WTF-8

bool validWhole(std::string_view s) {
  Utf8Validator v;
  return v.feed(s) && v.complete();
}

TEST(Utf8Validator, AcceptsValidText) {
  EXPECT_TRUE(validWhole(""));
  EXPECT_TRUE(validWhole("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(validWhole("\xC2\x80 \xDF\xBF"));                  // 2-byte bounds
  EXPECT_TRUE(validWhole("\xE0\xA0\x80 \xEF\xBF\xBF"));          // 3-byte bounds
  EXPECT_TRUE(validWhole("\xED\x9F\xBF \xEE\x80\x80"));          // around the surrogates
  EXPECT_TRUE(validWhole("\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));  // 4-byte bounds
  EXPECT_TRUE(validWhole("Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1"));
}

TEST(Utf8Validator, RejectsInvalidText) {
  for (std::string_view bad : {
           std::string_view("\x80"),              // stray continuation
           std::string_view("\xC0\x80"),          // overlong NUL
           std::string_view("\xC1\xBF"),          // overlong
           std::string_view("\xE0\x9F\xBF"),      // overlong 3-byte
           std::string_view("\xED\xA0\x80"),      // high surrogate
           std::string_view("\xED\xBF\xBF"),      // low surrogate
           std::string_view("\xF0\x8F\xBF\xBF"),  // overlong 4-byte
           std::string_view("\xF4\x90\x80\x80"),  // above U+10FFFF
           std::string_view("\xF5\x80\x80\x80"),  // invalid lead
           std::string_view("\xFF"),
           std::string_view("abcdefgh\xC3\x28"),  // lead followed by ASCII
       }) {
    EXPECT_FALSE(validWhole(bad)) << testing::PrintToString(std::string(bad));
    EXPECT_FALSE(isValidUtf8(bad));  // agrees with the common validator
  }
}

TEST(Utf8Validator, IncompleteSequenceIsNotComplete) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("ok\xE2\x82"));
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.failed());
  EXPECT_TRUE(v.feed("\xAC"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8Validator, FailsFastInsideASplitSequence) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("\xCE\xBA\xF4"));
  EXPECT_FALSE(v.feed("\x90"));  // F4 90 can only start a code point above U+10FFFF
  EXPECT_TRUE(v.failed());
  EXPECT_FALSE(v.feed("a"));  // stays failed
  EXPECT_FALSE(v.complete());
  v.reset();
  EXPECT_TRUE(v.feed("a"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8Validator, EverySplitOfValidTextIsAccepted) {
  const std::string s = "a\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80z";
  for (size_t i = 0; i <= s.size(); ++i) {
    for (size_t j = i; j <= s.size(); ++j) {
      Utf8Validator v;
      EXPECT_TRUE(v.feed(std::string_view(s).substr(0, i)));
      EXPECT_TRUE(v.feed(std::string_view(s).substr(i, j - i)));
      EXPECT_TRUE(v.feed(std::string_view(s).substr(j)));
      EXPECT_TRUE(v.complete()) << i << "," << j;
    }
  }
}

TEST(Utf8Validator, RandomSplitsAgreeWithWholeStringValidation) {
  std::mt19937 rng(7);
  // Bytes weighted towards interesting lead/continuation values.
  const uint8_t alphabet[] = {'a',  0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC2,
                              0xC3, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s(rng() % 12, '\0');
    for (char& c : s)
      c = static_cast<char>(alphabet[rng() % sizeof(alphabet)]);
    Utf8Validator v;
    size_t pos = 0;
    bool ok = true;
    while (pos < s.size()) {
      const size_t n = 1 + rng() % 4;
      ok = v.feed(std::string_view(s).substr(pos, n)) && ok;
      pos += n;
    }
    ASSERT_EQ(ok && v.complete(), isValidUtf8(s)) << testing::PrintToString(s);
  }
}

TEST(Utf8, WholeStringValidation) {
  EXPECT_TRUE(isValidUtf8("hello world, plain ascii text"));
  EXPECT_TRUE(isValidUtf8("\xC3\xA4\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(isValidUtf8("abc\xE2\x82"));       // truncated
  EXPECT_FALSE(isValidUtf8("\x80"));
}

TEST(Utf8, LongAsciiRunsAroundMultiByteText) {
  const std::string ascii(37, 'a');  // more than two 16-byte blocks
  EXPECT_TRUE(isValidUtf8(ascii));
  EXPECT_TRUE(isValidUtf8(ascii + "\xC3\xA4" + ascii + std::string(kEmoji) + ascii));
  EXPECT_FALSE(isValidUtf8(ascii + "\xFF" + ascii));
  EXPECT_FALSE(isValidUtf8(ascii + "\xE2\x82"));  // truncated at the very end
  for (size_t i = 0; i < 40; ++i) {
    std::string s(40, 'x');
    s[i] = '\x80';  // a stray continuation byte anywhere in a 16-byte block is found
    EXPECT_FALSE(isValidUtf8(s)) << i;
  }
}

TEST(Utf8Validator, FailsFastOnAnInvalidCutOffSequence) {
  Utf8Validator v;
  EXPECT_FALSE(v.feed("abcdefghijklmnopqrstuvwxyz\xE0\x80"));  // E0 80 starts an overlong form
  EXPECT_TRUE(v.failed());
  v.reset();
  EXPECT_FALSE(v.feed("\xF0\x9F\x28"));  // third byte is not a continuation byte
  v.reset();
  EXPECT_TRUE(v.feed("\xF0\x9F"));
  EXPECT_FALSE(v.feed("\x98\x28"));
}

TEST(Utf8, Utf16Length) {
  EXPECT_EQ(utf16Length("abc"), 3u);
  EXPECT_EQ(utf16Length("\xC3\xA4"), 1u);
  EXPECT_EQ(utf16Length("\xF0\x9F\x98\x80"), 2u);
}

TEST(Utf8, DecodeAndAppend) {
  EXPECT_EQ(utf8::decodeAt("a", 0).codePoint, 'a');
  const utf8::Decoded e = utf8::decodeAt("\xC3\xA9", 0);
  EXPECT_TRUE(e.valid);
  EXPECT_EQ(e.codePoint, 0xE9u);
  EXPECT_EQ(e.length, 2);
  const utf8::Decoded emoji = utf8::decodeAt(kEmoji, 0);
  EXPECT_EQ(emoji.codePoint, 0x1F600u);
  EXPECT_EQ(utf8::utf16Units(emoji), 2u);
  EXPECT_EQ(utf8::decodeAt("\xF4\x8F\xBF\xBF", 0).codePoint, 0x10FFFFu);
  EXPECT_EQ(utf8::decodeAt("\xE0\xA0\x80", 0).codePoint, 0x800u);
  // Malformed: overlong, surrogate, truncated, stray continuation.
  for (std::string_view bad : {"\xC0\xAF", "\xED\xA0\x80", "\xE2\x82", "\x80"}) {
    const utf8::Decoded d = utf8::decodeAt(bad, 0);
    EXPECT_FALSE(d.valid);
    EXPECT_EQ(d.length, 1);
  }
  std::string out;
  utf8::append(out, 0x1F600);
  utf8::append(out, 0xD83D);
  EXPECT_EQ(out, std::string(kEmoji) + std::string(kHigh));
  EXPECT_EQ(utf8::sanitize("a\xFF"
                           "b"),
            "a\xEF\xBF\xBD"
            "b");
}

TEST(Utf8, DecodingAgreesWithValidation) {
  std::mt19937 rng(11);
  const uint8_t alphabet[] = {'a',  0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC1, 0xC2,
                              0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s(rng() % 10, '\0');
    for (char& c : s)
      c = static_cast<char>(alphabet[rng() % sizeof(alphabet)]);
    bool allValid = true;
    std::string reencoded;
    for (size_t pos = 0; pos < s.size();) {
      const utf8::Decoded d = utf8::decodeAt(s, pos);
      allValid = allValid && d.valid;
      if (d.valid) utf8::append(reencoded, d.codePoint);
      pos += d.length;
    }
    ASSERT_EQ(allValid, isValidUtf8(s)) << testing::PrintToString(s);
    if (allValid) {
      ASSERT_EQ(reencoded, s);
    }
  }
}

}  // namespace
}  // namespace wps
