// Operations that travel between nodes over the cluster bus (Redis pub/sub), and their compact
// binary encoding. A message with a requestId asks every receiver to answer with a kReply on
// the requester's inbox (scatter-gather). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/broker.h"
#include "core/target.h"
#include "protocol/service_messages.h"

namespace wps::cluster {

// One bus operation. Plain value, owned by whichever thread builds or decodes it.
struct BusMessage {
  enum class Type : uint8_t {
    kPublish = 1,           // deliver `message` to `target`
    kClose = 2,             // close `target` with `reason`
    kAddToGroups = 3,       // `target` joins `groups`
    kRemoveFromGroups = 4,  // `target` leaves `groups`
    kLeaveAllGroups = 5,    // `target` leaves every group
    kCount = 6,             // how many connections `target` selects
    kList = 7,              // members of group `group`
    kPermission = 8,        // grant/revoke/check `permission` on `connectionId` for `group`
    kReply = 9,             // the answer to `requestId`
    kHello = 10,            // a node (re)joined: refresh the list of live nodes
  };
  Type type = Type::kPublish;
  std::string origin;      // node id of the sender (a node ignores its own broadcasts)
  uint64_t requestId = 0;  // non-zero: answer with kReply to `replyTo`
  std::string replyTo;
  std::string hubKey;
  core::Target target;
  protocol::DataMessage message;  // kPublish
  // kPublish: the message's TTL as the milliseconds left when it was put on the bus (at least
  // 1), none = never expires. Relative, so the nodes' clocks need not agree; the receiving node
  // counts it from the moment it decodes the message (bus latency is not subtracted).
  std::optional<uint64_t> ttlRemainingMs;
  std::string reason;               // kClose
  std::vector<std::string> groups;  // kAddToGroups / kRemoveFromGroups
  std::string group;                // kList / kPermission
  std::string connectionId;         // kPermission
  core::PermissionOp permissionOp = core::PermissionOp::kCheck;
  auth::Permission permission = auth::Permission::kSendToGroup;
  // kReply
  uint64_t count = 0;
  uint64_t atLimit = 0;  // kAddToGroups: selected connections at max_groups_per_connection
  core::PermissionResult result = core::PermissionResult::kConnectionNotFound;
  std::vector<core::MemberInfo> members;
};

// The binary form of `m` (version byte, type, header, then the fields `m.type` uses; other fields
// are not sent). Never fails; decodeBusMessage() reads it back.
std::string encodeBusMessage(const BusMessage& m);
// Parses the output of encodeBusMessage(); fields the type does not use stay default.
// Errors: kInvalidArgument for truncated or malformed input, an unknown version or type, or a
// filter that no longer parses.
StatusOr<BusMessage> decodeBusMessage(std::string_view bytes);

}  // namespace wps::cluster
