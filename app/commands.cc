#include "app/commands.h"

#include <cstdio>
#include <iostream>

#include "auth/access_key.h"
#include "auth/jwt.h"
#include "common/log.h"
#include "config/loader.h"
#include "protocol/names.h"
#include "server/server.h"

namespace wps::app {

void addServeOptions(CLI::App& app, ServeOptions& o) {
  app.add_option("--config", o.configFile, "TOML configuration file (docs/configuration.md)");
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (port 0 = any free port)");
  app.add_option("--access-key", o.accessKeys,
                 "Access key (repeatable; the first is primary). Default: one generated key");
  app.add_option("--public-endpoint", o.publicEndpoint,
                 "Public URL of this server, e.g. https://pubsub.example.com");
  app.add_option("--workers", o.workers, "Worker threads (0 = number of cores)");
  app.add_option("--log-level", o.logLevel, "trace, debug, info, warn, error or off");
}

void addTokenOptions(CLI::App& app, TokenOptions& o) {
  app.add_option("--hub", o.hub, "Hub name")->required();
  app.add_option("--user", o.user, "User id (sub claim)");
  app.add_option("--role", o.roles, "Role, e.g. webpubsub.joinLeaveGroup (repeatable)");
  app.add_option("--group", o.groups, "Group to join on connect (repeatable)");
  app.add_option("--minutes", o.minutes, "Token lifetime in minutes")->check(CLI::Range(1, 525600));
}

// Settings from the file (if any) with the command-line overrides applied.
static StatusOr<config::ServerSettings> loadEffectiveSettings(const ServeOptions& o) {
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
    std::fprintf(stderr, "webpubsubd: configuration error: %s\n",
                 settings.status().message().c_str());
    return 1;
  }
  if (!setLogLevel(settings->logLevel)) {
    std::fprintf(stderr, "webpubsubd: configuration error: log_level: unknown level\n");
    return 1;
  }
  server::blockTerminationSignals();
  auto server = server::Server::create(std::move(settings.value()));
  if (!server) {
    std::fprintf(stderr, "webpubsubd: configuration error: %s\n",
                 server.status().message().c_str());
    return 1;
  }
  Status st = (*server)->start();
  if (!st) {
    std::fprintf(stderr, "webpubsubd: %s\n", st.message().c_str());
    return 2;
  }
  std::printf("%s\n", (*server)->connectionString().c_str());
  std::fflush(stdout);
  int sig = server::waitForTerminationSignal();
  WPS_LOG_INFO("received signal {}", sig);
  (*server)->shutdown();
  return 0;
}

int runToken(const ServeOptions& serve, const TokenOptions& o) {
  initLogging("warn");
  auto settings = loadEffectiveSettings(serve);
  if (!settings) {
    std::fprintf(stderr, "webpubsubd: configuration error: %s\n",
                 settings.status().message().c_str());
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
  std::string endpoint = settings->publicEndpoint;
  if (endpoint.empty()) {
    std::string host = settings->listenHost;
    if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
    endpoint = "http://" + host + ":" + std::to_string(settings->listenPort);
  }
  while (!endpoint.empty() && endpoint.back() == '/')
    endpoint.pop_back();
  std::string audience = endpoint + "/client/hubs/" + o.hub;
  std::optional<std::string> user;
  if (!o.user.empty()) user = o.user;
  std::string payload = auth::buildClientTokenPayload(
      audience, WallClock::now(), std::chrono::minutes(o.minutes), user, o.roles, o.groups);
  std::string token = auth::signJwt(payload, settings->accessKeys.front());
  std::string ws = endpoint;
  if (ws.rfind("https://", 0) == 0) {
    ws = "wss://" + ws.substr(8);
  } else if (ws.rfind("http://", 0) == 0) {
    ws = "ws://" + ws.substr(7);
  }
  std::printf("%s/client/hubs/%s?access_token=%s\n", ws.c_str(), o.hub.c_str(), token.c_str());
  return 0;
}

}  // namespace wps::app
