// Routes operations to connections wherever they live: every worker of this node (LocalBroker)
// or every node of a cluster (cluster/redis_broker). Transport and protocol code only talk to
// this interface, so a clustered implementation plugs in without touching them.
// Thread-safe: every method may be called from any worker thread; results are delivered on
// the `reply` loop given by the caller.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/permissions.h"
#include "common/event_loop.h"
#include "core/outbound_message.h"
#include "core/target.h"

namespace wps::core {

struct MemberInfo {
  std::string connectionId;
  std::optional<std::string> userId;
};

enum class PermissionOp { kGrant, kRevoke, kCheck };

enum class PermissionResult {
  kConnectionNotFound,
  kAllowed,       // check: permitted; grant/revoke: done
  kDenied,        // check: not permitted
  kLimitReached,  // grant: per-connection limit hit
  kUnavailable,   // the node holding the connection could not be asked (cluster)
};

class Broker {
 public:
  virtual ~Broker() = default;

  // Delivers `message` to every selected connection of `hubKey`. Fire-and-forget. Messages
  // published from one thread reach each receiver in publish order.
  virtual void publish(const std::string& hubKey, const Target& target,
                       OutboundMessagePtr message) = 0;

  // Closes every selected connection as the application server ("Application server closed the
  // connection. Reason: <reason>"); a detached reliable session ends too. `done` runs on
  // `reply` once every owner has started its closes.
  virtual void closeConnections(const std::string& hubKey, const Target& target, std::string reason,
                                EventLoop& reply, std::function<void()> done) = 0;

  // Adds (or removes) every selected connection to (from) every group; `done(matched)` gets the
  // number of selected connections.
  virtual void addToGroups(const std::string& hubKey, const Target& target,
                           std::vector<std::string> groups, EventLoop& reply,
                           std::function<void(size_t)> done) = 0;
  virtual void removeFromGroups(const std::string& hubKey, const Target& target,
                                std::vector<std::string> groups, EventLoop& reply,
                                std::function<void(size_t)> done) = 0;

  // Removes every selected connection from all its groups; `done(matched)`.
  virtual void leaveAllGroups(const std::string& hubKey, const Target& target, EventLoop& reply,
                              std::function<void(size_t)> done) = 0;

  // Number of selected connections (existence checks).
  virtual void count(const std::string& hubKey, const Target& target, EventLoop& reply,
                     std::function<void(size_t)> done) = 0;

  // Grants, revokes or checks a permission of one connection for `group`.
  virtual void permission(const std::string& hubKey, const std::string& connectionId,
                          PermissionOp op, auth::Permission permission, std::string group,
                          EventLoop& reply, std::function<void(PermissionResult)> done) = 0;

  // Members of a group, sorted by connection id.
  virtual void listGroup(const std::string& hubKey, const std::string& group, EventLoop& reply,
                         std::function<void(std::vector<MemberInfo>)> done) = 0;
};

}  // namespace wps::core
