// ce-signature (upstream-cloudevents.md §5). Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wps::cloudevents {

// "sha256=<hex(HMAC-SHA256(key, connectionId))>" for every non-empty key, joined with ','.
// Keys are used as the UTF-8 bytes of the key string (never base64-decoded).
std::string computeSignature(const std::vector<std::string>& accessKeys,
                             std::string_view connectionId);

// True if any item of `header` (possibly several comma-joined items) equals the signature of
// `connectionId` under any key (hex compared case-insensitively, constant time per item).
bool verifySignature(std::string_view header, const std::vector<std::string>& accessKeys,
                     std::string_view connectionId);

}  // namespace wps::cloudevents
