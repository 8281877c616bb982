#include "cluster/connection_tracker.h"

#include "cluster/connection_registry.h"

namespace wps::cluster {

ConnectionTracker::ConnectionTracker(delivery::EventOutbox& inner, std::function<void()> onChanged)
    : inner_(inner), onChanged_(std::move(onChanged)) {}

bool ConnectionTracker::markChanged(const std::string& connectionId) {
  bool first = changed_.empty();
  changed_.insert(connectionId);
  return first;
}

bool ConnectionTracker::addLive(delivery::ConnectionRecord record) {
  MutexLock lock(mu_);
  std::string id = record.connectionId;
  live_[id] = std::move(record);
  return markChanged(id);
}

void ConnectionTracker::accept(delivery::PendingEvent event, SetCookieHook onSetCookie) {
  bool first = false;
  if (event.kind == cloudevents::EventKind::kConnected) {
    first = addLive({event.hub, event.connectionId, event.userId, event.subprotocol,
                     event.connectionState, event.origin});
  } else if (event.kind == cloudevents::EventKind::kDisconnected) {
    MutexLock lock(mu_);
    if (live_.erase(event.connectionId) > 0) first = markChanged(event.connectionId);
  }
  inner_.accept(std::move(event), std::move(onSetCookie));
  if (first && onChanged_) onChanged_();
}

void ConnectionTracker::recordConnection(delivery::ConnectionRecord record) {
  bool first = addLive(record);
  inner_.recordConnection(std::move(record));
  if (first && onChanged_) onChanged_();
}

void ConnectionTracker::updateConnectionState(std::string connectionId, std::string state) {
  bool first = false;
  {
    MutexLock lock(mu_);
    auto it = live_.find(connectionId);
    if (it != live_.end() && it->second.connectionState != state) {
      it->second.connectionState = state;
      first = markChanged(connectionId);
    }
  }
  inner_.updateConnectionState(std::move(connectionId), std::move(state));
  if (first && onChanged_) onChanged_();
}

std::vector<ConnectionTracker::Change> ConnectionTracker::takeChanges() {
  std::vector<Change> out;
  MutexLock lock(mu_);
  out.reserve(changed_.size());
  for (const auto& id : changed_) {
    auto it = live_.find(id);
    out.push_back(
        {id, it == live_.end() ? std::nullopt : std::optional(encodeRegistryEntry(it->second))});
  }
  changed_.clear();
  return out;
}

std::vector<std::pair<std::string, std::string>> ConnectionTracker::snapshot() {
  std::vector<std::pair<std::string, std::string>> out;
  MutexLock lock(mu_);
  out.reserve(live_.size());
  for (const auto& [id, record] : live_)
    out.emplace_back(id, encodeRegistryEntry(record));
  changed_.clear();
  return out;
}

size_t ConnectionTracker::size() const {
  MutexLock lock(mu_);
  return live_.size();
}

}  // namespace wps::cluster
