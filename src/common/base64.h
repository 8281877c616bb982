// Base64 (RFC 4648) standard and URL-safe alphabets. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wps {

std::string base64Encode(std::string_view bytes);     // standard alphabet, padded
std::string base64UrlEncode(std::string_view bytes);  // URL alphabet, no padding

// Strict standard-alphabet decoding: padding required, no whitespace, no trailing bits.
std::optional<std::string> base64Decode(std::string_view text);
// URL alphabet; padding optional.
std::optional<std::string> base64UrlDecode(std::string_view text);

// Appends base64 (standard, padded) of `bytes` to `out`.
void appendBase64(std::string& out, std::string_view bytes);

}  // namespace wps
