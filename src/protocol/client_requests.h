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
// Group streaming (client-protocols-1.1.md §3.1, §3.2): a stream start (sendToGroup with
// `stream`), a streamData (fragment or keep-alive) or a streamEnd. Decoded whenever the frame is
// valid JSON or protobuf of that type; any other problem is kept in `problem` (answered with
// streamClosed BadRequest instead of closing the connection).
struct StreamEndError {  // the client's `error` of a streamEnd (an abort)
  std::optional<std::string> message;
  std::optional<std::string> userErrorCode;
};
struct StreamRequest {
  enum class Kind { kStart, kData, kEnd };
  Kind kind = Kind::kStart;
  std::string streamId;
  // kStart
  std::string group;
  bool noEcho = false;
  std::optional<uint64_t> idleTimeoutMs;
  // kData: all three set = a fragment; none = a keep-alive (some = `problem`).
  std::optional<uint64_t> sequenceId;
  std::optional<Payload> payload;
  // kEnd
  std::optional<StreamEndError> error;
  std::optional<std::string> problem;  // set: the request is invalid, for this reason
};
// Preview requests we recognise but do not implement; answered softly (§6.1).
struct GroupStateRequest {  // setGroupState / subscribeGroupState / unsubscribeGroupState
  std::optional<uint64_t> ackId;
};

using ClientRequest = std::variant<JoinGroupRequest, LeaveGroupRequest, SendToGroupRequest,
                                   EventRequest, PingRequest, SequenceAckRequest, InvokeRequest,
                                   CancelInvocationRequest, StreamRequest, GroupStateRequest>;

}  // namespace wps::protocol
