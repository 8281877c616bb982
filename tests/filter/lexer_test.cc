#include "filter/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wps::filter {
namespace {

// "kind:text" for every token but the final kEnd.
std::vector<std::string> lex(std::string_view text) {
  StatusOr<std::vector<Token>> tokens = tokenize(text);
  EXPECT_TRUE(tokens.isOk()) << tokens.status().message();
  std::vector<std::string> out;
  if (!tokens) return out;
  EXPECT_EQ(tokens->back().kind, TokenKind::kEnd);
  EXPECT_EQ(tokens->back().begin, text.size());
  for (size_t i = 0; i + 1 < tokens->size(); ++i) {
    const Token& t = (*tokens)[i];
    const char* kind = "?";
    switch (t.kind) {
      case TokenKind::kLeftParen:
      case TokenKind::kRightParen:
      case TokenKind::kComma:
        kind = "p";
        break;
      case TokenKind::kWord:
        kind = "w";
        break;
      case TokenKind::kString:
        kind = "s";
        break;
      case TokenKind::kInteger:
        kind = "i";
        break;
      case TokenKind::kUnsupportedNumber:
        kind = "u";
        break;
      case TokenKind::kOther:
        kind = "o";
        break;
      case TokenKind::kEnd:
        kind = "end";
        break;
    }
    out.push_back(std::string(kind) + ":" + std::string(t.text(text)));
  }
  return out;
}

using V = std::vector<std::string>;

TEST(Lexer, Basics) {
  EXPECT_EQ(lex("userId eq 'a'"), (V{"w:userId", "w:eq", "s:'a'"}));
  EXPECT_EQ(lex("userId eq'a'"), (V{"w:userId", "w:eq", "s:'a'"}));
  EXPECT_EQ(lex("not(x,y)"), (V{"w:not", "p:(", "w:x", "p:,", "w:y", "p:)"}));
  EXPECT_EQ(lex("noteq"), (V{"w:noteq"}));
  EXPECT_EQ(lex(""), V{});
  EXPECT_EQ(lex("   "), V{});
}

TEST(Lexer, Strings) {
  EXPECT_EQ(lex("'O''Brien'"), (V{"s:'O''Brien'"}));
  EXPECT_EQ(lex("'' ''''"), (V{"s:''", "s:''''"}));
  EXPECT_EQ(lex("'a, (b) or c'"), (V{"s:'a, (b) or c'"}));
  EXPECT_EQ(lex("'and'"), (V{"s:'and'"}));
  StatusOr<std::vector<Token>> bad = tokenize("x eq 'abc");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), "Unterminated string literal at position 5.");
  EXPECT_FALSE(tokenize("'a''").isOk());
}

TEST(Lexer, Numbers) {
  EXPECT_EQ(lex("+5 -5 5"), (V{"i:+5", "i:-5", "i:5"}));
  EXPECT_EQ(lex("1.5 1e3 2020-01-01 12:30 1L"),
            (V{"u:1.5", "u:1e3", "u:2020-01-01", "u:12:30", "u:1L"}));
  EXPECT_EQ(lex("- 5"), (V{"o:-", "i:5"}));
  EXPECT_EQ(lex("(5)"), (V{"p:(", "i:5", "p:)"}));
  EXPECT_EQ(lex("x-1"), (V{"w:x", "i:-1"}));
}

TEST(Lexer, WordsAndOtherCharacters) {
  EXPECT_EQ(lex("_a1 \xE7\x94\xA8\xE6\x88\xB7"), (V{"w:_a1", "w:\xE7\x94\xA8\xE6\x88\xB7"}));
  EXPECT_EQ(lex("a/b $x"), (V{"w:a", "o:/", "w:b", "o:$", "w:x"}));
  // U+00A0 and U+3000 separate words.
  EXPECT_EQ(lex("a\xC2\xA0"
                "b\xE3\x80\x80"
                "c"),
            (V{"w:a", "w:b", "w:c"}));
}

}  // namespace
}  // namespace wps::filter
