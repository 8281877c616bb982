// Validation errors (rest-api.md §10.4, §10.6): exact messages, the sub-expression they name, and
// the type rules that depend on the dummy connection's nulls.
#include "filter/checker.h"

#include <gtest/gtest.h>

#include <string>

#include "filter/parser.h"

namespace wps::filter {
namespace {

// The checker's message for `text` ("" when it passes); the text must parse.
std::string check(std::string_view text) {
  StatusOr<Program> program = parseProgram(text);
  EXPECT_TRUE(program.isOk()) << text << " -> " << program.status().message();
  if (!program) return "<parse error>";
  Status status = checkProgram(*program);
  if (status.isOk()) return "";
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  return status.message();
}

std::string msg(std::string_view subject, std::string_view detail) {
  return "Invalid syntax for '" + std::string(subject) + "': " + std::string(detail) +
         " (Parameter 'filter')";
}

// --- §10.6 observed messages -----------------------------------------------------------------

TEST(Checker, ServiceMessages) {
  EXPECT_EQ(check("userId lt 1"),
            "Invalid syntax for 'userId lt 1': Type 'string', expect 'int'. (Parameter 'filter')");
  EXPECT_EQ(check("( not 'a' )"),
            "Invalid syntax for 'not 'a'': Type 'string', expect 'bool'. (Parameter 'filter')");
  EXPECT_EQ(check("invalid(ab,c)"),
            "Invalid syntax for 'invalid(ab,c)': Token 'invalid(ab,c)' is not supported. "
            "(Parameter 'filter')");
  EXPECT_EQ(check("ab eq 1"),
            "Invalid syntax for 'ab eq 1': Token 'ab' is not supported. (Parameter 'filter')");
  EXPECT_EQ(check("not length(userId) gt 5"),
            "Invalid syntax for 'not length(userId)': Type 'null', expect 'bool'. (Parameter "
            "'filter')");
}

TEST(Checker, ValidFiltersPass) {
  for (const char* text : {
           "userId eq 'user1'",
           "not (length(userId) gt 5)",
           "length(userId) gt 5",  // null for the dummy: false, not an error
           "userId lt null",
           "connectionId eq 1",
           "userId eq null",
           "length(groups) gt 1",
           "substring(connectionId, 1) eq 'onnection-1'",
           "substring(userId, 1, 2) eq 'x'",
           "contains(userId, 1)",  // the dummy's null short-circuits before the type check
           "concat(userId, protocol) eq null",
           "indexof(connectionId, 'a') ge 0",
           "trim(tolower(toupper(userId))) ne 'x'",
           "'g' in groups",
           "userId in ('a', 1, true, null)",
       }) {
    EXPECT_EQ(check(text), "") << text;
  }
}

// --- the whole filter must be bool -----------------------------------------------------------

TEST(Checker, TopLevelMustBeBool) {
  EXPECT_EQ(check("'a'"), msg("'a'", "Type 'string', expect 'bool'."));
  EXPECT_EQ(check("( 'a' )"), msg("'a'", "Type 'string', expect 'bool'."));
  EXPECT_EQ(check("length(userId)"), msg("length(userId)", "Type 'null', expect 'bool'."));
  EXPECT_EQ(check("length(connectionId)"),
            msg("length(connectionId)", "Type 'int', expect 'bool'."));
  EXPECT_EQ(check("1"), msg("1", "Type 'int', expect 'bool'."));
  EXPECT_EQ(check("null"), msg("null", "Type 'null', expect 'bool'."));
  EXPECT_EQ(check("userId"), msg("userId", "Type 'string', expect 'bool'."));
  EXPECT_EQ(check("groups"), msg("groups", "Type 'collection', expect 'bool'."));
}

// --- and / or / not --------------------------------------------------------------------------

TEST(Checker, LogicalOperatorsNeedBool) {
  EXPECT_EQ(check("userId and true"), msg("userId and true", "Type 'string', expect 'bool'."));
  EXPECT_EQ(check("true or 1"), msg("true or 1", "Type 'int', expect 'bool'."));
  EXPECT_EQ(check("not null"), msg("not null", "Type 'null', expect 'bool'."));
  EXPECT_EQ(check("not groups"), msg("not groups", "Type 'collection', expect 'bool'."));
}

TEST(Checker, BothOperandsAreCheckedEvenWhenTheLeftDecides) {
  EXPECT_EQ(check("true or 'a'"), msg("true or 'a'", "Type 'string', expect 'bool'."));
  EXPECT_EQ(check("false and 'a'"), msg("false and 'a'", "Type 'string', expect 'bool'."));
}

TEST(Checker, ChainErrorsNameTheLeftAssociativePrefix) {
  // ((true and 1) and true): the failing node is the inner `and`.
  EXPECT_EQ(check("true and 1 and true"), msg("true and 1", "Type 'int', expect 'bool'."));
  EXPECT_EQ(check("true and true and 1"), msg("true and true and 1", "Type 'int', expect 'bool'."));
  EXPECT_EQ(check("ab and true and true"), msg("ab and true", "Token 'ab' is not supported."));
  EXPECT_EQ(check("true and true and ab"),
            msg("true and true and ab", "Token 'ab' is not supported."));
  EXPECT_EQ(check("1 eq 1 gt 2"), msg("1 eq 1 gt 2", "Type 'bool', expect 'int'."));
}

TEST(Checker, SubjectIsTheSourceTextOfTheNode) {
  EXPECT_EQ(check("(userId) lt 1"), msg("(userId) lt 1", "Type 'string', expect 'int'."));
  EXPECT_EQ(check("userId  lt   1"), msg("userId  lt   1", "Type 'string', expect 'int'."));
  EXPECT_EQ(check("true and (userId lt 1)"), msg("userId lt 1", "Type 'string', expect 'int'."));
  EXPECT_EQ(check("  userId lt 1  "), msg("userId lt 1", "Type 'string', expect 'int'."));
}

// --- ordering --------------------------------------------------------------------------------

TEST(Checker, OrderingNeedsInts) {
  EXPECT_EQ(check("'a' gt 'b'"), msg("'a' gt 'b'", "Type 'string', expect 'int'."));
  EXPECT_EQ(check("1 ge 'b'"), msg("1 ge 'b'", "Type 'string', expect 'int'."));
  EXPECT_EQ(check("true le 1"), msg("true le 1", "Type 'bool', expect 'int'."));
  EXPECT_EQ(check("protocol gt 0"), msg("protocol gt 0", "Type 'string', expect 'int'."));
  EXPECT_EQ(check("length(groups) lt groups"),
            msg("length(groups) lt groups", "Type 'collection', expect 'int'."));
  // Untyped null on either side short-circuits to false.
  EXPECT_EQ(check("'a' gt null"), "");
  EXPECT_EQ(check("null le 'a'"), "");
}

// --- unsupported tokens ----------------------------------------------------------------------

TEST(Checker, UnsupportedTokensNameTheInnermostOperatorOrCall) {
  EXPECT_EQ(check("ab"), msg("ab", "Token 'ab' is not supported."));
  EXPECT_EQ(check("  ab  "), msg("  ab  ", "Token 'ab' is not supported."));  // whole filter
  EXPECT_EQ(check("not ab"), msg("not ab", "Token 'ab' is not supported."));
  EXPECT_EQ(check("not ab or true"), msg("not ab or true", "Token 'ab' is not supported."));
  EXPECT_EQ(check("length(ab) gt 1"), msg("length(ab)", "Token 'ab' is not supported."));
  EXPECT_EQ(check("ab in groups"), msg("ab in groups", "Token 'ab' is not supported."));
  EXPECT_EQ(check("userId in ('a', 1.5)"),
            msg("userId in ('a', 1.5)", "Token '1.5' is not supported."));
  EXPECT_EQ(check("true and (x eq 1)"), msg("x eq 1", "Token 'x' is not supported."));
  EXPECT_EQ(check("now() gt 1"), msg("now()", "Token 'now()' is not supported."));
  EXPECT_EQ(check("Length(userId) gt 1"),
            msg("Length(userId)", "Token 'Length(userId)' is not supported."));
  // Arguments of an unknown function are not looked at.
  EXPECT_EQ(check("year(x, 'a' gt 1) eq 1"),
            msg("year(x, 'a' gt 1)", "Token 'year(x, 'a' gt 1)' is not supported."));
}

TEST(Checker, FirstErrorInEvaluationOrderWins) {
  EXPECT_EQ(check("userId lt 1 and ab"), msg("userId lt 1", "Type 'string', expect 'int'."));
  EXPECT_EQ(check("ab eq 1 and userId lt 1"), msg("ab eq 1", "Token 'ab' is not supported."));
  // Operands are visited before the operator checks its own types.
  EXPECT_EQ(check("'a' and (userId lt 1)"), msg("userId lt 1", "Type 'string', expect 'int'."));
}

// --- functions -------------------------------------------------------------------------------

TEST(Checker, ArgumentCounts) {
  EXPECT_EQ(check("length(userId, 1) eq 1"),
            msg("length(userId, 1)", "Invalid token 'length(userId, 1)'."));
  EXPECT_EQ(check("length() eq 1"), msg("length()", "Invalid token 'length()'."));
  EXPECT_EQ(check("tolower() eq 'a'"), msg("tolower()", "Invalid token 'tolower()'."));
  EXPECT_EQ(check("contains(userId)"),
            msg("contains(userId)", "Invalid token 'contains(userId)'."));
  EXPECT_EQ(check("concat('a', 'b', 'c') eq 'abc'"),
            msg("concat('a', 'b', 'c')", "Invalid token 'concat('a', 'b', 'c')'."));
  EXPECT_EQ(check("substring(userId) eq 'a'"),
            msg("substring(userId)", "Invalid token 'substring(userId)'."));
  EXPECT_EQ(check("substring(userId, 1, 2, 3) eq 'a'"),
            msg("substring(userId, 1, 2, 3)", "Invalid token 'substring(userId, 1, 2, 3)'."));
  EXPECT_EQ(check("indexof('a', 'b', 'c') eq 0"),
            msg("indexof('a', 'b', 'c')", "Invalid token 'indexof('a', 'b', 'c')'."));
}

TEST(Checker, ArgumentTypes) {
  EXPECT_EQ(check("length(1) eq 1"), msg("length(1)", "Invalid token 'length(1)'."));
  EXPECT_EQ(check("length(true) eq 1"), msg("length(true)", "Invalid token 'length(true)'."));
  EXPECT_EQ(check("tolower(1) eq 'a'"), msg("tolower(1)", "Type 'int', expect 'string'."));
  EXPECT_EQ(check("trim(groups) eq 'a'"),
            msg("trim(groups)", "Type 'collection', expect 'string'."));
  EXPECT_EQ(check("contains(groups, 'a')"),
            msg("contains(groups, 'a')", "Type 'collection', expect 'string'."));
  EXPECT_EQ(check("startswith('a', 1)"), msg("startswith('a', 1)", "Type 'int', expect 'string'."));
  EXPECT_EQ(check("indexof(true, 'a') eq 1"),
            msg("indexof(true, 'a')", "Type 'bool', expect 'string'."));
  EXPECT_EQ(check("concat(userId, 1) eq 'a'"),
            msg("concat(userId, 1)", "Type 'int', expect 'string'."));
  EXPECT_EQ(check("concat(null, 1) eq 'a'"),
            msg("concat(null, 1)", "Type 'null', expect 'string'."));
  EXPECT_EQ(check("substring(userId, 'x') eq 'a'"),
            msg("substring(userId, 'x')", "Type 'string', expect 'int'."));
  EXPECT_EQ(check("substring(userId, 1, null) eq 'a'"),
            msg("substring(userId, 1, null)", "Type 'null', expect 'int'."));
  // The start is checked against the dummy's values: length(userId) is null there.
  EXPECT_EQ(check("substring(connectionId, length(userId)) eq ''"),
            msg("substring(connectionId, length(userId))", "Type 'null', expect 'int'."));
  EXPECT_EQ(check("substring(1, 1) eq 'a'"),
            msg("substring(1, 1)", "Type 'int', expect 'string'."));
}

TEST(Checker, NestedCallsNameTheInnermostCall) {
  EXPECT_EQ(check("length(tolower(1)) eq 1"), msg("tolower(1)", "Type 'int', expect 'string'."));
  EXPECT_EQ(check("tolower(concat(x, 'a')) eq 'a'"),
            msg("concat(x, 'a')", "Token 'x' is not supported."));
}

// --- in --------------------------------------------------------------------------------------

TEST(Checker, InRightSideMustBeAListOrGroups) {
  EXPECT_EQ(check("'a' in groups"), "");
  EXPECT_EQ(check("'a' in GROUPS"), "");
  EXPECT_EQ(check("'a' in userId"), msg("'a' in userId", "Type 'string', expect 'collection'."));
  EXPECT_EQ(check("'a' in 'abc'"), msg("'a' in 'abc'", "Type 'string', expect 'collection'."));
  EXPECT_EQ(check("'a' in x"), msg("'a' in x", "Token 'x' is not supported."));
}

}  // namespace
}  // namespace wps::filter
