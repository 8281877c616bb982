// String helpers with no allocation surprises. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wps {

// ASCII-only case folding (protocol tokens, header names, hub names).
char asciiLower(char c);
std::string toLowerAscii(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool istartsWith(std::string_view s, std::string_view prefix);
bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);

// Trims ASCII whitespace (space, tab, CR, LF) from both ends.
std::string_view trim(std::string_view s);
// True if the string is empty or only whitespace (Unicode White_Space for ASCII and the common
// Latin-1/General Punctuation spaces when given UTF-8).
bool isBlank(std::string_view s);

// Splits on `sep`; keeps empty items.
std::vector<std::string_view> split(std::string_view s, char sep);

// Percent-decodes once. When `plusAsSpace` (query strings), '+' becomes ' '.
// Returns nullopt for a malformed escape ("%G1", "%4").
std::optional<std::string> percentDecode(std::string_view s, bool plusAsSpace);
// The most query parameters a request may carry (handshake and REST); more is answered 400
// before anything is decoded or looked up.
inline constexpr size_t kMaxQueryParameters = 100;
// The number of parameters parseQueryString would return (non-empty '&'-separated items), in
// one pass without decoding.
size_t countQueryParameters(std::string_view query);
// Splits "a=1&b=&c" into form-decoded pairs ('+' is a space), in order, keeping repeats; empty
// items are skipped. nullopt when an escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parseQueryString(
    std::string_view query);

// RFC 3986 data escaping: everything except A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase hex).
std::string percentEncodeData(std::string_view s);

// Parses a non-negative decimal integer that fits uint64; rejects signs, spaces and empty input.
std::optional<uint64_t> parseUint64(std::string_view s);
// Parses an optionally signed decimal int64.
std::optional<int64_t> parseInt64(std::string_view s);

// UTF-8 validation and UTF-16 lengths: common/utf8.h.

// True if every byte is < 0x80.
bool isAscii(std::string_view s);

// Appends `s` as a JSON string literal (with quotes and escapes) to `out`.
void appendJsonString(std::string& out, std::string_view s);

}  // namespace wps
