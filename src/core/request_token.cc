#include "core/request_token.h"

#include "auth/audience.h"
#include "cloudevents/url_template.h"

namespace wps::core {

StatusOr<auth::JwtClaims> verifyRequestToken(const config::ServerSettings& settings,
                                             std::string_view token, WallTime now,
                                             std::string_view expectedRawPath,
                                             std::string_view requestHost) {
  auth::JwtVerifyOptions options;
  options.keys = settings.accessKeys;
  options.now = now;
  auto claims = auth::verifyJwt(token, options);
  if (!claims) return claims.status();
  auth::AudienceOptions audience;
  if (!settings.publicEndpoint.empty()) {
    if (auto parts = cloudevents::parseHttpUrl(settings.publicEndpoint)) {
      std::string_view path = parts->target;
      path = path.substr(0, path.find('?'));
      while (!path.empty() && path.back() == '/')
        path.remove_suffix(1);
      audience.pathPrefix = std::string(path);
      audience.allowedAuthorities.push_back(parts->hostHeader);
    }
  } else {
    // Without a public endpoint the request's own Host is the only authority the server knows;
    // with one, the Host header (client-controlled) must not widen the allowed set.
    audience.allowedAuthorities.emplace_back(requestHost);
  }
  audience.strictHost = settings.strictAudienceHost;
  if (!auth::anyAudienceMatches(claims->audiences, expectedRawPath, audience)) {
    return unauthenticated("the audience does not match the requested resource");
  }
  return claims;
}

}  // namespace wps::core
