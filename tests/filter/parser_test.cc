// Parser: tree shape (precedence, associativity), spans, syntax errors and the depth limit.
#include "filter/parser.h"

#include <gtest/gtest.h>

#include <string>

namespace wps::filter {
namespace {

const char* opName(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kEq:
      return "eq";
    case BinaryOp::kNe:
      return "ne";
    case BinaryOp::kGt:
      return "gt";
    case BinaryOp::kGe:
      return "ge";
    case BinaryOp::kLt:
      return "lt";
    case BinaryOp::kLe:
      return "le";
  }
  return "?";
}

// S-expression of a node; chains are shown folded left, e.g. (and (and a b) c).
std::string show(const Program& p, const Node& n) {
  switch (n.kind) {
    case NodeKind::kNullLiteral:
      return "null";
    case NodeKind::kBoolLiteral:
      return n.boolValue ? "true" : "false";
    case NodeKind::kIntLiteral:
      return std::to_string(n.intValue);
    case NodeKind::kStringLiteral:
      return "\"" + p.strings[n.index] + "\"";
    case NodeKind::kUnsupported:
      return "?" + std::string(p.source(n));
    case NodeKind::kIdentifier:
      switch (n.identifier) {
        case Identifier::kUserId:
          return "userId";
        case Identifier::kConnectionId:
          return "connectionId";
        case Identifier::kGroups:
          return "groups";
        case Identifier::kProtocol:
          return "protocol";
      }
      return "?";
    case NodeKind::kNot:
      return "(not " + show(p, p.child(n, 0)) + ")";
    case NodeKind::kIn: {
      std::string s = "(in " + show(p, p.child(n, 0));
      if (n.isList) {
        s += " [";
        for (uint32_t i = 1; i < n.childCount; ++i) {
          s += (i > 1 ? " " : "") + show(p, p.child(n, i));
        }
        return s + "])";
      }
      return s + " " + show(p, p.child(n, 1)) + ")";
    }
    case NodeKind::kCall: {
      std::string_view name = p.source(n).substr(0, p.source(n).find('('));
      name = name.substr(0, name.find(' '));
      std::string s = "(" + std::string(name);
      if (n.function == Function::kUnknown) s += "?";
      for (uint32_t i = 0; i < n.childCount; ++i)
        s += " " + show(p, p.child(n, i));
      return s + ")";
    }
    case NodeKind::kChain: {
      std::string acc = show(p, p.child(n, 0));
      for (uint32_t i = 0; i + 1 < n.childCount; ++i) {
        acc = "(" + std::string(opName(p.step(n, i).op)) + " " + acc + " " +
              show(p, p.child(n, i + 1)) + ")";
      }
      return acc;
    }
  }
  return "?";
}

std::string tree(std::string_view text) {
  StatusOr<Program> p = parseProgram(text);
  EXPECT_TRUE(p.isOk()) << text << " -> " << p.status().message();
  if (!p) return "<error>";
  return show(*p, p->node(p->root));
}

std::string syntaxError(std::string_view text) {
  StatusOr<Program> p = parseProgram(text);
  EXPECT_FALSE(p.isOk()) << text;
  if (p) return "";
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  return p.status().message();
}

std::string msg(std::string_view whole, std::string_view detail) {
  return "Invalid syntax for '" + std::string(whole) + "': " + std::string(detail) +
         " (Parameter 'filter')";
}

// --- shape -----------------------------------------------------------------------------------

TEST(Parser, Primaries) {
  EXPECT_EQ(tree("true"), "true");
  EXPECT_EQ(tree("null eq false"), "(eq null false)");
  EXPECT_EQ(tree("'O''Brien' eq -12"), "(eq \"O'Brien\" -12)");
  EXPECT_EQ(tree("'' eq ''''"), "(eq \"\" \"'\")");
  EXPECT_EQ(tree("USERID eq ConnectionId"), "(eq userId connectionId)");
  EXPECT_EQ(tree("length(Groups) gt 1"), "(gt (length groups) 1)");
  EXPECT_EQ(tree("substring(userId, 1, 2) eq 'b'"), "(eq (substring userId 1 2) \"b\")");
  EXPECT_EQ(tree("foo(1) eq Foo"), "(eq (foo? 1) ?Foo)");
  EXPECT_EQ(tree("length (userId) gt 1"), "(gt (length userId) 1)");
}

TEST(Parser, OrIsLowestThenAnd) {
  EXPECT_EQ(tree("a or b and c"), "(or ?a (and ?b ?c))");
  EXPECT_EQ(tree("a and b or c"), "(or (and ?a ?b) ?c)");
  EXPECT_EQ(tree("length(userId) gt 0 and length(userId) lt 3 or length(userId) gt 7"),
            "(or (and (gt (length userId) 0) (lt (length userId) 3)) (gt (length userId) 7))");
}

TEST(Parser, ComparisonsAreLeftAssociativeAndAboveAnd) {
  EXPECT_EQ(tree("a eq b ne c"), "(ne (eq ?a ?b) ?c)");
  EXPECT_EQ(tree("a eq b and c lt d"), "(and (eq ?a ?b) (lt ?c ?d))");
  EXPECT_EQ(tree("a and b and c"), "(and (and ?a ?b) ?c)");
}

TEST(Parser, NotIsAboveComparisonsAndBelowIn) {
  EXPECT_EQ(tree("not length(userId) gt 5"), "(gt (not (length userId)) 5)");
  EXPECT_EQ(tree("not (length(userId) gt 5)"), "(not (gt (length userId) 5))");
  EXPECT_EQ(tree("not 'g1' in groups"), "(not (in \"g1\" groups))");
  EXPECT_EQ(tree("not not true"), "(not (not true))");
  EXPECT_EQ(tree("not(true)"), "(not true)");
  EXPECT_EQ(tree("true eq not false"), "(eq true (not false))");
}

TEST(Parser, InLists) {
  EXPECT_EQ(tree("userId in ('a')"), "(in userId [\"a\"])");
  EXPECT_EQ(tree("userId in ()"), "(in userId [])");
  EXPECT_EQ(tree("userId in ( 'Doe, John' ,'O''Brien, Jane' )"),
            "(in userId [\"Doe, John\" \"O'Brien, Jane\"])");
  EXPECT_EQ(tree("x in (1, +2, -3, true, null, 1.5)"), "(in ?x [1 2 -3 true null ?1.5])");
  EXPECT_EQ(tree("'g' in groups"), "(in \"g\" groups)");
  EXPECT_EQ(tree("(userId) in('a') eq true"), "(eq (in userId [\"a\"]) true)");
}

TEST(Parser, KeywordsAsOperandsAreIdentifiers) {
  EXPECT_EQ(tree("and eq or"), "(eq ?and ?or)");
  EXPECT_EQ(tree("'and' eq 'or'"), "(eq \"and\" \"or\")");
  EXPECT_EQ(tree("noteq eq 1"), "(eq ?noteq 1)");
}

TEST(Parser, TypedLiteralsAreUnsupportedTokens) {
  EXPECT_EQ(tree("x eq duration'P1D'"), "(eq ?x ?duration'P1D')");
  EXPECT_EQ(tree("x eq 2020-01-01T10:00:00Z"), "(eq ?x ?2020-01-01T10:00:00Z)");
}

TEST(Parser, NodeSpans) {
  StatusOr<Program> p = parseProgram("  ( not  'a' ) ");
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->source(p->node(p->root)), "not  'a'");
  p = parseProgram("(a) eq b");
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->source(p->node(p->root)), "(a) eq b");
}

// --- syntax errors ---------------------------------------------------------------------------

TEST(Parser, SyntaxErrorsNameTheWholeFilter) {
  EXPECT_EQ(syntaxError("bad("), msg("bad(", "Expression expected at position 4."));
  EXPECT_EQ(syntaxError("userId eq"), msg("userId eq", "Expression expected at position 9."));
  EXPECT_EQ(syntaxError("userId eq 'a' or"),
            msg("userId eq 'a' or", "Expression expected at position 16."));
  EXPECT_EQ(syntaxError("(userId eq 'a'"), msg("(userId eq 'a'", "')' expected at position 14."));
  EXPECT_EQ(syntaxError("userId eq 'abc"),
            msg("userId eq 'abc", "Unterminated string literal at position 10."));
  EXPECT_EQ(syntaxError("userId eq 'it''s"),
            msg("userId eq 'it''s", "Unterminated string literal at position 10."));
  EXPECT_EQ(syntaxError("()"), msg("()", "Expression expected at position 1, found ')'."));
  EXPECT_EQ(syntaxError("length(userId,)"),
            msg("length(userId,)", "Expression expected at position 14, found ')'."));
  EXPECT_EQ(syntaxError("length(userId 1)"),
            msg("length(userId 1)", "',' or ')' expected at position 14, found '1'."));
  EXPECT_EQ(syntaxError("true true"), msg("true true", "Unexpected 'true' at position 5."));
  EXPECT_EQ(syntaxError("userId eq 'a')"), msg("userId eq 'a')", "Unexpected ')' at position 13."));
  EXPECT_EQ(syntaxError("userId eq [1]"), msg("userId eq [1]", "Unexpected '[' at position 10."));
}

TEST(Parser, KeywordCaseHint) {
  EXPECT_EQ(syntaxError("userId EQ 'a'"),
            msg("userId EQ 'a'",
                "Unexpected 'EQ' at position 7. Keywords and operators are lower case."));
  EXPECT_EQ(syntaxError("true AND false"),
            msg("true AND false",
                "Unexpected 'AND' at position 5. Keywords and operators are lower case."));
  EXPECT_EQ(syntaxError("userId noteq 'a'"),
            msg("userId noteq 'a'", "Unexpected 'noteq' at position 7."));
}

TEST(Parser, UnsupportedOperatorsPathsAndArithmetic) {
  EXPECT_EQ(syntaxError("length(userId) add 1 eq 2"),
            msg("length(userId) add 1 eq 2",
                "Unexpected 'add' at position 15. Operator 'add' is not supported."));
  EXPECT_EQ(
      syntaxError("userId has 'a'"),
      msg("userId has 'a'", "Unexpected 'has' at position 7. Operator 'has' is not supported."));
  EXPECT_EQ(syntaxError("groups/any(g: g eq 'a')"),
            msg("groups/any(g: g eq 'a')",
                "Unexpected '/' at position 6. Paths and lambdas are not supported."));
  EXPECT_EQ(
      syntaxError("-length(userId) eq 1"),
      msg("-length(userId) eq 1", "Unexpected '-' at position 0. Arithmetic is not supported."));
  EXPECT_FALSE(parseProgram("geo.distance(a, b) lt 1").isOk());
  EXPECT_FALSE(parseProgram("$it eq 1").isOk());
}

TEST(Parser, InListErrors) {
  EXPECT_EQ(syntaxError("'g' in (groups)"),
            msg("'g' in (groups)", "Literal expected at position 8, found 'groups'."));
  EXPECT_EQ(syntaxError("userId in ('a',)"),
            msg("userId in ('a',)", "Literal expected at position 15, found ')'."));
  EXPECT_EQ(syntaxError("userId in ('a' 'b')"),
            msg("userId in ('a' 'b')", "',' or ')' expected at position 15, found ''b''."));
  EXPECT_EQ(syntaxError("userId in ('a'"),
            msg("userId in ('a'", "',' or ')' expected at position 14."));
  EXPECT_EQ(syntaxError("userId in (tolower('A'))"),
            msg("userId in (tolower('A'))", "Literal expected at position 11, found 'tolower'."));
  EXPECT_EQ(syntaxError("x in ('a') in ('b')"),
            msg("x in ('a') in ('b')", "Unexpected 'in' at position 11."));
}

TEST(Parser, InvalidUtf8IsRejected) {
  EXPECT_EQ(syntaxError("userId eq '\xFF'"),
            msg("userId eq '\xEF\xBF\xBD'", "The filter is not valid UTF-8."));
}

TEST(Parser, UnicodeWhitespaceSeparatesTokens) {
  EXPECT_EQ(tree("userId\xC2\xA0"
                 "eq\xE3\x80\x80'a'"),
            "(eq userId \"a\")");
  EXPECT_EQ(tree("\tuserId\neq\r'a' "), "(eq userId \"a\")");
}

// --- depth limit -----------------------------------------------------------------------------

std::string nested(int parens, std::string_view core = "true") {
  return std::string(parens, '(') + std::string(core) + std::string(parens, ')');
}

std::string nots(int count) {
  std::string s;
  for (int i = 0; i < count; ++i)
    s += "not ";
  return s + "true";
}

TEST(Parser, DepthLimitIsOneHundred) {
  const std::string tooDeep = "The filter is nested too deeply (maximum depth 100).";
  EXPECT_TRUE(parseProgram(nested(99)).isOk());
  EXPECT_EQ(syntaxError(nested(100)), msg(nested(100), tooDeep));
  EXPECT_TRUE(parseProgram(nots(99)).isOk());
  EXPECT_EQ(syntaxError(nots(100)), msg(nots(100), tooDeep));
  std::string calls = "true";
  for (int i = 0; i < 99; ++i)
    calls = "length(" + calls + ")";
  EXPECT_TRUE(parseProgram(calls).isOk());
  EXPECT_FALSE(parseProgram("length(" + calls + ")").isOk());
}

TEST(Parser, VeryDeepInputFailsWithoutRecursingDeeply) {
  EXPECT_FALSE(parseProgram(std::string(1'000'000, '(')).isOk());
  EXPECT_FALSE(parseProgram(nots(200'000)).isOk());
  EXPECT_FALSE(parseProgram(nested(100'000)).isOk());
}

}  // namespace
}  // namespace wps::filter
