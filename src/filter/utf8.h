// Minimal UTF-8 codec used by the filter's string functions, which count and cut text in UTF-16
// code units (as .NET does). Pure functions, thread-safe, never throw, total on any byte string:
// malformed input is decoded one byte at a time instead of failing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wps::filter::utf8 {

// One decoded character. `length` is the number of bytes consumed (1-4, never 0 for a
// non-empty input). `valid` is false for a malformed sequence, in which case `length` is 1 and
// `codePoint` is the raw byte value. Plain value; no thread affinity.
struct Decoded {
  uint32_t codePoint;
  uint8_t length;
  bool valid;
};

// Decodes the character starting at byte `pos` of `s`. Precondition: pos < s.size().
// Accepts RFC 3629 sequences only (no overlongs, no encoded surrogates, max U+10FFFF).
Decoded decodeAt(std::string_view s, size_t pos);

// UTF-16 code units taken by a decoded character: 2 for a valid supplementary code point,
// otherwise 1 (a malformed byte counts as one unit).
inline size_t utf16Units(const Decoded& d) {
  return d.valid && d.codePoint >= 0x10000 ? 2 : 1;
}

// Appends the UTF-8 encoding of `codePoint` (< 0x110000) to `out`. Surrogate code points
// (U+D800..U+DFFF) are written as three-byte sequences ("WTF-8"), which is how a lone UTF-16
// surrogate produced by cutting a surrogate pair is carried.
void append(std::string& out, uint32_t codePoint);

// Returns `s` with every malformed byte replaced by U+FFFD. Used only to quote invalid input
// in error messages.
std::string sanitize(std::string_view s);

}  // namespace wps::filter::utf8
