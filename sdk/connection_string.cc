#include "webpubsub/connection_string.h"

#include "auth/jwt.h"
#include "common/strings.h"

namespace webpubsub::service {
namespace {

Error invalid(std::string message) {
  return Error{0, "InvalidArgument", std::move(message)};
}

}  // namespace

Result<ConnectionString> parseConnectionString(std::string_view text) {
  std::optional<std::string> endpoint, key, port, version;
  for (std::string_view segment : wps::split(text, ';')) {
    size_t eq = segment.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name = wps::toLowerAscii(wps::trim(segment.substr(0, eq)));
    std::string value(wps::trim(segment.substr(eq + 1)));
    if (name == "endpoint") {
      endpoint = value;
    } else if (name == "accesskey") {
      key = value;
    } else if (name == "port") {
      port = value;
    } else if (name == "version") {
      version = value;
    }
  }
  if (!endpoint || endpoint->empty()) {
    return invalid("The connection string has no Endpoint.");
  }
  if (!key || key->empty()) return invalid("The connection string has no AccessKey.");
  std::string ep = *endpoint;
  std::string scheme;
  if (wps::istartsWith(ep, "http://")) {
    scheme = "http";
  } else if (wps::istartsWith(ep, "https://")) {
    scheme = "https";
  } else {
    return invalid("Endpoint '" + ep + "' is not an absolute http:// or https:// URL.");
  }
  std::string rest = ep.substr(scheme.size() + 3);
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : rest.substr(slash);
  if (authority.empty() || authority.find_first_of("?#@ ") != std::string::npos) {
    return invalid("Endpoint '" + ep + "' has no valid host.");
  }
  if (port) {
    auto p = wps::parseUint64(*port);
    if (!p || *p == 0 || *p > 65535) return invalid("Port '" + *port + "' is not 1..65535.");
    // Replace an explicit port of the authority (IPv6 literals keep their brackets).
    size_t close = authority.rfind(']');
    size_t colon = authority.rfind(':');
    if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
      authority.resize(colon);
    }
    authority += ":" + std::to_string(*p);
  }
  ConnectionString cs;
  cs.endpoint = scheme + "://" + authority + path;
  cs.accessKey = *key;
  cs.version = version.value_or("");
  return cs;
}

ClientAccess generateClientAccess(const ConnectionString& connection, std::string_view hub,
                                  const ClientAccessOptions& options,
                                  std::chrono::system_clock::time_point now) {
  std::string path;
  switch (options.protocol) {
    case ClientProtocol::kDefault:
      path = "/client/hubs/";
      break;
    case ClientProtocol::kMqtt:
      path = "/clients/mqtt/hubs/";
      break;
    case ClientProtocol::kSocketIo:
      path = "/clients/socketio/hubs/";
      break;
  }
  path += hub;
  std::string audience = connection.endpoint + path;
  std::optional<std::string> user;
  if (options.userId && !options.userId->empty()) user = options.userId;
  std::string payload = wps::auth::buildClientTokenPayload(
      audience, now, std::chrono::duration_cast<std::chrono::seconds>(options.expiresAfter), user,
      options.roles, options.groups);
  ClientAccess access;
  access.token = wps::auth::signJwt(payload, connection.accessKey);
  bool https = wps::istartsWith(connection.endpoint, "https://");
  access.baseUrl = (https ? "wss://" : "ws://") + connection.endpoint.substr(https ? 8 : 7) + path;
  access.url = access.baseUrl + "?access_token=" + access.token;
  return access;
}

std::string generateRestToken(const ConnectionString& connection, std::string_view url,
                              std::chrono::system_clock::time_point now,
                              std::chrono::seconds lifetime) {
  std::string payload =
      wps::auth::buildClientTokenPayload(url, now, lifetime, std::nullopt, {}, {});
  return wps::auth::signJwt(payload, connection.accessKey);
}

}  // namespace webpubsub::service
