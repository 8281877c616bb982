// Sends `disconnected` (reason "The server node stopped.") for every connection of a cluster
// node that died without a clean shutdown, exactly once across the live nodes
// (docs/cluster.md, "Dead nodes"). NodeRegistry lists the dead nodes whose registry
// (cluster/connection_registry.h) is left; for each, one node claims it atomically (a Lua
// script: the dead node is still dead, and the claim P:claim:<id> is free, already this node's,
// or held by a node that died too) and drains it page by page: HSCAN, one event per entry
// accepted into this node's outbox, then HDEL of those entries, so a claim taken over after
// its claimant died resumes where it stopped. At the end the registry, the claim and the P:dead
// entry are deleted.
// Owned by the cluster thread; every method runs there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "cluster/redis_link.h"
#include "delivery/event_outbox.h"

namespace wps::cluster {

class DeadNodeReaper {
 public:
  // `link` and `outbox` must outlive the reaper. `claimTtl` bounds a claim whose holder never
  // finishes nor dies (delivery.retention). `nowMs` gives ce-time (Unix milliseconds).
  DeadNodeReaper(RedisLink& link, std::string prefix, std::string nodeId,
                 std::chrono::seconds claimTtl, delivery::EventOutbox& outbox,
                 std::function<int64_t()> nowMs);

  // Claims and drains each of `deadIds` that this node is not draining already. A claim that
  // is lost (another live node drains it) or a drain cut short (Redis down) is retried when the
  // id is passed again.
  void reap(const std::vector<std::string>& deadIds);

  // Drains the registry left under this node's own id by an earlier process (a restart with a
  // fixed cluster.node_id), whether or not its liveness key is still set. `done(true)` once it
  // is empty; `done(false)` when another live node is draining it or Redis failed (try again
  // later). Call before this process writes its own registry.
  using Done = std::function<void(bool drained)>;
  void reapOwn(Done done);

  // Events accepted so far (for tests and logs).
  uint64_t accepted() const { return accepted_; }

 private:
  void claim(const std::string& deadId, bool own, Done done);
  void drain(const std::string& deadId, std::string cursor, uint64_t count, Done done);
  // Accepts one HSCAN page (field, value, field, value…); returns the fields to HDEL.
  std::vector<std::string> acceptPage(const std::string& deadId, const RedisReply& page);
  void finish(const std::string& deadId, uint64_t count, Done done);

  RedisLink& link_;
  std::string prefix_;
  std::string nodeId_;
  std::chrono::seconds claimTtl_;
  delivery::EventOutbox& outbox_;
  std::function<int64_t()> nowMs_;
  std::unordered_set<std::string> draining_;
  uint64_t accepted_ = 0;
};

}  // namespace wps::cluster
