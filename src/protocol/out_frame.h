// One WebSocket frame queued for a client, built so that the bulk of a broadcast (the body) is
// encoded once and shared by every receiver, while the few bytes that differ per receiver
// (the frame header and a reliable sequenceId) live inline. Written with a single writev.
// Value type; the shared body is immutable, so frames may be created on any thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "common/time.h"

namespace wps::protocol {

struct OutFrame {
  static constexpr size_t kInlineCapacity = 64;

  std::shared_ptr<const std::string> body;  // shared bytes between head and tail; may be null
  uint8_t headLen = 0;
  uint8_t tailLen = 0;
  bool isClose = false;     // a close frame: nothing may be written after it
  uint64_t sequenceId = 0;  // reliable data messages: their sequenceId; 0 otherwise
  // Data messages with a TTL (spec 1.1 §5): not written to the socket at or after this moment
  // (the transport drops it; a reliable session skips it at replay). max() = never expires.
  TimePoint expiresAt = TimePoint::max();
  char inlineBytes[kInlineCapacity];

  std::string_view head() const { return {inlineBytes, headLen}; }
  std::string_view tail() const { return {inlineBytes + headLen, tailLen}; }
  std::string_view bodyView() const { return body ? std::string_view(*body) : std::string_view(); }
  bool expired(TimePoint now) const { return now >= expiresAt; }
  size_t size() const { return headLen + tailLen + (body ? body->size() : 0); }
  // All bytes as one string (tests and debugging).
  std::string flatten() const;
};

}  // namespace wps::protocol
