#include "server/commands.h"

#include <cstdio>

#include "auth/access_key.h"
#include "common/log.h"
#include "config/loader.h"
#include "core/tokens.h"
#include "protocol/names.h"
#include "server/server.h"

namespace wps::server {
namespace {

void printConfigurationError(const Status& status) {
  std::fprintf(stderr, "webpubsubd: configuration error: %s\n", status.message().c_str());
}

// ws:// for http://, wss:// for https:// (other URLs unchanged).
std::string webSocketUrl(const std::string& httpUrl) {
  if (httpUrl.rfind("https://", 0) == 0) return "wss://" + httpUrl.substr(8);
  if (httpUrl.rfind("http://", 0) == 0) return "ws://" + httpUrl.substr(7);
  return httpUrl;
}

}  // namespace

StatusOr<config::ServerSettings> loadEffectiveSettings(const ServeOptions& o) {
  config::ServerSettings s;
  if (!o.configFile.empty()) {
    auto loaded = config::loadSettingsFile(o.configFile);
    if (!loaded) return loaded.status();
    s = std::move(loaded.value());
  }
  if (!o.listen.empty()) {
    Status st = config::parseListen(o.listen, &s.listenHost, &s.listenPort);
    if (!st) return invalidArgument("--listen: " + st.message());
  }
  if (!o.accessKeys.empty()) s.accessKeys = o.accessKeys;
  if (!o.publicEndpoint.empty()) s.publicEndpoint = o.publicEndpoint;
  if (o.workers >= 0) s.workers = static_cast<size_t>(o.workers);
  if (!o.logLevel.empty()) s.logLevel = o.logLevel;
  if (s.accessKeys.empty()) s.accessKeys.push_back(auth::generateAccessKey());
  Status st = config::validateSettings(s);
  if (!st) return st;
  return s;
}

int runServe(const ServeOptions& options) {
  initLogging("info");
  auto settings = loadEffectiveSettings(options);
  if (!settings) {
    printConfigurationError(settings.status());
    return 1;
  }
  if (!setLogLevel(settings->logLevel)) {
    std::fprintf(stderr, "webpubsubd: configuration error: log_level: unknown level\n");
    return 1;
  }
  blockTerminationSignals();
  auto server = Server::create(std::move(settings.value()));
  if (!server) {
    printConfigurationError(server.status());
    return 1;
  }
  Status st = (*server)->start();
  if (!st) {
    std::fprintf(stderr, "webpubsubd: %s\n", st.message().c_str());
    return 2;
  }
  std::printf("%s\n", (*server)->connectionString().c_str());
  std::fflush(stdout);
  int sig = waitForTerminationSignal();
  WPS_LOG_INFO("received signal {}", sig);
  (*server)->shutdown();
  return 0;
}

int runToken(const ServeOptions& serve, const TokenOptions& o) {
  initLogging("warn");
  auto settings = loadEffectiveSettings(serve);
  if (!settings) {
    printConfigurationError(settings.status());
    return 1;
  }
  if (serve.accessKeys.empty() && serve.configFile.empty()) {
    std::fprintf(stderr, "webpubsubd token: give the server's key with --access-key or --config\n");
    return 1;
  }
  if (!protocol::isValidHubName(o.hub)) {
    std::fprintf(stderr, "webpubsubd token: --hub: not a valid hub name\n");
    return 1;
  }
  std::string base = core::publicBaseUrl(
      *settings, core::listenOrigin(settings->listenHost, settings->listenPort));
  core::ClientTokenSpec spec;
  spec.hub = o.hub;
  if (!o.user.empty()) spec.userId = o.user;
  spec.roles = o.roles;
  spec.groups = o.groups;
  spec.lifetime = std::chrono::minutes(o.minutes);
  std::string token = core::mintClientToken(*settings, base, spec, WallClock::now());
  std::printf("%s/client/hubs/%s?access_token=%s\n", webSocketUrl(base).c_str(), o.hub.c_str(),
              token.c_str());
  return 0;
}

}  // namespace wps::server
