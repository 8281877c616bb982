// A ClientTransport for unit tests: records frames and closes; can simulate a full queue.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/client_transport.h"

namespace wps::test {

class FakeTransport : public core::ClientTransport {
 public:
  struct Closed {
    uint16_t code;
    std::string reason;
    std::optional<std::string> finalFrame;  // flattened payload of the final frame
    bool discardQueued;
  };

  core::SendStatus send(protocol::OutFrame frame) override {
    if (closed) return core::SendStatus::kClosed;
    if (overflow) return core::SendStatus::kOverflow;
    frames.push_back(std::move(frame));
    ++queued;
    return core::SendStatus::kQueued;
  }
  void close(uint16_t code, std::string_view reason, std::optional<protocol::OutFrame> finalFrame,
             bool discardQueued) override {
    if (closed) return;
    std::optional<std::string> payload;
    if (finalFrame) payload = finalFrame->flatten().substr(finalFrame->headLen);
    closed = Closed{code, std::string(reason), payload, discardQueued};
  }
  void pauseReading(bool p) override { paused = p; }
  size_t queuedBytes() const override { return 0; }
  uint64_t framesQueued() const override { return queued; }
  void watchFrame(uint64_t frame) override { watched = frame; }

  // Payload (without the WebSocket header) of frame `i`.
  std::string payload(size_t i) const {
    const auto& f = frames.at(i);
    std::string all = f.flatten();
    // Strip the server frame header: 2, 4 or 10 bytes depending on the length byte.
    uint8_t len = static_cast<uint8_t>(all[1]) & 0x7F;
    size_t header = len < 126 ? 2 : len == 126 ? 4 : 10;
    return all.substr(header);
  }

  std::vector<protocol::OutFrame> frames;
  std::optional<Closed> closed;
  bool overflow = false;
  bool paused = false;
  uint64_t queued = 0;              // frames ever queued (frames may be cleared by a test)
  std::optional<uint64_t> watched;  // the frame the session asked to watch (watchFrame)
};

}  // namespace wps::test
