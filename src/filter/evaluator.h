// Runs a checked filter against one connection.
#pragma once

#include "filter/ast.h"
#include "filter/subject.h"

namespace wps::filter {

// True when `program` (which passed checkProgram()) selects `subject`.
//
// Semantics (rest-api.md §10.3-10.4): eq/ne compare type and value (null eq null; a string never
// equals an int); gt/ge/lt/le are false when either side is not an int (null included); and/or
// short-circuit; `x in (...)` is eq against any item; `x in groups` is subject.inGroup(x).
// Functions follow the null table of §10.3, with lengths and positions in UTF-16 code units.
//
// Never fails: conditions that only arise at run time yield null, so comparisons on them are
// false. That covers substring ranges, and operands whose type differs from the one validation
// saw (only possible where validation saw null, e.g. contains(userId, 1) for a non-anonymous
// user): such an operand is treated as null.
//
// Allocation: none for literals, identifiers, eq/ne/gt/ge/lt/le, and/or/not, in (lists and
// groups), length, contains/startswith/endswith/indexof and trim of a non-computed string;
// tolower/toupper/concat/substring allocate their result.
//
// Thread-safety: reads `program` only; any number of threads may evaluate one program at once.
// Recursion depth is bounded by the parser's nesting limit.
bool evaluate(const Program& program, const FilterSubject& subject);

}  // namespace wps::filter
