// Cluster mode (config [cluster] redis = ...): owns the cluster thread and its Redis link, the
// presence store, and the RedisBroker it installs into the engine. Keeps this node's presence in
// Redis (heartbeat + TTL; full resynchronisation after every reconnect) and reports degraded
// health while Redis is unreachable. Created and stopped from the control thread.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "config/settings.h"

namespace wps::core {
class Engine;
}

namespace wps::cluster {

class ClusterService {
 public:
  virtual ~ClusterService() = default;

  // Builds the service for `engine` (whose workers are not running yet) and installs its broker
  // and presence observers. Errors: an invalid cluster.redis address, an unusable TLS file.
  static StatusOr<std::unique_ptr<ClusterService>> create(const config::ServerSettings& settings,
                                                          core::Engine& engine);

  // Starts the cluster thread and connects (asynchronously, retrying forever).
  virtual void start() = 0;
  // Withdraws this node's presence (best effort) and stops the thread.
  virtual void stop() = 0;
  virtual const std::string& nodeId() const = 0;
};

}  // namespace wps::cluster
