// The producers' side of the outbox: workers (connected, disconnected, joined, left, state
// changes) and the cluster (disconnected events of a dead node's connections) hand events over
// here. The outbox delivers each accepted event at least once, in acceptance order per
// connection (docs/delivery.md). Implementations: delivery/outbox.h and tests' fakes.
// Thread-safe: every method may be called from any thread and returns at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "delivery/pending_event.h"

namespace wps::delivery {

class EventOutbox {
 public:
  // Called on the outbox thread with the Set-Cookie values of an event's 2xx answer and the
  // URL the event was posted to. Must be thread-safe (post to the connection's loop).
  using SetCookieHook =
      std::function<void(std::vector<std::string> setCookies, std::string requestUrl)>;

  virtual ~EventOutbox() = default;

  // Accepts `event` (its seq, attempts and dueMs are assigned by the outbox). Events of one
  // connection must be accepted from one thread, in the order they happened. `onSetCookie`
  // (may be empty) is kept in memory only: it is not called for an event delivered after a
  // restart.
  virtual void accept(PendingEvent event, SetCookieHook onSetCookie = {}) = 0;

  // Records a connection whose `connected` event is not delivered (its hub has no handler for
  // it), so that a `disconnected` event can be made for it after a crash, as for a connection
  // recorded by its accepted `connected` event. Its `disconnected` event removes the record as
  // usual. Ordered with accept() of the same connection (call it from the same thread).
  virtual void recordConnection(ConnectionRecord record) = 0;

  // Records `state` as the latest connection state of `connectionId` (used by a
  // `disconnected` event made for it after a crash). Ignored for unknown connections.
  virtual void updateConnectionState(std::string connectionId, std::string state) = 0;
};

}  // namespace wps::delivery
