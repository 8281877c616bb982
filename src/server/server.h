// The composition root: builds the transport runtime, the engine and the HTTP routes from the
// settings, starts them, and shuts them down gracefully. Methods are called from one control
// thread (main, or a test).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "config/generation.h"
#include "config/reload_plan.h"
#include "config/settings.h"

namespace wps::core {
class Engine;
}

namespace wps::server {

class Server {
 public:
  // Validates `settings` (every error names its key; unusable [tls] files are kInvalidArgument
  // too), opens the delivery outbox and builds
  // everything; nothing runs yet. Errors: kInvalidArgument for the settings; the outbox store's
  // (delivery/open_store.h: kFailedPrecondition when another process holds delivery.data_dir,
  // kDataLoss for a corrupt database, kUnavailable when it cannot be opened or created).
  static StatusOr<std::unique_ptr<Server>> create(config::ServerSettings settings);
  virtual ~Server() = default;

  // Binds the listener, starts the outbox thread and the outbox (which queues a `disconnected`
  // for every connection a previous process left recorded), then the workers. Errors: the
  // listen address cannot be bound; the outbox store's.
  virtual Status start() = 0;
  virtual uint16_t port() const = 0;
  // "Endpoint=http://HOST:PORT;AccessKey=KEY;Version=1.0;" with the bound port (https:// with
  // [tls]; public_endpoint replaces the origin).
  virtual std::string connectionString() const = 0;
  // Graceful shutdown: stop accepting, close every client (1001) so each gets `disconnected`
  // upstream, wait until the sessions are gone and the outbox delivered every pending event or
  // shutdown.drain_seconds passed, stop the outbox (events left stay in a data_dir outbox for
  // the next start; without one their number is logged as lost), stop. Blocks.
  virtual void shutdown() = 0;

  // Thread-safe (SIGHUP). Reloads the [tls] certificate and key from their files: new
  // handshakes use them, open connections keep theirs. On an error (logged and returned: the
  // files' messages as at start) the previous pair stays. Without [tls]: nothing to do.
  virtual Status reloadTls() = 0;

  // Where reloads (SIGHUP through reload(), POST /api/admin/reload) read the configuration:
  // the start's path (server/commands.h). Control thread, before start().
  virtual void setReloadSource(std::function<StatusOr<config::ServerSettings>()> source) = 0;
  // Control thread (SIGHUP), or any thread that runs no worker. Re-reads the configuration
  // from the reload source and puts it into effect without dropping a client (docs/
  // operations.md, Reload): every worker and the outbox use it when this returns; restart-only
  // keys keep their running values and are named in the plan. Reloads are serialised. Errors
  // (logged; the running configuration stays entirely): kInvalidArgument with the loader's or
  // the [tls] files' message; kUnavailable after shutdown() began.
  virtual StatusOr<config::ReloadPlan> reload() = 0;

  // Thread-safe. The settings in effect (the last reload's, else the start's).
  virtual config::SettingsPtr settings() const = 0;
  virtual core::Engine& engine() = 0;
};

// Blocks SIGINT/SIGTERM and SIGHUP in the calling thread (call before start(), so worker
// threads inherit the mask) and then waits for one of them. Returns the signal number.
void blockTerminationSignals();
int waitForTerminationSignal();

}  // namespace wps::server
