// The connections owned by one worker, indexed per hub by connection id, user and group.
// Owned by the worker; loop-thread only (other threads reach it through Broker / post()).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/target.h"
#include "metrics/metrics.h"

namespace wps::core {

class ClientSession;

class Shard {
 public:
  explicit Shard(size_t index) : index_(index) {}

  size_t index() const { return index_; }
  // Keeps `gauge` (the worker's webpubsubd_groups share) at the number of non-empty groups.
  void countGroupsIn(metrics::Gauge* gauge) { groupsGauge_ = gauge; }
  // Counts in `counter` every join refused at limits.max_groups_per_connection.
  void countGroupLimitHitsIn(metrics::Counter* counter) { groupLimitHits_ = counter; }

  // Registers a session (indexed by id, hub and user). The shard shares ownership until
  // remove().
  void add(std::shared_ptr<ClientSession> session);
  // Unregisters a session from every index, groups included. No-op when absent.
  void remove(ClientSession& session);
  std::shared_ptr<ClientSession> find(std::string_view connectionId) const;

  // Group membership; all keep the session's own group list in sync and tell the session of
  // each real change (ClientSession::onGroupMembershipChanged: presence events). join() and
  // leave() return true when membership changed; join() skips (false) a session at
  // limits.max_groups_per_connection, and tryJoin() says which of the three happened.
  enum class JoinResult { kJoined, kAlreadyMember, kAtLimit };
  JoinResult tryJoin(ClientSession& session, const std::string& group);
  bool join(ClientSession& session, const std::string& group) {
    return tryJoin(session, group) == JoinResult::kJoined;
  }
  bool leave(ClientSession& session, const std::string& group);
  void leaveAll(ClientSession& session);

  // Calls `fn` for every session of `hubKey` selected by `target` (scope, excluded, filter).
  // `fn` must not add or remove sessions or change the selected scope's membership.
  void forEachTarget(const std::string& hubKey, const Target& target,
                     const std::function<void(ClientSession&)>& fn) const;

  // Sessions that ended while an upstream event of theirs was in flight stay owned here until
  // that event completes (their `disconnected` event is sent afterwards).
  void keepDraining(std::shared_ptr<ClientSession> session) {
    draining_.insert(std::move(session));
  }
  // Releases a draining session (may destroy it).
  void releaseDraining(ClientSession* session);
  size_t drainingCount() const { return draining_.size(); }
  // The draining sessions (shutdown).
  std::vector<std::shared_ptr<ClientSession>> drainingSessions() const {
    return {draining_.begin(), draining_.end()};
  }

  bool hasGroup(const std::string& hubKey, const std::string& group) const;
  bool hasUser(const std::string& hubKey, const std::string& userId) const;
  size_t size() const { return sessions_.size(); }
  // Every session (shutdown, tests).
  std::vector<std::shared_ptr<ClientSession>> all() const;

 private:
  using Members = std::unordered_set<ClientSession*>;
  struct HubIndex {
    Members all;
    std::unordered_map<std::string, Members> users;
    std::unordered_map<std::string, Members> groups;
  };
  void visit(const Members& members, const Target& target,
             const std::function<void(ClientSession&)>& fn) const;

  size_t index_;
  std::unordered_map<std::string, std::shared_ptr<ClientSession>> sessions_;
  std::unordered_map<std::string, HubIndex> hubs_;
  std::unordered_set<std::shared_ptr<ClientSession>> draining_;
  metrics::Gauge* groupsGauge_ = nullptr;
  metrics::Counter* groupLimitHits_ = nullptr;
};

}  // namespace wps::core
