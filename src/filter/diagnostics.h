// The one shape of every filter error (rest-api.md §10.6):
//   Invalid syntax for '<subject>': <detail> (Parameter 'filter')
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace wps::filter {

// kInvalidArgument with the message above. `subject` is the whole filter for syntax errors, or
// the source text of the failing sub-expression for type and support errors.
Status filterError(std::string_view subject, std::string_view detail);

// Detail texts used by the checker (exact service wording).
// "Type '<actual>', expect '<expected>'."
std::string typeMismatch(std::string_view actual, std::string_view expected);
// "Token '<token>' is not supported."
std::string notSupported(std::string_view token);
// "Invalid token '<token>'."
std::string invalidToken(std::string_view token);

}  // namespace wps::filter
