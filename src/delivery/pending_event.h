// The values the outbox keeps: one accepted unblocking event (connected, disconnected, group
// presence joined/left, whose group is in the body) with its scheduling state, and the record
// of a connection that is open on this node (crash recovery).
// Plain values; whoever holds one owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cloudevents/event_types.h"
#include "http/message.h"

namespace wps::delivery {

// Everything needed to rebuild the event's request byte for byte on every attempt, except what
// is recomputed per attempt from the current settings: the handler's URL and Authorization, the
// WebHook-Request-Origin and the ce-signature (keys may rotate).
struct PendingEvent {
  uint64_t seq = 0;  // acceptance order, assigned by the store (OutboxStore::apply)
  cloudevents::EventKind kind = cloudevents::EventKind::kConnected;
  std::string hub;  // lower-cased
  std::string connectionId;
  std::optional<std::string> userId;
  std::string subprotocol;      // empty = none
  std::string connectionState;  // empty = none
  std::string origin;           // WebHook-Request-Origin of the connection (from its handshake);
                                // empty = derived from the settings at each attempt
  std::string ceId;             // the same on every attempt: (ce-connectionId, ce-id) is the
                                // idempotency key an upstream may rely on
  int64_t timeMs = 0;           // ce-time, Unix milliseconds, fixed at acceptance
  std::string contentType;
  std::string body;
  http::HttpHeaders extraHeaders;  // X-WebPubSub-Metadata-* and Cookie, fixed at acceptance

  // Scheduling state (persisted with the event).
  uint32_t attempts = 0;  // attempts made so far
  int64_t dueMs = 0;      // no attempt before this Unix millisecond

  // The bytes this event counts against delivery.max_pending_bytes (strings and headers).
  size_t byteSize() const;
};

// A connection open on this node, recorded when its `connected` event is accepted and removed
// with its `disconnected` event. Records left by a process that did not stop cleanly become
// `disconnected` events with reason "The server restarted." on the next start.
struct ConnectionRecord {
  std::string hub;  // lower-cased
  std::string connectionId;
  std::optional<std::string> userId;
  std::string subprotocol;
  std::string connectionState;  // the latest one (OutboxStore::Batch::stateUpdates)
  std::string origin;           // WebHook-Request-Origin of its events (empty = derived)
};

// Names an event dropped by the store (expired, overflow) for logs and counters.
struct EventRef {
  uint64_t seq = 0;
  cloudevents::EventKind kind = cloudevents::EventKind::kConnected;
  std::string hub;
  std::string connectionId;
  size_t bytes = 0;
};

}  // namespace wps::delivery
