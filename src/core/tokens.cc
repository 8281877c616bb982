#include "core/tokens.h"

#include "auth/jwt.h"
#include "upstream/event_dispatcher.h"

namespace wps::core {

std::string requestOrigin(bool secure, std::string_view host) {
  return (secure ? "https://" : "http://") + std::string(host);
}

std::string webhookRequestOrigin(const config::ServerSettings& settings, std::string_view host) {
  return upstream::webhookRequestOrigin(settings, host);  // the rule lives where the outbox sees it
}

std::string listenOrigin(std::string_view host, uint16_t port, bool secure) {
  std::string h(host);
  if (h == "0.0.0.0" || h == "::" || h.empty()) h = "127.0.0.1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return (secure ? "https://" : "http://") + h + ":" + std::to_string(port);
}

std::string publicBaseUrl(const config::ServerSettings& settings, std::string_view origin) {
  std::string base =
      settings.publicEndpoint.empty() ? std::string(origin) : settings.publicEndpoint;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base;
}

std::string mintClientToken(const config::ServerSettings& settings, std::string_view baseUrl,
                            const ClientTokenSpec& spec, WallTime now) {
  std::string audience = std::string(baseUrl) + "/client/hubs/" + spec.hub;
  std::string payload = auth::buildClientTokenPayload(audience, now, spec.lifetime, spec.userId,
                                                      spec.roles, spec.groups);
  return auth::signJwt(payload, settings.accessKeys.front());
}

}  // namespace wps::core
