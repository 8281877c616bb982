// The Filter facade end to end: the examples of rest-api.md §10.7 and the evaluation rules of
// §10.3-10.4 against a fixed set of fake connections.
#include "filter/filter.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "filter/fake_subject.h"

namespace wps::filter {
namespace {

using testing::FakeSubject;

// name -> connection
const std::map<std::string, FakeSubject>& subjects() {
  static const auto* all = new std::map<std::string, FakeSubject>{
      {"anon", FakeSubject("c-anon", std::nullopt)},
      {"user1", FakeSubject("c-1", "user1", {"group1"}, "json.webpubsub.azure.v1")},
      {"user1b", FakeSubject("123", "user1", {"group1", "group2"})},
      {"user2", FakeSubject("c-2", "user2", {"group2"})},
      {"user3", FakeSubject("c-3", "user3")},
      {"USER1", FakeSubject("c-4", "USER1")},
      {"quote", FakeSubject("c-5", "user'1")},
      {"doe", FakeSubject("c-6", "Doe, John")},
      {"obrien", FakeSubject("c-7", "O'Brien, Jane")},
      {"listener", FakeSubject("c-8", "listener-7")},
      {"abc", FakeSubject("c-9", "abc")},
      {"a", FakeSubject("c-10", "a")},
  };
  return *all;
}

// Names of the subjects the filter selects (sorted); fails the test when it does not parse.
std::vector<std::string> selected(std::string_view text) {
  StatusOr<Filter> f = Filter::parse(text);
  EXPECT_TRUE(f.isOk()) << text << " -> " << f.status().message();
  std::vector<std::string> out;
  if (!f) return out;
  for (const auto& [name, subject] : subjects()) {
    if (f->matches(subject)) out.push_back(name);
  }
  return out;
}

using Names = std::vector<std::string>;

// Everyone except the listed names.
Names allBut(const Names& excluded) {
  Names out;
  for (const auto& [name, subject] : subjects()) {
    if (std::find(excluded.begin(), excluded.end(), name) == excluded.end()) out.push_back(name);
  }
  return out;
}

bool matches(std::string_view text, const FakeSubject& s) {
  StatusOr<Filter> f = Filter::parse(text);
  EXPECT_TRUE(f.isOk()) << text << " -> " << f.status().message();
  return f && f->matches(s);
}

std::string errorOf(std::string_view text) {
  StatusOr<Filter> f = Filter::parse(text);
  EXPECT_FALSE(f.isOk()) << text;
  if (f) return "";
  EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
  return f.status().message();
}

const FakeSubject kAnon("c-anon", std::nullopt);
const FakeSubject kUser1("c-1", "user1", {"group1"}, "json.webpubsub.azure.v1");

// --- §10.7 examples --------------------------------------------------------------------------

TEST(FilterExamples, UserIdEq) {
  EXPECT_EQ(selected("userId eq 'user1'"), (Names{"user1", "user1b"}));
}

TEST(FilterExamples, EveryoneExceptTwoUsersIncludesAnonymous) {
  EXPECT_EQ(selected("userId ne 'user1' and userId ne 'user2'"),
            allBut({"user1", "user1b", "user2"}));
}

TEST(FilterExamples, UserIdEqNullSelectsAnonymous) {
  EXPECT_EQ(selected("userId eq null"), (Names{"anon"}));
}

TEST(FilterExamples, GroupMembershipOr) {
  EXPECT_EQ(selected("'group1' in groups or 'group2' in groups"),
            (Names{"user1", "user1b", "user2"}));
}

TEST(FilterExamples, NotInGroup) {
  EXPECT_EQ(selected("not('group1' in groups)"), allBut({"user1", "user1b"}));
}

TEST(FilterExamples, UsersInListAndGroup) {
  EXPECT_EQ(selected("userId in ('user1', 'user2', 'user3') and 'group1' in groups"),
            (Names{"user1", "user1b"}));
}

TEST(FilterExamples, UserExceptConnection) {
  EXPECT_EQ(selected("userId eq 'user1' and connectionId ne '123'"), (Names{"user1"}));
}

TEST(FilterExamples, DoubledQuoteInLiteral) {
  EXPECT_EQ(selected("userId eq 'user''1'"), (Names{"quote"}));
}

TEST(FilterExamples, ListWithCommasAndQuotes) {
  EXPECT_EQ(selected("userId in ('Doe, John', 'O''Brien, Jane')"), (Names{"doe", "obrien"}));
}

TEST(FilterExamples, StartsWith) {
  EXPECT_EQ(selected("startswith(userId, 'listener-')"), (Names{"listener"}));
}

TEST(FilterExamples, LengthOfGroups) {
  EXPECT_EQ(selected("length(groups) gt 1"), Names{"user1b"});
}

TEST(FilterExamples, ToLower) {
  EXPECT_EQ(selected("tolower(userId) eq 'user1'"), (Names{"USER1", "user1", "user1b"}));
}

TEST(FilterExamples, SubstringOutOfRangeIsNull) {
  EXPECT_EQ(selected("substring(userId, 1, 1) eq 'b'"), (Names{"abc"}));
  EXPECT_FALSE(matches("substring(userId, 1, 1) eq 'b'", FakeSubject("c", "a")));
}

TEST(FilterExamples, AndBindsTighterThanOr) {
  // ((len > 0) and (len < 3)) or (len > 7): "a" (1), "listener-7" (10), "Doe, John" (9),
  // "O'Brien, Jane" (13); "abc" (3) and the 5-6 character ids are out.
  EXPECT_EQ(selected("length(userId) gt 0 and length(userId) lt 3 or length(userId) gt 7"),
            (Names{"a", "doe", "listener", "obrien"}));
}

TEST(FilterExamples, TrueSelectsEveryone) {
  EXPECT_EQ(selected("true"), allBut({}));
}

// --- empty and blank ------------------------------------------------------------------------

TEST(Filter, EmptyTextMatchesEverything) {
  StatusOr<Filter> f = Filter::parse("");
  ASSERT_TRUE(f.isOk());
  EXPECT_TRUE(f->empty());
  EXPECT_TRUE(f->matches(kAnon));
  EXPECT_TRUE(f->matches(kUser1));
  EXPECT_TRUE(Filter().empty());
  EXPECT_TRUE(Filter().matches(kAnon));
}

TEST(Filter, WhitespaceOnlyIsAnError) {
  EXPECT_EQ(errorOf("   "),
            "Invalid syntax for '   ': Expression expected at position 3. (Parameter 'filter')");
  EXPECT_EQ(errorOf("\t"),
            "Invalid syntax for '\t': Expression expected at position 1. (Parameter 'filter')");
}

TEST(Filter, NonEmptyFilterIsNotEmptyAndKeepsItsText) {
  StatusOr<Filter> f = Filter::parse(" true ");
  ASSERT_TRUE(f.isOk());
  EXPECT_FALSE(f->empty());
  EXPECT_EQ(f->text(), " true ");
  EXPECT_TRUE(f->matches(kAnon));
}

TEST(Filter, FalseSelectsNobody) {
  EXPECT_EQ(selected("false"), Names{});
}

// --- identifiers and keywords ------------------------------------------------------------------

TEST(Filter, IdentifiersAreCaseInsensitive) {
  EXPECT_EQ(selected("USERID eq 'user1'"), (Names{"user1", "user1b"}));
  EXPECT_EQ(selected("UserId eq 'user1'"), (Names{"user1", "user1b"}));
  EXPECT_EQ(selected("ConnectionID eq 'c-2'"), (Names{"user2"}));
  EXPECT_EQ(selected("'group2' in GROUPS"), (Names{"user1b", "user2"}));
  EXPECT_TRUE(matches("PROTOCOL eq 'json.webpubsub.azure.v1'", kUser1));
}

TEST(Filter, KeywordsAreLowerCaseOnly) {
  EXPECT_EQ(errorOf("userId EQ 'user1'"),
            "Invalid syntax for 'userId EQ 'user1'': Unexpected 'EQ' at position 7. Keywords and "
            "operators are lower case. (Parameter 'filter')");
  EXPECT_EQ(errorOf("True"),
            "Invalid syntax for 'True': Token 'True' is not supported. (Parameter 'filter')");
  EXPECT_EQ(errorOf("userId eq NULL"),
            "Invalid syntax for 'userId eq NULL': Token 'NULL' is not supported. (Parameter "
            "'filter')");
  EXPECT_EQ(errorOf("startsWith(userId, 'a')"),
            "Invalid syntax for 'startsWith(userId, 'a')': Token 'startsWith(userId, 'a')' is not "
            "supported. (Parameter 'filter')");
}

TEST(Filter, KeywordsAreReservedOnlyInOperatorPosition) {
  EXPECT_TRUE(matches("'and' eq 'and'", kAnon));
  EXPECT_TRUE(matches("userId eq 'not'", FakeSubject("c", "not")));
  EXPECT_FALSE(matches("userId eq 'not'", kUser1));
  // A keyword glued to more letters is one identifier.
  EXPECT_EQ(errorOf("noteq eq 1"),
            "Invalid syntax for 'noteq eq 1': Token 'noteq' is not supported. (Parameter "
            "'filter')");
}

TEST(Filter, NotWithAndWithoutSpace) {
  EXPECT_EQ(selected("not('group1' in groups)"), selected("not ('group1' in groups)"));
  EXPECT_TRUE(matches("not(false)", kAnon));
  EXPECT_FALSE(matches("not (true)", kAnon));
}

TEST(Filter, TokenBoundariesNeedNoSpaces) {
  EXPECT_TRUE(matches("userId eq'user1'", kUser1));
  EXPECT_TRUE(matches("(userId)eq('user1')and('group1'in groups)", kUser1));
}

// --- literals ------------------------------------------------------------------------------------

TEST(Filter, QuoteEscaping) {
  const FakeSubject obrien("c", "O'Brien");
  EXPECT_TRUE(matches("userId eq 'O''Brien'", obrien));
  EXPECT_FALSE(matches("userId eq 'O''''Brien'", obrien));
  EXPECT_TRUE(matches("userId eq 'O''''Brien'", FakeSubject("c", "O''Brien")));
  EXPECT_TRUE(matches("'''' eq concat('''', '')", kAnon));
  // Backslashes are literal.
  EXPECT_TRUE(matches("userId eq 'a\\b'", FakeSubject("c", "a\\b")));
}

TEST(Filter, StringLiteralsKeepAnyCharacter) {
  EXPECT_TRUE(matches("userId eq 'a, (b) or c'", FakeSubject("c", "a, (b) or c")));
  EXPECT_TRUE(matches("userId eq '\xE4\xBD\xA0\xE5\xA5\xBD'",
                      FakeSubject("c", "\xE4\xBD\xA0\xE5\xA5\xBD")));
  EXPECT_TRUE(matches("userId eq '  '", FakeSubject("c", "  ")));
}

TEST(Filter, IntegerLiterals) {
  EXPECT_TRUE(matches("length(userId) eq +5", kUser1));
  EXPECT_TRUE(matches("-5 lt 0", kAnon));
  EXPECT_TRUE(matches("2147483647 gt -2147483648", kAnon));
  EXPECT_TRUE(matches("007 eq 7", kAnon));
}

TEST(Filter, Int32Overflow) {
  EXPECT_EQ(errorOf("length(userId) eq 2147483648"),
            "Invalid syntax for 'length(userId) eq 2147483648': Token '2147483648' is not "
            "supported. (Parameter 'filter')");
  EXPECT_EQ(errorOf("length(userId) gt -2147483649"),
            "Invalid syntax for 'length(userId) gt -2147483649': Token '-2147483649' is not "
            "supported. (Parameter 'filter')");
  EXPECT_FALSE(Filter::parse("length(userId) eq 99999999999999999999999999").isOk());
}

TEST(Filter, OtherLiteralKindsAreNotSupported) {
  EXPECT_EQ(errorOf("userId eq 1.5"),
            "Invalid syntax for 'userId eq 1.5': Token '1.5' is not supported. (Parameter "
            "'filter')");
  EXPECT_EQ(errorOf("userId eq duration'P1D'"),
            "Invalid syntax for 'userId eq duration'P1D'': Token 'duration'P1D'' is not "
            "supported. (Parameter 'filter')");
  EXPECT_EQ(errorOf("userId eq 2020-01-01"),
            "Invalid syntax for 'userId eq 2020-01-01': Token '2020-01-01' is not supported. "
            "(Parameter 'filter')");
  EXPECT_FALSE(Filter::parse("userId eq 01234567-89ab-cdef-0123-456789abcdef").isOk());
  EXPECT_FALSE(Filter::parse("userId eq 1e5").isOk());
  EXPECT_FALSE(Filter::parse("userId eq [1,2]").isOk());
}

// --- eq / ne -------------------------------------------------------------------------------------

TEST(Filter, StringNeverEqualsInt) {
  EXPECT_FALSE(matches("connectionId eq 1", FakeSubject("1", "u")));
  EXPECT_TRUE(matches("connectionId ne 1", FakeSubject("1", "u")));
  EXPECT_FALSE(matches("'1' eq 1", kAnon));
}

TEST(Filter, EqualityIsOrdinal) {
  EXPECT_FALSE(matches("userId eq 'User1'", kUser1));
  // No Unicode normalisation: precomposed e-acute differs from e + combining acute.
  EXPECT_FALSE(matches("userId eq 'e\xCC\x81'", FakeSubject("c", "\xC3\xA9")));
}

TEST(Filter, NullEquality) {
  EXPECT_TRUE(matches("null eq null", kAnon));
  EXPECT_FALSE(matches("null ne null", kAnon));
  EXPECT_TRUE(matches("userId ne null", kUser1));
  EXPECT_FALSE(matches("userId eq null", kUser1));
  EXPECT_TRUE(matches("protocol eq null", kAnon));
  EXPECT_FALSE(matches("protocol eq null", kUser1));
  EXPECT_TRUE(matches("length(userId) eq null", kAnon));
  EXPECT_FALSE(matches("length(userId) eq null", kUser1));
}

TEST(Filter, BoolEquality) {
  EXPECT_TRUE(matches("('group1' in groups) eq true", kUser1));
  EXPECT_TRUE(matches("('group1' in groups) eq false", kAnon));
  EXPECT_FALSE(matches("true eq 'true'", kAnon));
}

// --- ordering comparisons --------------------------------------------------------------------

TEST(Filter, OrderingComparisons) {
  const FakeSubject s("c", "abcde", {"a", "b", "c"});
  EXPECT_TRUE(matches("length(userId) gt 4", s));
  EXPECT_FALSE(matches("length(userId) gt 5", s));
  EXPECT_TRUE(matches("length(userId) ge 5", s));
  EXPECT_TRUE(matches("length(userId) lt 6", s));
  EXPECT_FALSE(matches("length(userId) lt 5", s));
  EXPECT_TRUE(matches("length(userId) le 5", s));
  EXPECT_TRUE(matches("length(groups) eq 3", s));
  EXPECT_TRUE(matches("length(groups) eq 0", kAnon));
}

TEST(Filter, OrderingWithNullIsFalse) {
  EXPECT_FALSE(matches("length(userId) gt 5", kAnon));
  EXPECT_FALSE(matches("length(userId) le 5", kAnon));
  EXPECT_FALSE(matches("null lt 1", kAnon));
  EXPECT_FALSE(matches("null ge null", kAnon));
  // Compared with an untyped null, a string is not an error.
  EXPECT_FALSE(matches("userId lt null", kUser1));
}

// --- in --------------------------------------------------------------------------------------

TEST(Filter, InLists) {
  EXPECT_TRUE(matches("userId in ('user1')", kUser1));
  EXPECT_FALSE(matches("userId in ('user2')", kUser1));
  EXPECT_FALSE(matches("userId in ()", kUser1));
  EXPECT_TRUE(matches("userId in ('x', null)", kAnon));
  EXPECT_FALSE(matches("userId in ('x', 'y')", kAnon));
  EXPECT_TRUE(matches("length(userId) in (1, 5, 9)", kUser1));
  EXPECT_FALSE(matches("length(userId) in ('5')", kUser1));
  EXPECT_TRUE(matches("('group1' in groups) in (true)", kUser1));
  EXPECT_FALSE(matches("('group1' in groups) in (true)", kAnon));
  EXPECT_TRUE(matches("('group1' in groups) in (false, 'x')", kAnon));
}

TEST(Filter, LongInListUsesExactMembership) {
  std::string text = "userId in (";
  for (int i = 0; i < 500; ++i)
    text += (i ? ", 'u" : "'u") + std::to_string(i) + "'";
  text += ")";
  EXPECT_TRUE(matches(text, FakeSubject("c", "u0")));
  EXPECT_TRUE(matches(text, FakeSubject("c", "u499")));
  EXPECT_TRUE(matches(text, FakeSubject("c", "u250")));
  EXPECT_FALSE(matches(text, FakeSubject("c", "u500")));
  EXPECT_FALSE(matches(text, FakeSubject("c", "u")));
  EXPECT_FALSE(matches(text, kAnon));
}

TEST(Filter, InGroupsIsCaseSensitiveMembership) {
  EXPECT_TRUE(matches("'group1' in groups", kUser1));
  EXPECT_FALSE(matches("'Group1' in groups", kUser1));
  EXPECT_FALSE(matches("'group1' in groups", kAnon));
  EXPECT_TRUE(matches("userId in groups", FakeSubject("c", "g", {"g"})));
  EXPECT_FALSE(matches("userId in groups", FakeSubject("c", std::nullopt, {"g"})));
  EXPECT_FALSE(matches("null in groups", kUser1));
}

TEST(Filter, ParenthesisedGroupsIsRejected) {
  EXPECT_EQ(errorOf("'g' in (groups)"),
            "Invalid syntax for ''g' in (groups)': Literal expected at position 8, found "
            "'groups'. (Parameter 'filter')");
}

// --- precedence ------------------------------------------------------------------------------

TEST(Filter, AndBindsTighterThanOr) {
  EXPECT_TRUE(matches("true or false and false", kAnon));    // true or (false and false)
  EXPECT_FALSE(matches("false and false or false", kAnon));  // (false and false) or false
  EXPECT_TRUE(matches("false and true or true", kAnon));     // (false and true) or true
}

TEST(Filter, ComparisonBindsTighterThanAnd) {
  // false and (false eq false) = false; (false and false) eq false would be true.
  EXPECT_FALSE(matches("false and false eq false", kAnon));
  EXPECT_TRUE(matches("false eq false and true", kAnon));
}

TEST(Filter, ComparisonsAreLeftAssociative) {
  EXPECT_TRUE(matches("1 eq 1 eq true", kAnon));  // (1 eq 1) eq true; right-assoc: false
  EXPECT_TRUE(matches("2 lt 1 eq false", kAnon));
}

TEST(Filter, NotBindsTighterThanComparison) {
  // (not 'a') eq 'a' is a type error, unlike not ('a' eq 'a').
  EXPECT_EQ(errorOf("not 'a' eq 'a'"),
            "Invalid syntax for 'not 'a'': Type 'string', expect 'bool'. (Parameter 'filter')");
  EXPECT_FALSE(matches("not ('a' eq 'a')", kAnon));
  EXPECT_TRUE(matches("not false eq true", kAnon));
}

TEST(Filter, InBindsTighterThanNot) {
  EXPECT_FALSE(matches("not 'group1' in groups", kUser1));
  EXPECT_TRUE(matches("not 'group1' in groups", kAnon));
}

TEST(Filter, NotIsRightAssociative) {
  EXPECT_TRUE(matches("not not true", kAnon));
  EXPECT_FALSE(matches("not not not true", kAnon));
}

// --- functions ---------------------------------------------------------------------------------

TEST(Filter, Length) {
  EXPECT_TRUE(matches("length(userId) eq 5", kUser1));
  EXPECT_TRUE(matches("length(connectionId) eq 3", kUser1));
  // UTF-16 code units: U+00E9 is one unit, U+1F600 is two.
  EXPECT_TRUE(matches("length(userId) eq 3", FakeSubject("c", "\xC3\xA9\xF0\x9F\x98\x80")));
  EXPECT_TRUE(matches("length('') eq 0", kAnon));
  EXPECT_TRUE(matches("length(null) eq null", kAnon));
}

TEST(Filter, CaseFunctions) {
  EXPECT_TRUE(matches("toupper(userId) eq 'USER1'", kUser1));
  EXPECT_TRUE(matches("tolower('\xC3\x84\xCE\xA3') eq '\xC3\xA4\xCF\x83'", kAnon));  // ÄΣ -> äσ
  EXPECT_TRUE(matches("tolower(userId) eq null", kAnon));
  EXPECT_TRUE(matches("toupper(protocol) eq null", kAnon));
}

TEST(Filter, Trim) {
  EXPECT_TRUE(matches("trim(userId) eq 'x y'", FakeSubject("c", " \t x y \xE3\x80\x80")));
  EXPECT_TRUE(matches("trim('  ') eq ''", kAnon));
  EXPECT_TRUE(matches("trim(userId) eq null", kAnon));
  EXPECT_TRUE(matches("trim(concat(' a', ' ')) eq 'a'", kAnon));
}

TEST(Filter, StringPredicates) {
  EXPECT_TRUE(matches("contains(userId, 'ser')", kUser1));
  EXPECT_FALSE(matches("contains(userId, 'SER')", kUser1));
  EXPECT_TRUE(matches("startswith(userId, 'us')", kUser1));
  EXPECT_FALSE(matches("startswith(userId, 'se')", kUser1));
  EXPECT_TRUE(matches("endswith(userId, 'r1')", kUser1));
  EXPECT_TRUE(matches("contains(userId, '')", kUser1));
  // Either side null -> false.
  EXPECT_FALSE(matches("contains(userId, 'u')", kAnon));
  EXPECT_FALSE(matches("startswith('abc', userId)", kAnon));
  EXPECT_FALSE(matches("endswith(null, null)", kAnon));
  EXPECT_FALSE(matches("contains(userId, 'b')", FakeSubject("c", "aaa")));
}

TEST(Filter, IndexOf) {
  EXPECT_TRUE(matches("indexof(userId, 'er') eq 2", kUser1));
  EXPECT_TRUE(matches("indexof(userId, 'x') eq -1", kUser1));
  EXPECT_TRUE(matches("indexof(userId, '') eq 0", kUser1));
  EXPECT_TRUE(matches("indexof(userId, 'x') eq -1", kAnon));
  EXPECT_TRUE(matches("indexof('abc', null) eq -1", kAnon));
  // Positions are UTF-16 units: the emoji takes two.
  EXPECT_TRUE(matches("indexof(userId, 'z') eq 3", FakeSubject("c", "\xF0\x9F\x98\x80xz")));
}

TEST(Filter, Concat) {
  EXPECT_TRUE(matches("concat(userId, '-x') eq 'user1-x'", kUser1));
  EXPECT_TRUE(matches("concat(userId, 'x') eq 'x'", kAnon));
  EXPECT_TRUE(matches("concat('x', userId) eq 'x'", kAnon));
  EXPECT_TRUE(matches("concat(userId, protocol) eq null", kAnon));
  EXPECT_TRUE(matches("concat(concat('a', 'b'), 'c') eq 'abc'", kAnon));
}

TEST(Filter, Substring) {
  const FakeSubject abc("c", "abc");
  EXPECT_TRUE(matches("substring(userId, 1) eq 'bc'", abc));
  EXPECT_TRUE(matches("substring(userId, 0, 3) eq 'abc'", abc));
  EXPECT_TRUE(matches("substring(userId, 3) eq ''", abc));  // start == length is fine
  EXPECT_TRUE(matches("substring(userId, 3, 0) eq ''", abc));
  EXPECT_TRUE(matches("substring(userId, 4) eq null", abc));
  EXPECT_TRUE(matches("substring(userId, -1) eq null", abc));
  EXPECT_TRUE(matches("substring(userId, 1, 3) eq null", abc));
  EXPECT_TRUE(matches("substring(userId, 0, -1) eq null", abc));
  EXPECT_FALSE(matches("substring(userId, 1) eq 'b'", FakeSubject("c", "")));
  EXPECT_FALSE(matches("substring(userId, 1, 2) eq 'bc'", FakeSubject("c", "a")));
  EXPECT_TRUE(matches("substring(userId, 0) eq null", kAnon));
  // The range is only known at run time, so it is not a validation error.
  EXPECT_TRUE(
      matches("substring(connectionId, 1) eq 'onnection-1'", FakeSubject("connection-1", "u")));
  // UTF-16 units.
  EXPECT_TRUE(matches("substring(userId, 2) eq 'z'", FakeSubject("c", "\xF0\x9F\x98\x80z")));
}

TEST(Filter, RunTimeOnlyTypeMismatchIsTreatedAsNull) {
  // Validation sees userId = null, so these pass; at run time the odd operand acts as null.
  EXPECT_FALSE(matches("contains(userId, 1)", kUser1));
  EXPECT_FALSE(matches("length(userId) gt 'a'", kUser1));
  EXPECT_TRUE(matches("tolower(length(userId)) eq null", kUser1));
  EXPECT_TRUE(matches("length(length(userId)) eq null", kUser1));
  EXPECT_TRUE(matches("indexof(length(userId), 'a') eq -1", kUser1));
}

// --- limits, sharing, threads ----------------------------------------------------------------

TEST(Filter, LongChainsDoNotNest) {
  std::string text = "userId eq 'u0'";
  for (int i = 1; i < 20000; ++i)
    text += " or userId eq 'u" + std::to_string(i) + "'";
  EXPECT_TRUE(matches(text, FakeSubject("c", "u19999")));
  EXPECT_FALSE(matches(text, FakeSubject("c", "v")));
  std::string ands = "true";
  for (int i = 0; i < 20000; ++i)
    ands += " and true";
  EXPECT_TRUE(matches(ands, kAnon));
  std::string eqs = "true";
  for (int i = 0; i < 20000; ++i)
    eqs += " eq true";
  EXPECT_TRUE(matches(eqs, kAnon));
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WPS_FILTER_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define WPS_FILTER_TEST_ASAN 1
#endif

// Parses and evaluates the deepest filters the depth limit allows, on a thread whose stack is
// far smaller than the usual 8 MiB (measured: about 110 KiB in Debug, 60 KiB in -O2).
void* parseDeepFilters(void* ok) {
  std::vector<std::string> filters;
  std::string calls = "'x'";
  for (int i = 0; i < 98; ++i)
    calls = "concat(" + calls + ", 'y')";
  filters.push_back("length(" + calls + ") gt 1");
  filters.push_back(std::string(99, '(') + "'group1' in groups" + std::string(99, ')'));
  std::string mixed = "userId eq 'user1'";
  for (int i = 0; i < 49; ++i)
    mixed = "not (" + mixed + " and true)";
  filters.push_back(mixed);
  bool all = true;
  for (const std::string& text : filters) {
    StatusOr<Filter> f = Filter::parse(text);
    all = all && f.isOk();
    if (f) (void)f->matches(kUser1);
  }
  *static_cast<bool*>(ok) = all;
  return nullptr;
}

TEST(Filter, MaximumDepthFitsInASmallStack) {
#ifdef WPS_FILTER_TEST_ASAN
  constexpr size_t kStack = size_t{4} << 20;
#else
  constexpr size_t kStack = size_t{512} << 10;
#endif
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, kStack), 0);
  bool ok = false;
  pthread_t thread;
  ASSERT_EQ(pthread_create(&thread, &attr, parseDeepFilters, &ok), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_TRUE(ok);
}

TEST(Filter, CopiesShareTheParsedFilter) {
  StatusOr<Filter> f = Filter::parse("'group1' in groups");
  ASSERT_TRUE(f.isOk());
  Filter copy = *f;
  f = Filter();
  EXPECT_TRUE(copy.matches(kUser1));
  EXPECT_FALSE(copy.matches(kAnon));
  EXPECT_EQ(copy.text(), "'group1' in groups");
}

TEST(Filter, ConcurrentEvaluation) {
  StatusOr<Filter> f =
      Filter::parse("tolower(userId) eq 'user1' and 'group1' in groups or userId eq null");
  ASSERT_TRUE(f.isOk());
  const Filter filter = *f;
  std::vector<std::thread> threads;
  std::vector<int> hits(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        hits[t] += filter.matches(kUser1) + filter.matches(kAnon) +
                   filter.matches(FakeSubject("c", "user2"));
      }
    });
  }
  for (std::thread& th : threads)
    th.join();
  for (int h : hits)
    EXPECT_EQ(h, 4000);
}

}  // namespace
}  // namespace wps::filter
