// Runs a real webpubsubd (Server) in-process on 127.0.0.1:0 for integration tests, with helpers
// to mint client tokens and open clients. Destroying it performs the graceful shutdown.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "server/server.h"
#include "support/ws_client.h"

namespace wps::test {

inline constexpr const char* kTestKey = "test-access-key-0123456789-abcdefghijklmnop";
inline constexpr const char* kTestKey2 = "test-secondary-key-0123456789-abcdefghijklm";

struct TokenSpec {
  std::optional<std::string> userId;
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  std::chrono::seconds lifetime{3600};
  std::string key = kTestKey;
  std::string hub = "chat";  // used in the audience
  std::string audience;      // overrides the default audience when non-empty
};

class TestServer {
 public:
  // Settings defaults for tests: 2 workers, kTestKey, listen 127.0.0.1:0, short drain.
  static config::ServerSettings defaultSettings();
  // A hub whose single handler takes every event at `urlTemplate`.
  static config::HubSettings hubWithHandler(const std::string& urlTemplate,
                                            const std::string& userEvents = "*",
                                            std::vector<std::string> systemEvents = {
                                                "connect", "connected", "disconnected"});

  explicit TestServer(config::ServerSettings settings = defaultSettings());
  ~TestServer();

  uint16_t port() const { return server_->port(); }
  server::Server& server() { return *server_; }
  std::string connectionString() const { return server_->connectionString(); }

  std::string token(const TokenSpec& spec = {}) const;
  // "/client/hubs/<hub>?access_token=<token>" plus `extraQuery` ("&a=b").
  std::string clientTarget(const std::string& hub, const TokenSpec& spec = {},
                           const std::string& extraQuery = "") const;
  std::unique_ptr<WsClient> connect(const std::string& hub, const TokenSpec& spec = {},
                                    const std::vector<std::string>& subprotocols = {},
                                    const std::string& extraQuery = "",
                                    HandshakeOutcome* outcome = nullptr) const;
  void shutdown();

 private:
  std::unique_ptr<server::Server> server_;
  bool stopped_ = false;
};

}  // namespace wps::test
