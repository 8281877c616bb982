// What the core sees of one WebSocket transport (implemented by transport/ws_connection).
// Loop-thread only: a transport and the session it carries live on the same worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/out_frame.h"

namespace wps::core {

// Result of queueing a frame: backpressure is part of the contract.
enum class SendStatus {
  kQueued,    // queued for writing
  kOverflow,  // the outbound queue limit was exceeded: the frame was dropped; the caller must
              // close the client ("The outbound message queue is full.")
  kClosed,    // the transport is closing or closed: the frame was dropped
};

class ClientTransport {
 public:
  virtual ~ClientTransport() = default;

  // Queues one frame. Never calls back into the session synchronously.
  virtual SendStatus send(protocol::OutFrame frame) = 0;

  // Starts the closing handshake: optionally drops frames not yet started, queues `finalFrame`
  // (e.g. a `disconnected` system message) and a close frame with `code`/`reason`, stops
  // reading data, and ends the TCP connection once the peer answers or after a short grace
  // period. The session is told through onTransportClosed() (asynchronously). Idempotent.
  virtual void close(uint16_t code, std::string_view reason,
                     std::optional<protocol::OutFrame> finalFrame, bool discardQueued) = 0;

  // Inbound backpressure: stop (true) or resume (false) reading from the socket. A paused
  // transport still notices a reset or hangup of the peer and then ends at once
  // (onTransportClosed, kLost), dropping whatever it had not read.
  virtual void pauseReading(bool paused) = 0;

  // Bytes queued and not yet written.
  virtual size_t queuedBytes() const = 0;
  // Frames queued so far (data and control): the number the next queued frame gets.
  virtual uint64_t framesQueued() const { return 0; }
  // Asks for one ClientSession::onWatchedFrameWritten(this) once frame number `frame` (the
  // value framesQueued() had before it was queued) has been handed to the socket completely;
  // replaces a request not answered yet. Not answered when the transport ends first; a frame
  // dropped unwritten (TTL, a discarded queue) is answered with the next complete write.
  // Default: never answered (the blocking-event reply stage is then not observed).
  virtual void watchFrame(uint64_t frame) { (void)frame; }
};

// How a transport ended, as reported to its session.
struct TransportEnd {
  enum class Cause {
    kClientClose,   // the client sent a close frame
    kServiceClose,  // we closed it (close() or a protocol violation)
    kLost,          // EOF, reset or timeout without a close frame
  };
  Cause cause = Cause::kLost;
  std::optional<uint16_t> code;  // close code received (client) or sent (service)
  std::string reason;            // close reason received or sent
};

}  // namespace wps::core
