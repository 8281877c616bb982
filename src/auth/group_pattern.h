// Wildcard group-name patterns of the `webpubsub.joinLeaveGroups.<pattern>` and
// `webpubsub.sendToGroups.<pattern>` roles (client-protocols.md §4.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace wps::auth {

// Grammar (whole-name match, case-sensitive, bytes of UTF-8 text):
//   ?        exactly one code point other than '.'
//   *        zero or more bytes other than '.' (stays within one dot-separated segment)
//   **       (two or more '*' in a row) zero or more bytes, dots included
//   \* \? \\ a literal '*', '?', '\'; any other escape, or a trailing lone '\', is invalid
//   other    the byte itself
// Limits: not empty, at most kMaxStars unescaped '*' characters (each '*' of a '**' counts),
// at most kMaxLength characters (UTF-16 code units, like .NET's string.Length).
//
// A compiled pattern is an immutable value: copyable, movable, and safe to use from several
// threads at once (matches() is const and keeps no state).
class GroupPattern {
 public:
  static constexpr size_t kMaxStars = 5;
  static constexpr size_t kMaxLength = 1024;

  // Success: the compiled pattern. Errors: kInvalidArgument with a message naming the problem
  // (empty, too long, too many '*', invalid escape, trailing backslash); the message may quote
  // the offending escape character but never the whole pattern. Never throws on any input.
  static StatusOr<GroupPattern> compile(std::string_view pattern);

  // True when `group` matches the whole pattern. Runs in O(group.size() * tokens) time with no
  // backtracking blow-up; allocates at most one buffer of group.size() + 1 bytes (none when
  // the pattern has no '*'). Never throws except std::bad_alloc.
  bool matches(std::string_view group) const;

  // True when the pattern has no wildcard ('?', '*'): it then matches exactly literal().
  bool isLiteral() const;
  // True when the pattern is only stars with at least one "**" (it matches every name).
  bool matchesEverything() const;
  // The unescaped text of a literal pattern (meaningful only when isLiteral()).
  std::string literal() const;
  // The pattern as given to compile().
  const std::string& source() const { return source_; }

 private:
  enum class Kind : uint8_t { kLiteral, kAnyChar, kStar, kDoubleStar };
  struct Token {
    Kind kind;
    uint32_t offset;  // kLiteral: range of literals_
    uint32_t length;
  };

  GroupPattern() = default;
  // Runs the star-free tokens [first, last) from byte `pos` of `group`. Returns the end
  // position, or npos when they do not match there (the run is deterministic).
  size_t runChunk(size_t first, size_t last, std::string_view group, size_t pos) const;

  std::string source_;
  std::string literals_;  // unescaped literal bytes, referenced by kLiteral tokens
  std::vector<Token> tokens_;
  size_t minLength_ = 0;  // bytes every match needs at least
  bool hasStar_ = false;
};

}  // namespace wps::auth
