// The producers' outbox in cluster mode: forwards every event to this node's outbox and keeps
// the list of this node's connections (recorded by their `connected` event or, when that event
// is not delivered, by recordConnection(); updated by state changes, removed by their
// `disconnected` event, as the outbox's own connection records are) so that the cluster thread
// can mirror it into this node's Redis registry (cluster/connection_registry.h). Changes are
// coalesced per connection until the cluster thread takes them.
// Thread-safe: accept(), recordConnection() and updateConnectionState() run on any worker;
// takeChanges() and snapshot() on the cluster thread. One mutex, never held while calling out.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "delivery/event_outbox.h"

namespace wps::cluster {

class ConnectionTracker final : public delivery::EventOutbox {
 public:
  // One coalesced change: the connection's registry value, or nullopt when it is gone.
  struct Change {
    std::string connectionId;
    std::optional<std::string> value;
  };

  // `inner` must outlive the tracker. `onChanged` (may be empty) runs on the producer's thread,
  // outside the lock, when a change arrives while none was waiting: the cue to takeChanges().
  ConnectionTracker(delivery::EventOutbox& inner, std::function<void()> onChanged);

  // Forwards to the inner outbox after recording a connected/disconnected event.
  void accept(delivery::PendingEvent event, SetCookieHook onSetCookie = {}) override;
  // Records the connection as an accepted connected event does, then forwards it.
  void recordConnection(delivery::ConnectionRecord record) override;
  // Forwards to the inner outbox after recording the state of a known connection.
  void updateConnectionState(std::string connectionId, std::string state) override;

  // The changes since the last takeChanges() or snapshot(), one per connection.
  std::vector<Change> takeChanges();
  // Every connection's registry value (field, value); also discards the waiting changes (a full
  // rewrite of the registry supersedes them).
  std::vector<std::pair<std::string, std::string>> snapshot();
  size_t size() const;

 private:
  // Records `change` for `connectionId` under the lock; true when it is the first one waiting.
  bool markChanged(const std::string& connectionId) REQUIRES(mu_);
  // Records `record` as live; true when it is the first change waiting.
  bool addLive(delivery::ConnectionRecord record) EXCLUDES(mu_);

  delivery::EventOutbox& inner_;
  std::function<void()> onChanged_;
  mutable Mutex mu_;
  std::unordered_map<std::string, delivery::ConnectionRecord> live_ GUARDED_BY(mu_);
  std::unordered_set<std::string> changed_ GUARDED_BY(mu_);
};

}  // namespace wps::cluster
