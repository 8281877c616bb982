#include "filter/lexer.h"

#include <string>

#include "filter/text_functions.h"

namespace wps::filter {

namespace {

bool isDigit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool isAsciiLetter(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// True when the byte at `pos` continues a word (non-ASCII white space ends it).
bool isWordByte(std::string_view s, size_t pos) {
  const unsigned char c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) return isAsciiLetter(c) || isDigit(c) || c == '_';
  return text::whitespaceLengthAt(s, pos) == 0;
}

// True when the byte at `pos` glues onto a number, turning it into another literal kind.
bool isNumberTail(std::string_view s, size_t pos) {
  const unsigned char c = static_cast<unsigned char>(s[pos]);
  return isWordByte(s, pos) || c == '.' || c == ':' || c == '+' || c == '-';
}

}  // namespace

StatusOr<std::vector<Token>> tokenize(std::string_view s) {
  std::vector<Token> tokens;
  size_t pos = 0;
  const auto push = [&](TokenKind kind, size_t begin, size_t end) {
    tokens.push_back({kind, static_cast<uint32_t>(begin), static_cast<uint32_t>(end)});
  };
  while (pos < s.size()) {
    if (size_t n = text::whitespaceLengthAt(s, pos)) {
      pos += n;
      continue;
    }
    const size_t begin = pos;
    const unsigned char c = static_cast<unsigned char>(s[pos]);
    if (c == '(' || c == ')' || c == ',') {
      push(c == '(' ? TokenKind::kLeftParen
                    : (c == ')' ? TokenKind::kRightParen : TokenKind::kComma),
           begin, begin + 1);
      ++pos;
    } else if (c == '\'') {
      ++pos;
      for (;;) {
        if (pos >= s.size()) {
          return invalidArgument("Unterminated string literal at position " +
                                 std::to_string(begin) + ".");
        }
        if (s[pos] == '\'') {
          if (pos + 1 < s.size() && s[pos + 1] == '\'') {
            pos += 2;
            continue;
          }
          ++pos;
          break;
        }
        ++pos;
      }
      push(TokenKind::kString, begin, pos);
    } else if (isDigit(c) || ((c == '+' || c == '-') && pos + 1 < s.size() &&
                              isDigit(static_cast<unsigned char>(s[pos + 1])))) {
      ++pos;
      while (pos < s.size() && isDigit(static_cast<unsigned char>(s[pos])))
        ++pos;
      if (pos < s.size() && isNumberTail(s, pos)) {
        while (pos < s.size() && isNumberTail(s, pos))
          ++pos;
        push(TokenKind::kUnsupportedNumber, begin, pos);
      } else {
        push(TokenKind::kInteger, begin, pos);
      }
    } else if (isWordByte(s, pos)) {
      while (pos < s.size() && isWordByte(s, pos))
        ++pos;
      push(TokenKind::kWord, begin, pos);
    } else {
      push(TokenKind::kOther, begin, begin + 1);
      ++pos;
    }
  }
  push(TokenKind::kEnd, s.size(), s.size());
  return tokens;
}

}  // namespace wps::filter
