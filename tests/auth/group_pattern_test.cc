#include "auth/group_pattern.h"

#include <gtest/gtest.h>

namespace wps::auth {
namespace {

GroupPattern compiled(std::string_view pattern) {
  auto p = GroupPattern::compile(pattern);
  EXPECT_TRUE(p.isOk()) << pattern << ": " << p.status().toString();
  return std::move(p).value();
}

bool match(std::string_view pattern, std::string_view group) {
  auto p = GroupPattern::compile(pattern);
  if (!p.isOk()) {
    ADD_FAILURE() << "pattern did not compile: " << pattern;
    return false;
  }
  return p->matches(group);
}

TEST(GroupPattern, SingleStarStaysInSegment) {
  EXPECT_TRUE(match("chat-*", "chat-1"));
  EXPECT_TRUE(match("chat-*", "chat-"));
  EXPECT_TRUE(match("chat-*", "chat-room-42"));
  EXPECT_FALSE(match("chat-*", "xchat-1"));
  EXPECT_FALSE(match("chat-*", "chat-1.sub"));
  EXPECT_FALSE(match("chat-*", "chat"));
  EXPECT_TRUE(match("*.news", "sports.news"));
  EXPECT_TRUE(match("*.news", ".news"));
  EXPECT_FALSE(match("*.news", "a.sports.news"));
  EXPECT_TRUE(match("a.*.c", "a.b.c"));
  EXPECT_FALSE(match("a.*.c", "a.b.b.c"));
  EXPECT_TRUE(match("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(match("a*b*c", "abbbc"));
  EXPECT_FALSE(match("a*b*c", "aXXbYY.c"));
}

TEST(GroupPattern, DoubleStarCrossesDots) {
  EXPECT_TRUE(match("chat.**", "chat.a"));
  EXPECT_TRUE(match("chat.**", "chat.a.b.c"));
  EXPECT_TRUE(match("chat.**", "chat."));
  EXPECT_FALSE(match("chat.**", "chat"));
  EXPECT_FALSE(match("chat.**", "chatroom.a"));
  EXPECT_TRUE(match("**.end", "a.b.c.end"));
  EXPECT_TRUE(match("a.**.z", "a.b.c.z"));
  EXPECT_TRUE(match("a.**.z", "a..z"));
  EXPECT_FALSE(match("a.**.z", "a.z"));
  // Three or more stars in a row are still "**".
  EXPECT_TRUE(match("a***z", "a.b.z"));
  EXPECT_TRUE(match("**", ""));
  EXPECT_TRUE(match("**", "any.thing at.all"));
}

TEST(GroupPattern, QuestionMarkIsOneNonDotCodePoint) {
  EXPECT_TRUE(match("room-?", "room-1"));
  EXPECT_FALSE(match("room-?", "room-12"));
  EXPECT_FALSE(match("room-?", "room-"));
  EXPECT_FALSE(match("room?1", "room.1"));
  EXPECT_TRUE(match("room-?", "room-\xC3\xA4"));          // ä: 2 bytes, one code point
  EXPECT_TRUE(match("room-?", "room-\xF0\x9F\x98\x80"));  // 😀: 4 bytes
  EXPECT_FALSE(match("room-??", "room-\xC3\xA4"));
  EXPECT_TRUE(match("*?", "\xC3\xA4"));
  EXPECT_FALSE(match("*??", "\xC3\xA4"));  // '?' never starts inside a code point
  EXPECT_TRUE(match("?*?", "ab"));
  EXPECT_FALSE(match("?", "\xA4"));  // a stray continuation byte is not a code point
}

TEST(GroupPattern, WholeNameAndCaseSensitive) {
  EXPECT_TRUE(match("Chat", "Chat"));
  EXPECT_FALSE(match("Chat", "chat"));
  EXPECT_FALSE(match("Chat", "Chat1"));
  EXPECT_FALSE(match("Chat", "1Chat"));
  EXPECT_FALSE(match("chat-*", "CHAT-1"));
}

TEST(GroupPattern, Escapes) {
  EXPECT_TRUE(match(R"(a\*b)", "a*b"));
  EXPECT_FALSE(match(R"(a\*b)", "axb"));
  EXPECT_TRUE(match(R"(a\?)", "a?"));
  EXPECT_FALSE(match(R"(a\?)", "ab"));
  EXPECT_TRUE(match(R"(a\\b)", R"(a\b)"));
  EXPECT_TRUE(match(R"(\**)", "*abc"));
  EXPECT_FALSE(match(R"(\**)", "abc"));
  // Escaped stars do not count towards the limit.
  EXPECT_TRUE(GroupPattern::compile(R"(\*\*\*\*\*\*\***)").isOk());
}

TEST(GroupPattern, InvalidPatterns) {
  for (std::string_view bad :
       {std::string_view(""), std::string_view(R"(a\)"), std::string_view(R"(\)"),
        std::string_view(R"(a\b)"), std::string_view(R"(a\.)"), std::string_view(R"(\\\)"),
        std::string_view("******"), std::string_view("*.*.*.*.*.*"), std::string_view("***.***")}) {
    auto p = GroupPattern::compile(bad);
    ASSERT_FALSE(p.isOk()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_NE(GroupPattern::compile(R"(a\)").status().message().find("backslash"), std::string::npos);
  EXPECT_NE(GroupPattern::compile("******").status().message().find("'*'"), std::string::npos);
}

TEST(GroupPattern, StarLimitIsFive) {
  EXPECT_TRUE(GroupPattern::compile("*****").isOk());
  EXPECT_TRUE(GroupPattern::compile("*.*.*.*.*").isOk());
  EXPECT_TRUE(GroupPattern::compile("**.***").isOk());
  EXPECT_FALSE(GroupPattern::compile("**.****").isOk());
}

TEST(GroupPattern, LengthLimit) {
  EXPECT_TRUE(GroupPattern::compile(std::string(1024, 'a')).isOk());
  EXPECT_FALSE(GroupPattern::compile(std::string(1025, 'a')).isOk());
  // Counted in characters (UTF-16 code units), not bytes: 1024 x 'ä' is 2048 bytes.
  std::string umlauts;
  for (int i = 0; i < 1024; ++i)
    umlauts += "\xC3\xA4";
  EXPECT_TRUE(GroupPattern::compile(umlauts).isOk());
  EXPECT_FALSE(GroupPattern::compile(umlauts + "a").isOk());
}

TEST(GroupPattern, LiteralAndEverything) {
  GroupPattern literal = compiled(R"(room\*1)");
  EXPECT_TRUE(literal.isLiteral());
  EXPECT_EQ(literal.literal(), "room*1");
  EXPECT_FALSE(literal.matchesEverything());
  EXPECT_EQ(literal.source(), R"(room\*1)");

  EXPECT_FALSE(compiled("room?").isLiteral());
  EXPECT_FALSE(compiled("room*").isLiteral());
  EXPECT_TRUE(compiled("**").matchesEverything());
  EXPECT_TRUE(compiled("*****").matchesEverything());
  EXPECT_TRUE(compiled("*.**").matchesEverything() == false);
  EXPECT_FALSE(compiled("*").matchesEverything());
}

TEST(GroupPattern, NoExponentialBlowUp) {
  // Classic backtracking killers: many stars against a long non-matching input.
  GroupPattern p = compiled("a*a*a*a*a*b");
  std::string input(100000, 'a');
  EXPECT_FALSE(p.matches(input));
  GroupPattern q = compiled("**a**a*b");
  EXPECT_FALSE(q.matches(input));
  EXPECT_TRUE(q.matches(input + "b"));
}

}  // namespace
}  // namespace wps::auth
