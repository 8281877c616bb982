// Access keys: the shared HMAC secrets of the connection string (rest-api.md §1.2, §9).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace wps::auth {

inline constexpr size_t kMinAccessKeyBytes = 32;

// Success: `key` is at least kMinAccessKeyBytes bytes, has no ';', no control characters
// (C0, DEL, and the C1 range U+0080..U+009F) and no leading or trailing whitespace (ASCII or
// Unicode spaces). Errors: kInvalidArgument naming the problem; the message NEVER contains the
// key or any part of it. Pure; thread-safe.
Status validateAccessKey(std::string_view key);

// A fresh random key: 32 bytes from the system CSPRNG (secureRandomBytes) in the base64url
// alphabet, 43 characters, always passing validateAccessKey. Aborts only if the CSPRNG is
// unavailable (see common/crypto.h). Thread-safe.
std::string generateAccessKey();

}  // namespace wps::auth
