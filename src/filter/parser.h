// Recursive-descent parser for the filter grammar of rest-api.md §10.5. Syntax only: type rules
// and unsupported tokens are left to the checker (filter/checker.h). Pure function,
// thread-safe, never throws (except std::bad_alloc); recursion is bounded by kMaxDepth.
#pragma once

#include <string_view>

#include "common/status.h"
#include "filter/ast.h"

namespace wps::filter {

// Maximum nesting: every expression entry (the whole filter, a parenthesised expression, a
// function argument) and every `not` counts one level. Chains of binary operators do not nest
// (they are loops), so a filter with thousands of `and` clauses is fine.
inline constexpr int kMaxDepth = 100;

// Parses non-empty filter text.
//
// Precedence, highest first: primary, `in`, `not`, eq/ne/gt/ge/lt/le (left-associative), `and`,
// `or`. Keywords, literals (true/false/null) and function names are lower case; identifiers are
// case-insensitive. `x in (...)` always takes a literal list (one item or none is fine); any
// other right side of `in` is parsed as a primary and left to the checker.
//
// Success: the Program (its text is a copy of `text`).
// Error: kInvalidArgument "Invalid syntax for '<text>': <detail> (Parameter 'filter')" where
// <detail> names the problem and its 0-based byte position, e.g. "Expression expected at
// position 4." for `bad(`, or "The filter is nested too deeply (maximum depth 100).". Input
// that is not valid UTF-8 is rejected (its echo has malformed bytes replaced by U+FFFD).
StatusOr<Program> parseProgram(std::string_view text);

}  // namespace wps::filter
