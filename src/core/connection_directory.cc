#include "core/connection_directory.h"

#include <functional>

namespace wps::core {

ConnectionDirectory::Shard& ConnectionDirectory::shardFor(std::string_view id) const {
  return shards_[std::hash<std::string_view>{}(id) % shards_.size()];
}

bool ConnectionDirectory::insert(const std::string& connectionId, Location location) {
  Shard& s = shardFor(connectionId);
  MutexLock lock(s.mu);
  return s.map.emplace(connectionId, std::move(location)).second;
}

void ConnectionDirectory::erase(const std::string& connectionId) {
  Shard& s = shardFor(connectionId);
  MutexLock lock(s.mu);
  s.map.erase(connectionId);
}

std::optional<ConnectionDirectory::Location> ConnectionDirectory::find(
    std::string_view connectionId) const {
  Shard& s = shardFor(connectionId);
  MutexLock lock(s.mu);
  auto it = s.map.find(std::string(connectionId));
  if (it == s.map.end()) return std::nullopt;
  return it->second;
}

size_t ConnectionDirectory::size() const {
  size_t n = 0;
  for (auto& s : shards_) {
    MutexLock lock(s.mu);
    n += s.map.size();
  }
  return n;
}

}  // namespace wps::core
