#include "api/continuation_token.h"

#include "common/base64.h"
#include "common/crypto.h"

namespace wps::api {

ContinuationTokens::ContinuationTokens(std::string_view primaryAccessKey)
    : key_(hmacSha256(primaryAccessKey, "webpubsubd continuation token v1")) {}

std::string ContinuationTokens::issue(std::string_view hubKey, std::string_view group,
                                      std::string_view lastConnectionId) const {
  std::string scope(hubKey);
  scope += '\n';
  scope += group;
  scope += '\n';
  std::string mac = hmacSha256(key_, scope + std::string(lastConnectionId)).substr(0, 16);
  return base64UrlEncode(lastConnectionId) + "." + base64UrlEncode(mac);
}

std::optional<std::string> ContinuationTokens::verify(std::string_view token,
                                                      std::string_view hubKey,
                                                      std::string_view group) const {
  size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto last = base64UrlDecode(token.substr(0, dot));
  auto mac = base64UrlDecode(token.substr(dot + 1));
  if (!last || !mac) return std::nullopt;
  std::string scope(hubKey);
  scope += '\n';
  scope += group;
  scope += '\n';
  std::string expected = hmacSha256(key_, scope + *last).substr(0, 16);
  if (!constantTimeEquals(*mac, expected)) return std::nullopt;
  return last;
}

}  // namespace wps::api
