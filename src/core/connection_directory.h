// Where each live logical connection of this node is: connection id → (hub, worker).
// Used to route connection-targeted operations (REST, recovery) straight to the owning worker.
// Thread-safe: 32 independently locked shards.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/mutex.h"

namespace wps::core {

class ConnectionDirectory {
 public:
  struct Location {
    std::string hubKey;
    size_t worker = 0;
    std::string subprotocol;  // as selected at connect time (recovery must offer it again)
    bool reliable = false;
  };

  // Registers a new id. Returns false (and changes nothing) if the id is already registered.
  bool insert(const std::string& connectionId, Location location);
  // Removes an id; no-op when absent.
  void erase(const std::string& connectionId);
  std::optional<Location> find(std::string_view connectionId) const;
  size_t size() const;

 private:
  struct Shard {
    mutable Mutex mu;
    std::unordered_map<std::string, Location> map GUARDED_BY(mu);
  };
  Shard& shardFor(std::string_view id) const;
  mutable std::array<Shard, 32> shards_;
};

}  // namespace wps::core
