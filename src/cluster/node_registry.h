// Which nodes are alive, kept in Redis: each node refreshes its liveness key (TTL = the presence
// TTL) every TTL/3 and lists itself in P:nodes; a node that stops refreshing (crash, kill -9,
// lost Redis connection) drops out when its key expires, and any node removes it from P:nodes.
// Presence queries (does this user/group/connection exist, who is in a group) are answered by
// asking the live nodes, each authoritative for its own connections — so nothing a dead node
// held survives its TTL, and answers never lag behind writes.
// A dead node that left a connection registry (cluster/connection_registry.h) moves to P:dead
// until some live node has sent `disconnected` for its connections (DeadNodeReaper).
// Keys (P = prefix): P:nodes (set of ids), P:node:<id> (liveness, expires), P:dead (set of ids).
// Owned by the cluster thread; every method runs there.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "cluster/redis_link.h"

namespace wps::cluster {

class NodeRegistry {
 public:
  NodeRegistry(RedisLink& link, std::string prefix, std::string nodeId,
               std::chrono::milliseconds ttl);

  // Refreshes this node's liveness, forgets dead nodes and reloads the live list.
  void heartbeat();
  // Removes this node at once (clean shutdown).
  void withdraw();
  // The live nodes other than this one, as of the last refresh.
  const std::vector<std::string>& peers() const { return peers_; }
  // Reloads the live list now; `done` runs after it (also when Redis is down).
  void refresh(std::function<void()> done = {});
  // `handler` gets the ids in P:dead after each refresh that found some (none: not called).
  void setDeadNodeHandler(std::function<void(std::vector<std::string>)> handler) {
    onDead_ = std::move(handler);
  }

  const std::string& nodeId() const { return nodeId_; }

 private:
  RedisLink& link_;
  std::string prefix_;
  std::string nodeId_;
  std::chrono::milliseconds ttl_;
  std::vector<std::string> peers_;
  std::function<void(std::vector<std::string>)> onDead_;
};

}  // namespace wps::cluster
