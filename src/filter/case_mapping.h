// Invariant (culture-independent) simple case mapping of single code points, as used by the
// filter's tolower()/toupper(). The tables are Unicode simple case mappings (UnicodeData.txt,
// Unicode 14) with .NET's invariant exceptions: U+0130 has no lower-case mapping and U+0131 no
// upper-case mapping. They are compiled in, so results never depend on the host's locales.
// Pure functions, thread-safe, never throw.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wps::filter {

// The simple lower-/upper-case mapping of `codePoint`, or `codePoint` itself when it has none.
uint32_t toLowerCodePoint(uint32_t codePoint);
uint32_t toUpperCodePoint(uint32_t codePoint);

// Maps every character of the UTF-8 text `s`; malformed bytes are copied unchanged. Allocates
// the result (one allocation of about s.size() bytes).
std::string toLowerInvariant(std::string_view s);
std::string toUpperInvariant(std::string_view s);

}  // namespace wps::filter
