// Routes operations to connections wherever they live: every worker of this node (LocalBroker)
// or every node of a cluster (cluster/redis_broker). Transport and protocol code only talk to
// this interface, so a clustered implementation plugs in without touching them.
// Thread-safe: every method may be called from any worker thread; results are delivered on
// the `reply` loop given by the caller.
//
// Errors: an operation that answers gets a Status (or StatusOr). The in-memory broker always
// succeeds; a cluster broker fails with kUnavailable when the cluster bus is down and with
// kDeadlineExceeded when a node did not answer in time, instead of answering for part of the
// cluster only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/permissions.h"
#include "common/event_loop.h"
#include "common/status.h"
#include "core/outbound_message.h"
#include "core/target.h"

namespace wps::core {

struct MemberInfo {
  std::string connectionId;
  std::optional<std::string> userId;
};

// The answer of Broker::addToGroups. Plain value.
struct AddToGroupsResult {
  size_t matched = 0;  // connections selected
  // Of those, how many were left out of at least one of the groups because they already were in
  // limits.max_groups_per_connection groups (Shard::tryJoin). They keep the groups they had.
  size_t atLimit = 0;

  AddToGroupsResult& operator+=(const AddToGroupsResult& o) {
    matched += o.matched;
    atLimit += o.atLimit;
    return *this;
  }
};

enum class PermissionOp { kGrant, kRevoke, kCheck };

enum class PermissionResult {
  kConnectionNotFound,
  kAllowed,       // check: permitted; grant/revoke: done
  kDenied,        // check: not permitted
  kLimitReached,  // grant: per-connection limit hit
};

class Broker {
 public:
  using CountDone = std::function<void(StatusOr<size_t>)>;
  using AddDone = std::function<void(StatusOr<AddToGroupsResult>)>;
  using StatusDone = std::function<void(Status)>;
  using PermissionDone = std::function<void(StatusOr<PermissionResult>)>;
  using MembersDone = std::function<void(StatusOr<std::vector<MemberInfo>>)>;

  virtual ~Broker() = default;

  // Delivers `message` to every selected connection of `hubKey`. Fire-and-forget. Messages
  // published from one thread reach each receiver in publish order.
  virtual void publish(const std::string& hubKey, const Target& target,
                       OutboundMessagePtr message) = 0;

  // Closes every selected connection as the application server ("Application server closed the
  // connection. Reason: <reason>"); a detached reliable session ends too. `done` runs on
  // `reply` once every owner has started its closes (or with the error that prevented it).
  virtual void closeConnections(const std::string& hubKey, const Target& target, std::string reason,
                                EventLoop& reply, StatusDone done) = 0;

  // Adds every selected connection to every group, skipping a connection already at
  // limits.max_groups_per_connection for each group it is not in yet; `done` gets how many were
  // selected and how many of those hit the limit.
  virtual void addToGroups(const std::string& hubKey, const Target& target,
                           std::vector<std::string> groups, EventLoop& reply, AddDone done) = 0;
  // Removes every selected connection from every group; `done(matched)` gets the number of
  // selected connections.
  virtual void removeFromGroups(const std::string& hubKey, const Target& target,
                                std::vector<std::string> groups, EventLoop& reply,
                                CountDone done) = 0;

  // Removes every selected connection from all its groups; `done(matched)`.
  virtual void leaveAllGroups(const std::string& hubKey, const Target& target, EventLoop& reply,
                              CountDone done) = 0;

  // Number of selected connections (existence checks).
  virtual void count(const std::string& hubKey, const Target& target, EventLoop& reply,
                     CountDone done) = 0;

  // Grants, revokes or checks a permission of one connection for `group`.
  virtual void permission(const std::string& hubKey, const std::string& connectionId,
                          PermissionOp op, auth::Permission permission, std::string group,
                          EventLoop& reply, PermissionDone done) = 0;

  // Members of a group, sorted by connection id.
  virtual void listGroup(const std::string& hubKey, const std::string& group, EventLoop& reply,
                         MembersDone done) = 0;
};

}  // namespace wps::core
