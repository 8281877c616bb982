// The composition root: builds the transport runtime, the engine and the HTTP routes from the
// settings, starts them, and shuts them down gracefully. Methods are called from one control
// thread (main, or a test).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "config/settings.h"

namespace wps::core {
class Engine;
}

namespace wps::server {

class Server {
 public:
  // Validates `settings` (every error names its key) and builds everything; nothing runs yet.
  static StatusOr<std::unique_ptr<Server>> create(config::ServerSettings settings);
  virtual ~Server() = default;

  // Binds the listener and starts the workers. Errors: the listen address cannot be bound.
  virtual Status start() = 0;
  virtual uint16_t port() const = 0;
  // "Endpoint=http://HOST:PORT;AccessKey=KEY;Version=1.0;" with the bound port.
  virtual std::string connectionString() const = 0;
  // Graceful shutdown: stop accepting, close every client (1001) so each gets `disconnected`
  // upstream, drain in-flight upstream requests until the drain deadline, stop. Blocks.
  virtual void shutdown() = 0;

  virtual const config::ServerSettings& settings() const = 0;
  virtual core::Engine& engine() = 0;
};

// Blocks SIGINT/SIGTERM in the calling thread (call before start(), so worker threads inherit
// the mask) and then waits for one of them. Returns the signal number.
void blockTerminationSignals();
int waitForTerminationSignal();

}  // namespace wps::server
