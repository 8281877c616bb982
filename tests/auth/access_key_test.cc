#include "auth/access_key.h"

#include <gtest/gtest.h>

#include <set>

namespace wps::auth {
namespace {

const std::string kGood = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";

void expectInvalid(const std::string& key, std::string_view reason) {
  Status s = validateAccessKey(key);
  ASSERT_FALSE(s.isOk()) << reason;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find(reason), std::string::npos) << s.message();
  // The message never echoes the key (nor a recognisable part of it).
  EXPECT_EQ(s.message().find("abcdefgh"), std::string::npos) << s.message();
}

TEST(AccessKey, AcceptsGoodKeys) {
  EXPECT_TRUE(validateAccessKey(kGood).isOk());
  EXPECT_TRUE(validateAccessKey(std::string(32, 'k')).isOk());
  // Azure-style base64 keys with '=' and '+' and inner spaces are fine.
  EXPECT_TRUE(validateAccessKey("ABCDEFGHIJKLMNOPQRSTUVWXYZ012345+/ab cd==").isOk());
  EXPECT_TRUE(validateAccessKey(kGood + "\xC3\xA4").isOk());
}

TEST(AccessKey, TooShort) {
  expectInvalid("", "shorter");
  expectInvalid(std::string(31, 'k'), "shorter");
  expectInvalid("abcdefgh", "shorter");
}

TEST(AccessKey, Semicolon) {
  expectInvalid(kGood + ";Version=1.0", "';'");
}

TEST(AccessKey, ControlCharacters) {
  expectInvalid(kGood + std::string(1, '\0'), "control");
  expectInvalid("abcdefgh\x01" + kGood, "control");
  expectInvalid(kGood + "\x7F", "control");
  expectInvalid(kGood + "\xC2\x85x", "control");  // U+0085 (C1)
  expectInvalid(kGood + "\tx", "control");
}

TEST(AccessKey, SurroundingWhitespace) {
  expectInvalid(" " + kGood, "whitespace");
  expectInvalid(kGood + " ", "whitespace");
  expectInvalid(kGood + "\xC2\xA0", "whitespace");      // NBSP
  expectInvalid("\xE3\x80\x80" + kGood, "whitespace");  // ideographic space
}

TEST(AccessKey, GeneratedKeysAreValidAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string key = generateAccessKey();
    EXPECT_GE(key.size(), 43u);
    EXPECT_TRUE(validateAccessKey(key).isOk()) << key;
    for (char c : key) {
      bool urlSafe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_';
      EXPECT_TRUE(urlSafe) << key;
    }
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 50u);
}

}  // namespace
}  // namespace wps::auth
