#include "protocol/websocket/utf8_validator.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "common/strings.h"

namespace wps::ws {
namespace {

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

}  // namespace
}  // namespace wps::ws
