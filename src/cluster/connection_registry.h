// The per-node connection registry in Redis: what a live node needs to send `disconnected` for
// each connection of a node that died (docs/cluster.md, "Dead nodes"). One owner for its keys
// and its value format; no I/O.
//   P:conns:<nodeId>  hash, field connection id → compact JSON
//                     {"hub":…,"userId":…,"subprotocol":…,"connectionState":…} (empty or
//                     absent members are left out); written by its node, deleted at a clean
//                     shutdown or by the node that claimed it after the node died.
//   P:dead            set of dead node ids whose registry still has to be claimed.
//   P:claim:<nodeId>  the id of the live node that claimed a dead node's registry (SET NX).
// Plain functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "delivery/pending_event.h"

namespace wps::cluster {

std::string connectionsKey(std::string_view prefix, std::string_view nodeId);
std::string deadNodesKey(std::string_view prefix);
std::string claimKey(std::string_view prefix, std::string_view nodeId);

// The hash value of `record` (its connection id is the field name, not part of the value).
std::string encodeRegistryEntry(const delivery::ConnectionRecord& record);

// The record stored under field `connectionId` with value `value`. Errors: kInvalidArgument
// when `value` is not an object of the format above (no hub, a member of the wrong type).
StatusOr<delivery::ConnectionRecord> decodeRegistryEntry(std::string_view connectionId,
                                                         std::string_view value);

// The `disconnected` event a live node accepts for `record` of a dead node: reason
// delivery::kReasonNodeStopped, ce-id delivery::kRecoveredCeId, ce-time `timeMs`.
delivery::PendingEvent nodeStoppedEvent(delivery::ConnectionRecord record, int64_t timeMs);

}  // namespace wps::cluster
