// The REST API's OData `filter` (rest-api.md §10): the facade over the lexer, parser, checker and
// evaluator of this directory. Callers need only this header.
//
//   StatusOr<Filter> f = Filter::parse(request.query("filter"));
//   if (!f) return badRequest(f.status().message());   // the exact service message
//   for (const Connection& c : candidates) if (f->matches(c)) deliver(c);
#pragma once

#include <memory>
#include <string_view>
#include <utility>

#include "common/status.h"
#include "filter/subject.h"

namespace wps::filter {

struct Program;

// A parsed and validated filter. Immutable after parse(); cheap to copy (copies share the parsed
// form); safe to evaluate from many threads at once.
class Filter {
 public:
  // The empty filter: matches every connection.
  Filter() = default;

  // Parses and validates `text` (URL-decoded, or the JSON string of a batch-group body).
  // Success: empty text gives the empty filter; otherwise a filter whose whole expression is
  // bool for the service's dummy connection.
  // Error: kInvalidArgument whose message is exactly the service's text,
  //   "Invalid syntax for '<subject>': <detail> (Parameter 'filter')"
  // e.g. "Invalid syntax for 'userId lt 1': Type 'string', expect 'int'. (Parameter 'filter')";
  // <subject> is the whole filter for syntax errors (white-space-only text is one), else the
  // source text of the failing sub-expression. See parser.h and checker.h for the details.
  // Cost: about linear in the text; nesting deeper than 100 levels is an error, not a stack
  // overflow.
  static StatusOr<Filter> parse(std::string_view text);

  // True for the empty filter.
  bool empty() const { return program_ == nullptr; }

  // The filter text as given to parse() ("" for the empty filter).
  std::string_view text() const;

  // True when the connection is selected. The empty filter matches everything. Never fails:
  // run-time-only problems (a substring() range, an operand that was null during validation and
  // has another type now) yield null, so comparisons on them are false. Does not allocate unless
  // the filter calls tolower/toupper/concat/substring. Thread-safe; `subject` is used only during
  // the call.
  bool matches(const FilterSubject& subject) const;

 private:
  explicit Filter(std::shared_ptr<const Program> program) : program_(std::move(program)) {}

  std::shared_ptr<const Program> program_;  // null for the empty filter
};

}  // namespace wps::filter
