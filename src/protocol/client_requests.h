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

// Preview requests we recognise but do not implement; answered softly (§6.1).
struct InvokeRequest {
  std::string invocationId;
};
struct CancelInvocationRequest {
  std::string invocationId;
};
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
