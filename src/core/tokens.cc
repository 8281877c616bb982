#include "core/tokens.h"

#include "auth/jwt.h"
#include "cloudevents/url_template.h"

namespace wps::core {

std::string requestOrigin(bool secure, std::string_view host) {
  return (secure ? "https://" : "http://") + std::string(host);
}

namespace {
std::string hostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return std::string(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  return std::string(host.substr(0, host.find(':')));
}
}  // namespace

std::string webhookRequestOrigin(const config::ServerSettings& settings, std::string_view host) {
  if (!settings.upstream.requestOrigin.empty()) return settings.upstream.requestOrigin;
  if (!settings.publicEndpoint.empty()) {
    if (auto parts = cloudevents::parseHttpUrl(settings.publicEndpoint)) return parts->host;
  }
  return hostWithoutPort(host);
}

std::string listenOrigin(std::string_view host, uint16_t port) {
  std::string h(host);
  if (h == "0.0.0.0" || h == "::" || h.empty()) h = "127.0.0.1";
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return "http://" + h + ":" + std::to_string(port);
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
