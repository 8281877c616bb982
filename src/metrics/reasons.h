// The bounded `reason` / `limit` labels of the counters of server-initiated closes, handshake
// refusals and limit hits (docs/metrics.md). Each is a closed enum with a stable label: a label
// never carries free text (close reasons, error messages, hub or group names).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wps::metrics {

// Why the server closed (or, for a detached reliable session, ended) a client connection
// (webpubsubd_connections_closed_total). Each has its close code (closeCodeOf); kOther is a close
// whose reason is not in the catalogue of src/common/errors.h, counted by its code instead.
enum class CloseReason : size_t {
  kShutdown,              // 1001 the server is shutting down
  kIdleTimeout,           // 1001 no data from the client
  kReplaced,              // 1001 a recovery replaced this transport of a reliable session
  kAppServer,             // 1000 REST CloseConnection / CloseUserConnections / ...
  kInvalidFrame,          // 1002 WebSocket protocol violation
  kUnsupportedData,       // 1003 text/binary frame type not matching the subprotocol
  kInvalidMessage,        // 1007 not a valid JSON / protobuf protocol message
  kInvalidUtf8,           // 1007 text frame not valid UTF-8
  kMessageTooLarge,       // 1009 limits.max_message_bytes
  kTooManyMessages,       // 1008 limits.max_messages_per_second
  kOutboundQueueFull,     // 1008 limits.outbound_queue_bytes / _messages (slow client)
  kReliableBufferFull,    // 1008 reliable.buffer_messages / buffer_bytes
  kRecoveryFailed,        // 1008 a reconnection that cannot be recovered
  kSendToGroupForbidden,  // 1008 simple client in sendToGroup mode without the permission
  kUpstreamFailed,        // 1011 the event handler failed a simple client's message
  kOther,
  kCount
};
inline constexpr size_t kCloseReasons = static_cast<size_t>(CloseReason::kCount);
std::string_view labelOf(CloseReason r);
// The close code a reason is sent with (0 for kOther).
uint16_t closeCodeOf(CloseReason r);

// The close codes a kOther close is counted by (index), and the index of `code`
// (kOtherCloseCodes - 1, "other", for a code not listed).
inline constexpr uint16_t kOtherCloseCodeValues[] = {1000, 1001, 1002, 1003, 1007,
                                                     1008, 1009, 1011, 0};
inline constexpr size_t kOtherCloseCodes = std::size(kOtherCloseCodeValues);
size_t otherCloseCodeIndex(uint16_t code);

// Why a client handshake was refused (webpubsubd_handshakes_rejected_total).
enum class Refusal : size_t {
  kInvalidRequest,       // 400: hub name, query parameters, token group claim, no subprotocol
  kUnauthorized,         // 401: missing or invalid access token
  kUpstreamDenied,       // the connect handler answered 4xx
  kUpstreamFailed,       // the connect handler failed: 5xx, timeout, unreachable, bad answer
  kMaxConnections,       // 503: limits.max_connections
  kMaxConnectionsPerIp,  // 429: limits.max_connections_per_ip
  kCount
};
inline constexpr size_t kRefusals = static_cast<size_t>(Refusal::kCount);
std::string_view labelOf(Refusal r);

}  // namespace wps::metrics
