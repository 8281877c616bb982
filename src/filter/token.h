// Lexical tokens of the filter language (rest-api.md §10.5). Plain value types.
#pragma once

#include <cstdint>
#include <string_view>

namespace wps::filter {

enum class TokenKind : uint8_t {
  kEnd,                // end of input (always the last token)
  kLeftParen,          // (
  kRightParen,         // )
  kComma,              // ,
  kWord,               // identifier, keyword, function name or true/false/null (context decides)
  kString,             // '...' with '' escapes; the span includes both quotes
  kInteger,            // optional sign and decimal digits (range is checked by the parser)
  kUnsupportedNumber,  // a number-like literal of another OData kind: 1.5, 1e3, 2020-01-01, 1L ...
  kOther,              // any other single character (always a syntax error where it appears)
};

// A token is a byte span [begin, end) of the filter text, free of surrounding white space.
// Plain value; no thread affinity.
struct Token {
  TokenKind kind;
  uint32_t begin;
  uint32_t end;

  // The token's text within `source`, the text it was lexed from.
  std::string_view text(std::string_view source) const { return source.substr(begin, end - begin); }
};

}  // namespace wps::filter
