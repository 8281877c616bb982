#include "core/reconnection_tokens.h"

#include "common/base64.h"
#include "common/crypto.h"
#include "common/strings.h"

namespace wps::core {

static constexpr int64_t kLifetimeSeconds = 7 * 24 * 3600;

ReconnectionTokens::ReconnectionTokens(std::string_view primaryAccessKey)
    : key_(hmacSha256(primaryAccessKey, "webpubsubd reconnection token v1")) {}

std::string ReconnectionTokens::issue(std::string_view connectionId, WallTime now) const {
  std::string body(connectionId);
  body += '.';
  body += std::to_string(unixSeconds(now) + kLifetimeSeconds);
  std::string encoded = base64UrlEncode(body);
  return encoded + "." + base64UrlEncode(hmacSha256(key_, encoded));
}

bool ReconnectionTokens::verify(std::string_view token, std::string_view connectionId,
                                WallTime now) const {
  size_t dot = token.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view encoded = token.substr(0, dot);
  auto mac = base64UrlDecode(token.substr(dot + 1));
  if (!mac || !constantTimeEquals(*mac, hmacSha256(key_, encoded))) return false;
  auto body = base64UrlDecode(encoded);
  if (!body) return false;
  size_t sep = body->rfind('.');
  if (sep == std::string::npos) return false;
  if (std::string_view(*body).substr(0, sep) != connectionId) return false;
  auto expiry = parseInt64(std::string_view(*body).substr(sep + 1));
  return expiry && unixSeconds(now) <= *expiry;
}

}  // namespace wps::core
