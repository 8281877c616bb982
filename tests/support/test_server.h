// Runs a real webpubsubd (Server) in-process on 127.0.0.1:0 for integration tests, with helpers
// to mint client tokens and open clients. Destroying it performs the graceful shutdown.
#pragma once

#include <sys/types.h>

#include <chrono>
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

// The value of one /metrics sample of the server on 127.0.0.1:port, labels included in `sample`
// (e.g. `webpubsubd_delivery_dropped_total{reason="gone"}`); -1 when absent or unreachable.
double scrapeMetric(uint16_t port, const std::string& sample);

// A real webpubsubd as a child process (for kill -9 and restarts): started with `--config FILE
// --listen 127.0.0.1:0` plus extra arguments, its stdout and stderr appended to a log file.
// Each start() listens on a new port (port 0). The child is killed (SIGKILL, by its PID) and
// reaped when the object is destroyed. Owned by the test's thread; not thread-safe.
class ServerProcess {
 public:
  // `binary`: the webpubsubd executable; `logFile`: where its output goes (appended).
  ServerProcess(std::string binary, std::string configFile, std::string logFile,
                std::vector<std::string> extraArgs = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the child and waits (up to `timeout`) for its "Endpoint=" line. False when it
  // exited first or did not get ready (then exitStatus() tells how it ended, if it did).
  bool start(std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));
  // SIGKILL and reap (nothing runs after the signal: no flush, no shutdown).
  void kill9();
  // SIGTERM, then waits up to `timeout` for the exit; returns the exit code (-1: it did not
  // exit in time, then it is killed; 128+N: killed by signal N).
  int terminate(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for the child to exit on its own; returns its code as terminate().
  int waitExit(std::chrono::milliseconds timeout);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  uint16_t port() const { return port_; }
  std::optional<int> exitStatus() const { return exitStatus_; }
  // Everything the child wrote so far (all starts).
  std::string log() const;
  // scrapeMetric() on this server.
  double metric(const std::string& sample) const { return scrapeMetric(port_, sample); }

 private:
  bool reap(bool block);

  std::string binary_;
  std::string configFile_;
  std::string logFile_;
  std::vector<std::string> extraArgs_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  size_t logOffset_ = 0;  // where the current start's output begins
  std::optional<int> exitStatus_;
};

}  // namespace wps::test
