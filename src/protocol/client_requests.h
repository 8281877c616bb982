// Requests a PubSub client sends (client-protocols.md §6.1, §8.1), decoded from JSON or
// protobuf into one shape. Value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "protocol/payload.h"

namespace wps::protocol {

struct JoinGroupRequest {
  std::string group;
  std::optional<uint64_t> ackId;
};

struct LeaveGroupRequest {
  std::string group;
  std::optional<uint64_t> ackId;
};

struct SendToGroupRequest {
  std::string group;
  std::optional<uint64_t> ackId;
  bool noEcho = false;
  Payload payload;
  std::optional<uint32_t> ttlSeconds;
  Metadata metadata;
};

struct EventRequest {
  std::string event;
  std::optional<uint64_t> ackId;
  Payload payload;
  bool hasData = true;  // false: metadata-only event (posted with an empty body)
  Metadata metadata;
};

struct PingRequest {};

struct SequenceAckRequest {
  uint64_t sequenceId = 0;
};

// invoke (client-protocols-1.1.md §1.1). Decoded whenever its invocationId is valid; any other
// problem (target, event name, payload, metadata) is kept in `problem`, so that the call is
// answered with a BadRequest invokeResponse instead of closing the connection.
struct InvokeRequest {
  std::string invocationId;
  std::string event;
  Payload payload;
  bool hasData = false;  // false: no data (posted as text/plain with an empty body)
  Metadata metadata;
  std::optional<std::string> problem;  // set: the request is invalid, for this reason
};
struct CancelInvocationRequest {
  std::string invocationId;
};
// Preview requests we recognise but do not implement; answered softly (§6.1).
struct StreamRequest {  // stream start (sendToGroup with `stream`), streamData, streamEnd
  std::string streamId;
};
struct GroupStateRequest {  // setGroupState / subscribeGroupState / unsubscribeGroupState
  std::optional<uint64_t> ackId;
};

using ClientRequest = std::variant<JoinGroupRequest, LeaveGroupRequest, SendToGroupRequest,
                                   EventRequest, PingRequest, SequenceAckRequest, InvokeRequest,
                                   CancelInvocationRequest, StreamRequest, GroupStateRequest>;

}  // namespace wps::protocol
