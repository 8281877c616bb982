// The string primitives behind the filter functions, with .NET semantics over UTF-8 text:
// positions and lengths are UTF-16 code units (string.Length), comparisons are ordinal (bytes),
// white space is Char.IsWhiteSpace. Pure functions, thread-safe, never throw (except
// std::bad_alloc where they allocate), total on malformed UTF-8 (a bad byte is one unit).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wps::filter::text {

// Byte length of the white-space character (Char.IsWhiteSpace: U+0009..U+000D, U+0020, U+0085,
// U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000) starting at byte `pos`
// of `s`, or 0 when there is none (including pos >= s.size()).
size_t whitespaceLengthAt(std::string_view s, size_t pos);

// `s` without leading and trailing white space (as above). Returns a view into `s`; no copy.
std::string_view trimWhitespace(std::string_view s);

// length(s): UTF-16 code units (wps::utf16Length), saturated at INT32_MAX.
int32_t length(std::string_view s);

// indexof(s, t): the UTF-16 index of the first ordinal occurrence of `t` in `s`, 0 for an empty
// `t`, -1 when absent. Does not allocate.
int32_t indexOf(std::string_view s, std::string_view t);

// substring(s, start[, count]) in UTF-16 units. nullopt when start < 0, start > length(s),
// count < 0 or count > length(s) - start (.NET would throw; the filter yields null). A cut
// through a surrogate pair keeps the lone surrogate (WTF-8), as .NET would. Allocates the result.
std::optional<std::string> substring(std::string_view s, int32_t start,
                                     std::optional<int32_t> count);

}  // namespace wps::filter::text
