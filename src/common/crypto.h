// Thin wrappers over OpenSSL primitives. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace wps {

enum class HmacAlg { kSha256, kSha384, kSha512 };

// Raw HMAC digest bytes.
std::string hmac(HmacAlg alg, std::string_view key, std::string_view message);
inline std::string hmacSha256(std::string_view key, std::string_view message) {
  return hmac(HmacAlg::kSha256, key, message);
}
std::string sha1(std::string_view data);
std::string sha256(std::string_view data);

// Lowercase hex of arbitrary bytes.
std::string toHexLower(std::string_view bytes);

// Constant-time comparison (time depends only on the lengths).
bool constantTimeEquals(std::string_view a, std::string_view b);

// Cryptographically secure random bytes. Never fails in practice; aborts if the system CSPRNG
// is unavailable (the server cannot run safely without it).
std::string secureRandomBytes(size_t n);

}  // namespace wps
