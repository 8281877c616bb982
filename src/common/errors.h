// The catalogue of every client-visible error: WebSocket close codes and reasons, ack error
// names, upstream `disconnected` reasons and handshake statuses. Codes and names here are a
// stable contract (docs/errors.md lists them); change wording only, never codes or names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wps::errors {

// RFC 6455 close codes used by the service.
enum CloseCode : uint16_t {
  kCloseNormal = 1000,
  kCloseGoingAway = 1001,
  kCloseProtocolError = 1002,
  kCloseUnsupportedData = 1003,
  kCloseNoStatus = 1005,  // never sent; what a close frame without a status means
  kCloseAbnormal = 1006,  // never sent; transport ended without a close frame
  kCloseInvalidPayload = 1007,
  kClosePolicyViolation = 1008,
  kCloseTooBig = 1009,
  kCloseInternalError = 1011,
};

// A service-initiated close: the code, the reason in the close frame, and the text used for the
// `disconnected` system message and the upstream `disconnected` event.
struct CloseSpec {
  uint16_t code;
  std::string_view reason;
};

// --- Service-initiated closes -------------------------------------------------------------
inline constexpr CloseSpec kServerShutdown{kCloseGoingAway, "The server is shutting down."};
inline constexpr CloseSpec kIdleTimeout{kCloseGoingAway,
                                        "The connection timed out: no data from the client."};
inline constexpr CloseSpec kInvalidJsonMessage{
    kCloseInvalidPayload, "The client message is not a valid JSON protocol message."};
inline constexpr CloseSpec kInvalidProtobufMessage{
    kCloseInvalidPayload, "The client message is not a valid protobuf protocol message."};
inline constexpr CloseSpec kJsonRequiresText{kCloseUnsupportedData,
                                             "The JSON subprotocol requires text messages."};
inline constexpr CloseSpec kProtobufRequiresBinary{
    kCloseUnsupportedData, "The protobuf subprotocol requires binary messages."};
inline constexpr CloseSpec kMessageTooLarge{kCloseTooBig, "The client message is too large."};
inline constexpr CloseSpec kRecoveryFailed{kClosePolicyViolation,
                                           "The connection could not be recovered."};
inline constexpr CloseSpec kReliableBufferFull{kClosePolicyViolation,
                                               "The reliable message buffer is full."};
inline constexpr CloseSpec kOutboundQueueFull{kClosePolicyViolation,
                                              "The outbound message queue is full."};
inline constexpr CloseSpec kTooManyMessages{kClosePolicyViolation, "Too many messages."};
inline constexpr CloseSpec kSendToGroupForbidden{
    kClosePolicyViolation, "The client does not have permission to send to the group."};
inline constexpr CloseSpec kUpstreamFailed{kCloseInternalError,
                                           "The event handler failed to process the message."};
inline constexpr CloseSpec kInvalidFrame{kCloseProtocolError, "Invalid WebSocket frame."};
inline constexpr CloseSpec kInvalidUtf8{kCloseInvalidPayload, "Text message is not valid UTF-8."};
// POST /api/admin/reload (x-ms-error-code): the configuration was rejected (400; the running
// one stays), or the server is shutting down (503).
inline constexpr std::string_view kConfigurationInvalid = "Error.Configuration.Invalid";
inline constexpr std::string_view kReloadUnavailable = "Error.Reload.Unavailable";
// REST close: 1000 with an EMPTY close reason; the text goes only into the system message.
inline constexpr std::string_view kAppServerClosed = "Application server closed the connection.";

// --- Handshake refusals by admission limits (text/plain bodies) ----------------------------
// 503 with `Retry-After: 1`: the node holds limits.max_connections WebSocket clients.
inline constexpr std::string_view kServerFull =
    "The server is at its connection limit (limits.max_connections). Retry later.";
// 429: the client's address holds limits.max_connections_per_ip WebSocket clients.
inline constexpr std::string_view kTooManyFromAddress =
    "Too many connections from this address (limits.max_connections_per_ip).";

// --- Upstream `disconnected` reasons for client-side ends ----------------------------------
inline constexpr std::string_view kClientClosed = "The client closed the connection.";
inline constexpr std::string_view kConnectionEnded = "The connection ended.";
inline constexpr std::string_view kRecoveryTimeout = "The connection recovery timeout expired.";

// Builds "Application server closed the connection. Reason: <reason>" (no suffix when empty).
std::string appServerClosedMessage(std::string_view reason);

// --- Ack errors ----------------------------------------------------------------------------
inline constexpr std::string_view kAckForbidden = "Forbidden";
inline constexpr std::string_view kAckInternalServerError = "InternalServerError";
inline constexpr std::string_view kAckInternalServerErrorMessage = "Internal server error";
inline constexpr std::string_view kAckDuplicate = "Duplicate";
inline constexpr std::string_view kAckBadRequest = "BadRequest";
inline constexpr std::string_view kAckNotSupported = "NotSupported";

// --- invokeResponse errors (client-protocols-1.1.md §1.1, §1.4) ----------------------------
// Names besides the ack names above (BadRequest, Forbidden, InternalServerError).
inline constexpr std::string_view kInvokeTimeout = "Timeout";
inline constexpr std::string_view kInvokeUnauthorized = "Unauthorized";
inline constexpr std::string_view kInvokeNotFound = "NotFound";
inline constexpr std::string_view kInvokeTooManyRequests = "TooManyRequests";
inline constexpr std::string_view kInvokeTimeoutMessage = "The upstream did not answer in time.";
inline constexpr std::string_view kInvokeFailedMessage =
    "The event handler failed to process the invocation.";
inline constexpr std::string_view kInvokeTooManyMessage =
    "Too many pending invocations (limits.max_pending_invocations).";
// "The invocation is invalid: <why>."
std::string invalidInvocationMessage(std::string_view why);
// "The event handler answered the invocation with status N."
std::string invokeRefusedMessage(int status);

// --- Group streaming (client-protocols-1.1.md §3.3–§3.5) ------------------------------------
// streamClosed / streamNack / subscribers' stream.error names besides the ack names above.
inline constexpr std::string_view kStreamNotFound = "StreamNotFound";
inline constexpr std::string_view kStreamIdleTimeout = "IdleTimeout";
inline constexpr std::string_view kStreamCancelled = "Cancelled";
inline constexpr std::string_view kStreamUserError = "UserError";
inline constexpr std::string_view kStreamInvalidSequenceId = "InvalidSequenceId";
inline constexpr std::string_view kStreamNotFoundMessage = "The stream is not active.";
inline constexpr std::string_view kStreamTooManyMessage =
    "Too many active streams (limits.max_streams_per_connection).";
inline constexpr std::string_view kStreamConflictMessage =
    "A stream with this id is already active.";
inline constexpr std::string_view kStreamGapMessage =
    "A missing fragment was not sent within 10 s.";
inline constexpr std::string_view kStreamCancelledMessage = "The stream was cancelled.";
// "No stream activity for N ms."
std::string streamIdleMessage(uint64_t ms);
// "Expected N."
std::string streamExpectedMessage(uint64_t expected);
// "The stream is invalid: <why>."
std::string invalidStreamMessage(std::string_view why);

// "Message with ack-id: N has been processed"
std::string duplicateAckMessage(uint64_t ackId);
// "The client does not have permission to join group 'g'." (verb: join / leave / send to)
std::string forbiddenGroupMessage(std::string_view verb, std::string_view group);
// "The connection is already in N groups, the limit (limits.max_groups_per_connection)."
std::string groupLimitMessage(size_t limit);

// Truncates a close reason to at most 123 bytes without splitting a UTF-8 sequence.
std::string_view truncateCloseReason(std::string_view reason);

}  // namespace wps::errors
