// Up-front validation of a parsed filter (rest-api.md §10.4): the service evaluates the filter
// once against a dummy connection (connectionId "", userId null, no groups, protocol null) and
// rejects it with 400 if that raises an error. The checker does the same statically, over the
// types each node has for that dummy connection, so it needs no subject and reports the service's
// messages, including the ones that depend on the dummy's nulls, e.g.
//   not length(userId) gt 5  ->  Invalid syntax for 'not length(userId)': Type 'null', expect
//                                'bool'. (Parameter 'filter')
// Pure function, thread-safe, never throws (except std::bad_alloc).
#pragma once

#include "common/status.h"
#include "filter/ast.h"

namespace wps::filter {

// Success: OK; the evaluator may then run the program against any connection.
// Error: kInvalidArgument "Invalid syntax for '<subject>': <detail> (Parameter 'filter')", where
// <detail> is one of
//   "Type '<t>', expect '<u>'."      t, u in null/bool/int/string/collection; <subject> is the
//                                    operator or function that needed type u
//   "Token '<text>' is not supported." unknown identifier or function, out-of-range integer,
//                                    other literal kinds
//   "Invalid token '<call>'."         a supported function with the wrong number of arguments,
//                                    or length() of a non-string
// and <subject> is the source text of the innermost enclosing binary operator, `in` or function
// call (the whole filter when there is none), as the service does. Errors are found in the
// service's evaluation order (operands left to right, then the operator's own checks); unlike the
// service, `and`/`or` check both operands even when the left one decides (§10.4). The whole
// filter must be bool.
Status checkProgram(const Program& program);

}  // namespace wps::filter
