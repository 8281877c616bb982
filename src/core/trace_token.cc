#include "core/trace_token.h"

#include "auth/jwt.h"
#include "core/request_token.h"

namespace wps::core {

std::string mintTraceToken(const config::ServerSettings& settings, std::string_view baseUrl,
                           std::chrono::minutes lifetime, WallTime now) {
  std::string audience = std::string(baseUrl) + std::string(kTracePath);
  std::string payload =
      auth::buildClientTokenPayload(audience, now, lifetime, std::nullopt, {}, {});
  return auth::signJwt(payload, settings.accessKeys.front());
}

Status verifyTraceToken(const config::ServerSettings& settings, std::string_view token,
                        WallTime now, std::string_view requestHost) {
  auto claims = verifyRequestToken(settings, token, now, kTracePath, requestHost);
  if (!claims) return claims.status();
  return Status::ok();
}

}  // namespace wps::core
