// Cluster mode (config [cluster] redis = ...): owns the cluster thread and its Redis link, the
// presence store, and the RedisBroker it installs into the engine. Keeps this node's presence in
// Redis (heartbeat + TTL; full resynchronisation after every reconnect) and reports degraded
// health while Redis is unreachable. With an outbox attached it also keeps this node's connection
// registry in Redis and sends `disconnected` for the connections of dead nodes (docs/cluster.md,
// "Dead nodes"). Created and stopped from the control thread.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "config/settings.h"
#include "delivery/event_outbox.h"

namespace wps::core {
class Engine;
}

namespace wps::cluster {

class ClusterService {
 public:
  virtual ~ClusterService() = default;

  // Builds the service for `engine` (whose workers are not running yet) and installs its broker.
  // Errors: an invalid cluster.redis address, an unusable TLS file.
  static StatusOr<std::unique_ptr<ClusterService>> create(const config::ServerSettings& settings,
                                                          core::Engine& engine);

  // Before start(), at most once (not called: the feature is off). `outbox` (which must outlive
  // the service) receives the `disconnected` events of dead nodes' connections. The returned
  // outbox forwards to `outbox` and registers this node's connections in Redis: the workers
  // must hand their events to it instead of `outbox`. Owned by the service; thread-safe.
  virtual delivery::EventOutbox& attachOutbox(delivery::EventOutbox& outbox) = 0;

  // Starts the cluster thread and connects (asynchronously, retrying forever).
  virtual void start() = 0;
  // Withdraws this node's presence (best effort) and stops the thread.
  virtual void stop() = 0;
  virtual const std::string& nodeId() const = 0;
};

}  // namespace wps::cluster
