// Client access tokens and the public base URL they are issued for: the one place that derives
// the URL clients and SDKs use (for tokens, nextLinks and connection strings) and that mints
// client tokens (REST generateToken and the `webpubsubd token` command).
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "config/settings.h"

namespace wps::core {

// "http://HOST" or "https://HOST" for a request that arrived with Host header `host`.
std::string requestOrigin(bool secure, std::string_view host);

// The WebHook-Request-Origin of events of a connection whose handshake carried Host `host`:
// upstream.request_origin when set, else public_endpoint's host when set, else `host` without
// its port. The client-controlled Host is used only when no origin is configured.
std::string webhookRequestOrigin(const config::ServerSettings& settings, std::string_view host);

// "http://HOST:PORT" ("https://…" when `secure`: [tls] is on) for a listen address: a wildcard
// (or empty) host becomes 127.0.0.1 and an IPv6 address is bracketed.
std::string listenOrigin(std::string_view host, uint16_t port, bool secure = false);

// The base URL clients and SDKs use: `settings.publicEndpoint` when set, else `origin` (see
// requestOrigin, listenOrigin); never ends with '/'.
std::string publicBaseUrl(const config::ServerSettings& settings, std::string_view origin);

struct ClientTokenSpec {
  std::string hub;                    // as the caller wrote it (the audience keeps its case)
  std::optional<std::string> userId;  // the "sub" claim; none when absent
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  std::chrono::minutes lifetime{60};
};

// A client access token with audience "<baseUrl>/client/hubs/<hub>", issued at `now` and signed
// (HS256) with the primary access key. Precondition: settings.accessKeys is not empty.
std::string mintClientToken(const config::ServerSettings& settings, std::string_view baseUrl,
                            const ClientTokenSpec& spec, WallTime now);

}  // namespace wps::core
