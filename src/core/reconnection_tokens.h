// Reconnection tokens of reliable sessions (client-protocols.md §7.4): tamper-proof, bound to
// one connection id, 7-day lifetime. Format: base64url(connectionId "." expiry) "." base64url(
// HMAC-SHA256). The key is derived from the primary access key, so every node of a cluster that
// shares the keys accepts the tokens of the others. Immutable; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/time.h"

namespace wps::core {

class ReconnectionTokens {
 public:
  explicit ReconnectionTokens(std::string_view primaryAccessKey);

  std::string issue(std::string_view connectionId, WallTime now) const;
  // True if `token` was issued for `connectionId` and has not expired.
  bool verify(std::string_view token, std::string_view connectionId, WallTime now) const;

 private:
  std::string key_;
};

}  // namespace wps::core
