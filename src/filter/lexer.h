// Splits filter text into tokens. Pure function, thread-safe, never throws (except
// std::bad_alloc).
#pragma once

#include <string_view>
#include <vector>

#include "common/status.h"
#include "filter/token.h"

namespace wps::filter {

// Tokenizes `text` (at most UINT32_MAX bytes). White space between tokens is any
// Char.IsWhiteSpace character. Words are runs of ASCII letters, digits and '_' and of non-ASCII,
// non-white-space characters, not starting with a digit; a keyword is just a word (so `noteq`
// is one word). A '+' or '-' directly followed by a digit starts a number; a number directly
// followed by a letter, digit, '_', '.', ':', '+', '-' or non-ASCII character becomes one
// kUnsupportedNumber token spanning that run.
//
// Success: the tokens, ending with one kEnd token whose span is [size, size).
// Error: kInvalidArgument whose message is the bare parser detail (not yet wrapped in
// "Invalid syntax for ..."): "Unterminated string literal at position N." where N is the
// 0-based byte offset of the opening quote.
StatusOr<std::vector<Token>> tokenize(std::string_view text);

}  // namespace wps::filter
