#include "core/local_broker.h"

#include <algorithm>
#include <atomic>

#include "common/mutex.h"
#include "core/session.h"

namespace wps::core {

std::vector<size_t> LocalBroker::workersFor(const std::string& hubKey, const Target& target) const {
  std::vector<size_t> out;
  if (target.kind == Target::Kind::kConnection) {
    auto loc = directory_.find(target.name);
    if (loc && loc->hubKey == hubKey && loc->worker < workers_.size()) out.push_back(loc->worker);
    return out;
  }
  out.reserve(workers_.size());
  for (size_t i = 0; i < workers_.size(); ++i)
    out.push_back(i);
  return out;
}

template <class T>
void LocalBroker::gather(const std::string& hubKey, const Target& target,
                         std::function<T(Shard&)> fn, EventLoop& reply,
                         std::function<void(T)> done) {
  std::vector<size_t> owners = workersFor(hubKey, target);
  if (owners.empty()) {
    reply.post([done = std::move(done)] { done(T{}); });
    return;
  }
  struct State {
    State(size_t parts, std::function<void(T)> finish)
        : remaining(parts), done(std::move(finish)) {}
    Mutex mu;
    T total GUARDED_BY(mu){};
    size_t remaining GUARDED_BY(mu);
    std::function<void(T)> done;
  };
  auto state = std::make_shared<State>(owners.size(), std::move(done));
  auto shared = std::make_shared<std::function<T(Shard&)>>(std::move(fn));
  for (size_t w : owners) {
    Shard* shard = workers_[w].shard;
    workers_[w].loop->post([state, shared, shard, &reply] {
      T part = (*shared)(*shard);
      bool last;
      {
        MutexLock lock(state->mu);
        state->total += part;
        last = --state->remaining == 0;
      }
      if (last) {
        reply.post([state] {
          T total{};
          {
            MutexLock lock(state->mu);  // uncontended: every part is in
            total = std::move(state->total);
          }
          state->done(std::move(total));
        });
      }
    });
  }
}

void LocalBroker::publish(const std::string& hubKey, const Target& target,
                          OutboundMessagePtr message) {
  auto shared = std::make_shared<const Target>(target);
  for (size_t w : workersFor(hubKey, target)) {
    Shard* shard = workers_[w].shard;
    auto deliver = [shard, hubKey, shared, message] {
      shard->forEachTarget(hubKey, *shared, [&message](ClientSession& s) { s.deliver(*message); });
    };
    // Local delivery runs inline: it keeps per-publisher order and saves a hop.
    if (workers_[w].loop->isInLoopThread()) {
      deliver();
    } else {
      workers_[w].loop->post(std::move(deliver));
    }
  }
}

void LocalBroker::closeConnections(const std::string& hubKey, const Target& target,
                                   std::string reason, EventLoop& reply, StatusDone done) {
  gather<size_t>(
      hubKey, target,
      [hubKey, target, reason](Shard& shard) -> size_t {
        std::vector<std::shared_ptr<ClientSession>> victims;
        shard.forEachTarget(hubKey, target,
                            [&](ClientSession& s) { victims.push_back(s.shared_from_this()); });
        for (auto& s : victims)
          s->closeByAppServer(reason);
        return victims.size();
      },
      reply, [done = std::move(done)](size_t) { done(Status::ok()); });
}

// Applies `change` to every selected session of each shard; answers the number selected.
void LocalBroker::forSelected(const std::string& hubKey, const Target& target,
                              std::function<void(Shard&, ClientSession&)> change, EventLoop& reply,
                              CountDone done) {
  gather<size_t>(
      hubKey, target,
      [hubKey, target, change = std::move(change)](Shard& shard) -> size_t {
        std::vector<ClientSession*> selected;  // collected first: changes alter the indexes
        shard.forEachTarget(hubKey, target, [&](ClientSession& s) { selected.push_back(&s); });
        for (ClientSession* s : selected)
          change(shard, *s);
        return selected.size();
      },
      reply, [done = std::move(done)](size_t n) { done(n); });
}

void LocalBroker::changeGroups(const std::string& hubKey, const Target& target,
                               std::vector<std::string> groups, GroupChange change,
                               EventLoop& reply, CountDone done) {
  forSelected(
      hubKey, target,
      [groups = std::move(groups), change](Shard& shard, ClientSession& s) {
        for (const auto& g : groups)
          (shard.*change)(s, g);
      },
      reply, std::move(done));
}

void LocalBroker::addToGroups(const std::string& hubKey, const Target& target,
                              std::vector<std::string> groups, EventLoop& reply, AddDone done) {
  gather<AddToGroupsResult>(
      hubKey, target,
      [hubKey, target, groups = std::move(groups)](Shard& shard) {
        std::vector<ClientSession*> selected;  // collected first: joins alter the indexes
        shard.forEachTarget(hubKey, target, [&](ClientSession& s) { selected.push_back(&s); });
        AddToGroupsResult result;
        result.matched = selected.size();
        for (ClientSession* s : selected) {
          bool limited = false;
          for (const auto& g : groups)
            limited |= shard.tryJoin(*s, g) == Shard::JoinResult::kAtLimit;
          result.atLimit += limited;
        }
        return result;
      },
      reply, [done = std::move(done)](AddToGroupsResult r) { done(r); });
}

void LocalBroker::removeFromGroups(const std::string& hubKey, const Target& target,
                                   std::vector<std::string> groups, EventLoop& reply,
                                   CountDone done) {
  changeGroups(hubKey, target, std::move(groups), &Shard::leave, reply, std::move(done));
}

void LocalBroker::leaveAllGroups(const std::string& hubKey, const Target& target, EventLoop& reply,
                                 CountDone done) {
  forSelected(
      hubKey, target, [](Shard& shard, ClientSession& s) { shard.leaveAll(s); }, reply,
      std::move(done));
}

void LocalBroker::count(const std::string& hubKey, const Target& target, EventLoop& reply,
                        CountDone done) {
  gather<size_t>(
      hubKey, target,
      [hubKey, target](Shard& shard) -> size_t {
        size_t n = 0;
        shard.forEachTarget(hubKey, target, [&](ClientSession&) { ++n; });
        return n;
      },
      reply, [done = std::move(done)](size_t n) { done(n); });
}

namespace {
// Combines per-worker permission answers: at most one worker owns the connection.
struct PermissionAccumulator {
  PermissionResult result = PermissionResult::kConnectionNotFound;
  PermissionAccumulator& operator+=(const PermissionAccumulator& o) {
    if (o.result != PermissionResult::kConnectionNotFound) result = o.result;
    return *this;
  }
};
struct MemberList {
  std::vector<MemberInfo> members;
  MemberList& operator+=(MemberList&& o) {
    for (auto& m : o.members)
      members.push_back(std::move(m));
    return *this;
  }
  MemberList& operator+=(const MemberList& o) {
    members.insert(members.end(), o.members.begin(), o.members.end());
    return *this;
  }
};
}  // namespace

void LocalBroker::permission(const std::string& hubKey, const std::string& connectionId,
                             PermissionOp op, auth::Permission permission, std::string group,
                             EventLoop& reply, PermissionDone done) {
  Target target = Target::connection(connectionId);
  gather<PermissionAccumulator>(
      hubKey, target,
      [hubKey, target, op, permission, group](Shard& shard) -> PermissionAccumulator {
        PermissionAccumulator acc;
        shard.forEachTarget(hubKey, target, [&](ClientSession& s) {
          auth::PermissionSet& p = s.permissions();
          switch (op) {
            case PermissionOp::kGrant:
              acc.result = p.grant(permission, group) ? PermissionResult::kAllowed
                                                      : PermissionResult::kLimitReached;
              break;
            case PermissionOp::kRevoke:
              acc.result = p.revoke(permission, group) ? PermissionResult::kAllowed
                                                       : PermissionResult::kLimitReached;
              break;
            case PermissionOp::kCheck:
              acc.result = p.allows(permission, group) ? PermissionResult::kAllowed
                                                       : PermissionResult::kDenied;
              break;
          }
        });
        return acc;
      },
      reply, [done = std::move(done)](PermissionAccumulator acc) { done(acc.result); });
}

void LocalBroker::listGroup(const std::string& hubKey, const std::string& group, EventLoop& reply,
                            MembersDone done) {
  Target target = Target::group(group);
  gather<MemberList>(
      hubKey, target,
      [hubKey, target](Shard& shard) -> MemberList {
        MemberList list;
        shard.forEachTarget(hubKey, target, [&](ClientSession& s) {
          list.members.push_back({s.connectionId(), s.userId()});
        });
        return list;
      },
      reply,
      [done = std::move(done)](MemberList list) {
        std::sort(list.members.begin(), list.members.end(),
                  [](const MemberInfo& a, const MemberInfo& b) {
                    return a.connectionId < b.connectionId;
                  });
        done(std::move(list.members));
      });
}

}  // namespace wps::core
