// Opaque, tamper-proof continuation tokens for paged group listings: the last connection id of
// a page, signed with a key derived from the primary access key (so every node accepts them).
// Immutable; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wps::api {

class ContinuationTokens {
 public:
  explicit ContinuationTokens(std::string_view primaryAccessKey);
  std::string issue(std::string_view hubKey, std::string_view group,
                    std::string_view lastConnectionId) const;
  // The last connection id of the previous page, or nullopt for a forged/foreign token.
  std::optional<std::string> verify(std::string_view token, std::string_view hubKey,
                                    std::string_view group) const;

 private:
  std::string key_;
};

}  // namespace wps::api
