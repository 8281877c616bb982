#include "cluster/redis_broker.h"

#include <algorithm>

#include "common/log.h"
#include "core/message_ttl.h"

namespace wps::cluster {

using core::PermissionResult;
using core::Target;

bool RedisBroker::isLocalConnection(const std::string& hubKey, const Target& target) const {
  if (target.kind != Target::Kind::kConnection) return false;
  auto loc = d_.directory.find(target.name);
  return loc && loc->hubKey == hubKey;
}

void RedisBroker::send(std::string channel, BusMessage m) {
  m.origin = d_.nodeId;
  std::string payload = encodeBusMessage(m);  // on the calling thread
  d_.clusterLoop.post([this, channel = std::move(channel), payload = std::move(payload)]() mutable {
    if (!d_.link.up() || d_.link.pendingCommands() >= d_.maxPendingPublishes) {
      metrics::Metrics::inc(d_.counters.busDropped);
      return;
    }
    metrics::Metrics::inc(d_.counters.busPublished);
    d_.link.command({"PUBLISH", std::move(channel), std::move(payload)},
                    [this](StatusOr<RedisReply> r) {
                      if (!r) metrics::Metrics::inc(d_.counters.busDropped);
                    });
  });
}

// --- Broker ------------------------------------------------------------------------------------

void RedisBroker::publish(const std::string& hubKey, const Target& target,
                          core::OutboundMessagePtr message) {
  d_.local.publish(hubKey, target, message);
  if (isLocalConnection(hubKey, target)) return;
  BusMessage m;
  m.type = BusMessage::Type::kPublish;
  m.hubKey = hubKey;
  m.target = target;
  m.message = message->message();
  m.ttlRemainingMs = core::remainingMs(message->deadline(), Clock::now());
  send(d_.busChannel, std::move(m));
}

namespace {
// Shared shape of the membership operations answered with a count.
BusMessage membershipRequest(BusMessage::Type type, const std::string& hubKey, const Target& target,
                             std::vector<std::string> groups) {
  BusMessage m;
  m.type = type;
  m.hubKey = hubKey;
  m.target = target;
  m.groups = std::move(groups);
  return m;
}
}  // namespace

template <class T, class Extract>
void RedisBroker::scatterFor(BusMessage request, EventLoop& reply,
                             std::function<void(StatusOr<T>)> done, Extract extract) {
  EventLoop* r = &reply;
  d_.clusterLoop.post([this, m = std::move(request), r, done = std::move(done), extract]() mutable {
    scatter(std::move(m), [r, done, extract](StatusOr<BusMessage> all) mutable {
      StatusOr<T> out = all ? StatusOr<T>(extract(all.value())) : StatusOr<T>(all.status());
      r->post([done, out = std::move(out)]() mutable { done(std::move(out)); });
    });
  });
}

void RedisBroker::closeConnections(const std::string& hubKey, const Target& target,
                                   std::string reason, EventLoop& reply, StatusDone done) {
  if (isLocalConnection(hubKey, target)) {
    d_.local.closeConnections(hubKey, target, std::move(reason), reply, std::move(done));
    return;
  }
  BusMessage m;
  m.type = BusMessage::Type::kClose;
  m.hubKey = hubKey;
  m.target = target;
  m.reason = std::move(reason);
  scatterFor<bool>(
      std::move(m), reply, [done = std::move(done)](StatusOr<bool> r) { done(r.status()); },
      [](BusMessage&) { return true; });
}

void RedisBroker::scatterCount(BusMessage request, EventLoop& reply, CountDone done) {
  scatterFor<size_t>(std::move(request), reply, std::move(done),
                     [](BusMessage& all) { return static_cast<size_t>(all.count); });
}

void RedisBroker::addToGroups(const std::string& hubKey, const Target& target,
                              std::vector<std::string> groups, EventLoop& reply, AddDone done) {
  if (isLocalConnection(hubKey, target)) {
    d_.local.addToGroups(hubKey, target, std::move(groups), reply, std::move(done));
    return;
  }
  scatterFor<core::AddToGroupsResult>(
      membershipRequest(BusMessage::Type::kAddToGroups, hubKey, target, std::move(groups)), reply,
      std::move(done), [](BusMessage& all) {
        return core::AddToGroupsResult{static_cast<size_t>(all.count),
                                       static_cast<size_t>(all.atLimit)};
      });
}

void RedisBroker::removeFromGroups(const std::string& hubKey, const Target& target,
                                   std::vector<std::string> groups, EventLoop& reply,
                                   CountDone done) {
  if (isLocalConnection(hubKey, target)) {
    d_.local.removeFromGroups(hubKey, target, std::move(groups), reply, std::move(done));
    return;
  }
  scatterCount(
      membershipRequest(BusMessage::Type::kRemoveFromGroups, hubKey, target, std::move(groups)),
      reply, std::move(done));
}

void RedisBroker::leaveAllGroups(const std::string& hubKey, const Target& target, EventLoop& reply,
                                 CountDone done) {
  if (isLocalConnection(hubKey, target)) {
    d_.local.leaveAllGroups(hubKey, target, reply, std::move(done));
    return;
  }
  scatterCount(membershipRequest(BusMessage::Type::kLeaveAllGroups, hubKey, target, {}), reply,
               std::move(done));
}

void RedisBroker::count(const std::string& hubKey, const Target& target, EventLoop& reply,
                        CountDone done) {
  if (isLocalConnection(hubKey, target)) {
    d_.local.count(hubKey, target, reply, std::move(done));
    return;
  }
  scatterCount(membershipRequest(BusMessage::Type::kCount, hubKey, target, {}), reply,
               std::move(done));
}

void RedisBroker::permission(const std::string& hubKey, const std::string& connectionId,
                             core::PermissionOp op, auth::Permission permission, std::string group,
                             EventLoop& reply, PermissionDone done) {
  if (isLocalConnection(hubKey, Target::connection(connectionId))) {
    d_.local.permission(hubKey, connectionId, op, permission, std::move(group), reply,
                        std::move(done));
    return;
  }
  BusMessage m;
  m.type = BusMessage::Type::kPermission;
  m.hubKey = hubKey;
  m.connectionId = connectionId;
  m.permissionOp = op;
  m.permission = permission;
  m.group = std::move(group);
  scatterFor<PermissionResult>(std::move(m), reply, std::move(done),
                               [](BusMessage& all) { return all.result; });
}

void RedisBroker::listGroup(const std::string& hubKey, const std::string& group, EventLoop& reply,
                            MembersDone done) {
  BusMessage m;
  m.type = BusMessage::Type::kList;
  m.hubKey = hubKey;
  m.group = group;
  scatterFor<std::vector<core::MemberInfo>>(
      std::move(m), reply, std::move(done), [](BusMessage& all) {
        auto members = std::move(all.members);
        std::sort(members.begin(), members.end(),
                  [](const core::MemberInfo& a, const core::MemberInfo& b) {
                    return a.connectionId < b.connectionId;
                  });
        return members;
      });
}

// --- Scatter-gather ------------------------------------------------------------------------------

namespace {
// The message of a kPublish from another node: its TTL counts from now (docs/cluster.md).
core::OutboundMessagePtr receivedMessage(BusMessage& req) {
  TimePoint deadline = core::deadlineAfter(Clock::now(), req.ttlRemainingMs);
  return core::OutboundMessage::make(std::move(req.message), deadline);
}
}  // namespace

void RedisBroker::executeLocally(BusMessage req, std::function<void(BusMessage)> done) {
  EventLoop& here = d_.clusterLoop;
  auto answer = [done](auto fill) {
    BusMessage r;
    r.type = BusMessage::Type::kReply;
    fill(r);
    done(std::move(r));
  };
  // The local broker always answers OK; an error would count as nothing found here.
  auto counted = [answer](StatusOr<size_t> n) {
    answer([&n](BusMessage& r) { r.count = n ? *n : 0; });
  };
  switch (req.type) {
    case BusMessage::Type::kPublish:
      d_.local.publish(req.hubKey, req.target, receivedMessage(req));
      break;
    case BusMessage::Type::kClose:
      d_.local.closeConnections(req.hubKey, req.target, std::move(req.reason), here,
                                [answer](Status) { answer([](BusMessage&) {}); });
      break;
    case BusMessage::Type::kAddToGroups:
      d_.local.addToGroups(req.hubKey, req.target, std::move(req.groups), here,
                           [answer](StatusOr<core::AddToGroupsResult> added) {
                             answer([&added](BusMessage& r) {
                               if (!added) return;
                               r.count = added->matched;
                               r.atLimit = added->atLimit;
                             });
                           });
      break;
    case BusMessage::Type::kRemoveFromGroups:
      d_.local.removeFromGroups(req.hubKey, req.target, std::move(req.groups), here, counted);
      break;
    case BusMessage::Type::kLeaveAllGroups:
      d_.local.leaveAllGroups(req.hubKey, req.target, here, counted);
      break;
    case BusMessage::Type::kCount:
      d_.local.count(req.hubKey, req.target, here, counted);
      break;
    case BusMessage::Type::kList:
      d_.local.listGroup(req.hubKey, req.group, here,
                         [answer](StatusOr<std::vector<core::MemberInfo>> members) {
                           answer([&members](BusMessage& r) {
                             if (members) r.members = std::move(*members);
                           });
                         });
      break;
    case BusMessage::Type::kPermission:
      d_.local.permission(req.hubKey, req.connectionId, req.permissionOp, req.permission,
                          std::move(req.group), here, [answer](StatusOr<PermissionResult> result) {
                            answer([&result](BusMessage& r) {
                              if (result) r.result = *result;
                            });
                          });
      break;
    case BusMessage::Type::kReply:
    case BusMessage::Type::kHello:
      break;
  }
}

void RedisBroker::announce() {
  BusMessage m;
  m.type = BusMessage::Type::kHello;
  send(d_.busChannel, std::move(m));
}

void RedisBroker::scatter(BusMessage request, Finish finish) {
  uint64_t id = nextRequestId_++;
  Gather& g = gathers_[id];
  g.finish = std::move(finish);
  g.oneConnection = request.type == BusMessage::Type::kPermission ||
                    request.target.kind == Target::Kind::kConnection;
  g.combined.type = BusMessage::Type::kReply;
  bool up = d_.link.up();
  if (!up) g.failure = Status(StatusCode::kUnavailable, "The cluster bus is unavailable.");
  const auto& peers = up ? d_.nodes.peers() : std::vector<std::string>{};
  g.outstanding = peers.size() + 1;
  g.timer = d_.clusterLoop.schedule(d_.requestTimeout, [this, id] { onTimeout(id); });
  if (!peers.empty()) {
    BusMessage remote = request;
    remote.requestId = id;
    remote.replyTo = d_.nodeId;
    send(d_.busChannel, std::move(remote));
  }
  executeLocally(std::move(request), [this, id](BusMessage part) {
    auto it = gathers_.find(id);
    if (it != gathers_.end()) it->second.localPending = false;
    absorb(id, part);
  });
}

void RedisBroker::onTimeout(uint64_t requestId) {
  auto it = gathers_.find(requestId);
  if (it == gathers_.end()) return;
  size_t missing = it->second.outstanding;
  WPS_LOG_WARN("cluster: {} node(s) did not answer a request in time", missing);
  it->second.failure = Status(StatusCode::kDeadlineExceeded,
                              std::to_string(missing) + " cluster node(s) did not answer within " +
                                  std::to_string(d_.requestTimeout.count()) + " ms.");
  complete(requestId);
}

void RedisBroker::absorb(uint64_t requestId, const BusMessage& part) {
  auto it = gathers_.find(requestId);
  if (it == gathers_.end()) return;  // late answer after a timeout
  Gather& g = it->second;
  g.combined.count += part.count;
  g.combined.atLimit += part.atLimit;
  for (const auto& m : part.members)
    g.combined.members.push_back(m);
  // At most one node holds a connection: its answer beats "not found" from the others.
  if (part.result != PermissionResult::kConnectionNotFound) g.combined.result = part.result;
  if (--g.outstanding == 0) complete(requestId);
}

void RedisBroker::complete(uint64_t requestId) {
  auto it = gathers_.find(requestId);
  if (it == gathers_.end()) return;
  Gather g = std::move(it->second);
  gathers_.erase(it);
  // A connection's owner answered: the others could only have said "not here".
  bool ownerAnswered =
      g.oneConnection &&
      (g.combined.count > 0 || g.combined.result != PermissionResult::kConnectionNotFound);
  if (!g.failure.isOk() && !ownerAnswered) {
    g.finish(g.failure);
  } else {
    g.finish(std::move(g.combined));
  }
}

void RedisBroker::onLinkDown() {
  // Answers from other nodes cannot arrive any more: fail once this node's share is done.
  std::vector<uint64_t> ids;
  for (auto& [id, g] : gathers_)
    ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = gathers_.find(id);
    if (it == gathers_.end()) continue;
    it->second.failure = Status(StatusCode::kUnavailable, "The cluster bus is unavailable.");
    it->second.outstanding = it->second.localPending ? 1 : 0;
    if (it->second.outstanding == 0) complete(id);
  }
}

void RedisBroker::onBusMessage(std::string_view payload) {
  auto decoded = decodeBusMessage(payload);
  if (!decoded) {
    WPS_LOG_WARN("cluster: ignored a malformed bus message: {}", decoded.status().message());
    return;
  }
  BusMessage& m = decoded.value();
  if (m.origin == d_.nodeId) return;
  metrics::Metrics::inc(d_.counters.busReceived);
  if (m.type == BusMessage::Type::kReply) {
    absorb(m.requestId, m);
    return;
  }
  if (m.type == BusMessage::Type::kHello) {
    d_.nodes.refresh();
    return;
  }
  uint64_t id = m.requestId;
  std::string replyTo = m.replyTo;
  executeLocally(std::move(m), [this, id, replyTo](BusMessage reply) {
    if (id == 0) return;
    reply.requestId = id;
    send(d_.inboxPrefix + replyTo, std::move(reply));
  });
}

}  // namespace wps::cluster
