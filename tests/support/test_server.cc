#include "support/test_server.h"

#include <stdexcept>

#include "auth/jwt.h"
#include "common/log.h"

namespace wps::test {

config::ServerSettings TestServer::defaultSettings() {
  config::ServerSettings s;
  s.listenHost = "127.0.0.1";
  s.listenPort = 0;
  s.workers = 2;
  s.accessKeys = {kTestKey, kTestKey2};
  s.shutdownDrain = std::chrono::seconds(5);
  s.upstream.retryDelays = {std::chrono::milliseconds(100), std::chrono::milliseconds(200),
                            std::chrono::milliseconds(300)};
  return s;
}

config::HubSettings TestServer::hubWithHandler(const std::string& urlTemplate,
                                               const std::string& userEvents,
                                               std::vector<std::string> systemEvents) {
  config::HubSettings hub;
  config::EventHandlerSettings h{*cloudevents::UrlTemplate::parse(urlTemplate), {}, {}, {}, {}};
  if (!userEvents.empty()) h.userEvents = {userEvents};
  h.systemEvents = std::move(systemEvents);
  hub.eventHandlers.push_back(std::move(h));
  return hub;
}

TestServer::TestServer(config::ServerSettings settings) {
  static bool logging = [] {
    initLogging(std::getenv("WPS_TEST_LOG") ? std::getenv("WPS_TEST_LOG") : "warn");
    return true;
  }();
  (void)logging;
  auto s = server::Server::create(std::move(settings));
  if (!s) throw std::runtime_error("server settings: " + s.status().message());
  server_ = std::move(s.value());
  Status st = server_->start();
  if (!st) throw std::runtime_error("server start: " + st.message());
}

TestServer::~TestServer() {
  shutdown();
}

void TestServer::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  server_->shutdown();
}

std::string TestServer::token(const TokenSpec& spec) const {
  std::string aud = spec.audience.empty()
                        ? "http://127.0.0.1:" + std::to_string(port()) + "/client/hubs/" + spec.hub
                        : spec.audience;
  std::string payload = auth::buildClientTokenPayload(aud, WallClock::now(), spec.lifetime,
                                                      spec.userId, spec.roles, spec.groups);
  return auth::signJwt(payload, spec.key);
}

std::string TestServer::clientTarget(const std::string& hub, const TokenSpec& spec,
                                     const std::string& extraQuery) const {
  TokenSpec s = spec;
  if (s.audience.empty()) s.hub = hub;
  return "/client/hubs/" + hub + "?access_token=" + token(s) + extraQuery;
}

std::unique_ptr<WsClient> TestServer::connect(const std::string& hub, const TokenSpec& spec,
                                              const std::vector<std::string>& subprotocols,
                                              const std::string& extraQuery,
                                              HandshakeOutcome* outcome) const {
  return WsClient::connect(port(), clientTarget(hub, spec, extraQuery), subprotocols, outcome);
}

}  // namespace wps::test
