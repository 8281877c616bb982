// What the live trace never shows: tokens and keys. Applied to every value a viewer receives
// (details and payloads), on the viewer's thread. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace wps::trace {

inline constexpr std::string_view kRedacted = "[redacted]";

// `text` with every JWT-shaped run (three base64url parts joined by '.', the first starting
// "eyJ") replaced by kRedacted, and the value after "AccessKey=", "access_token=", "token=",
// "key=", "sig=", "code=" (any case, up to the next ';', '&', quote or blank) replaced too.
std::string redactSecrets(std::string_view text);

// A URL for display: scheme, authority (without userinfo) and path; the query and fragment are
// dropped (they may hold function keys or tokens).
std::string displayUrl(std::string_view url);

}  // namespace wps::trace
