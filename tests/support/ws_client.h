// A blocking WebSocket client for tests (masking, fragmentation and raw bytes under the test's
// control), built on our codec. Each client owns its socket; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"

namespace wps::test {

struct HandshakeOutcome {
  int status = 0;           // HTTP status of the answer (101 on success); 0 = no answer
  std::string subprotocol;  // Sec-WebSocket-Protocol of a 101
  http::HttpHeaders headers;
  std::string body;  // body of a non-101 answer
};

struct WsMessage {
  enum class Kind { kText, kBinary, kPing, kPong, kClose, kTimeout, kClosedTcp };
  Kind kind = Kind::kTimeout;
  std::string data;  // payload (close: the reason)
  std::optional<uint16_t> closeCode;

  bool isText() const { return kind == Kind::kText; }
  bool isBinary() const { return kind == Kind::kBinary; }
  bool isClose() const { return kind == Kind::kClose; }
};

class WsClient {
 public:
  ~WsClient();

  // Connects to 127.0.0.1:port and sends the upgrade for `target` ("/client/hubs/chat?...").
  // Returns the client when the answer is 101; otherwise null with `*outcome` filled in.
  // `receiveBufferBytes` > 0 fixes SO_RCVBUF (no autotuning), to make a slow reader.
  static std::unique_ptr<WsClient> connect(uint16_t port, const std::string& target,
                                           const std::vector<std::string>& subprotocols = {},
                                           HandshakeOutcome* outcome = nullptr,
                                           const http::HttpHeaders& extraHeaders = {},
                                           int receiveBufferBytes = 0);

  const std::string& subprotocol() const { return subprotocol_; }

  void sendText(std::string_view text);
  void sendBinary(std::string_view bytes);
  // One frame with explicit opcode and FIN (masked, as a client must).
  void sendFrame(uint8_t opcode, std::string_view payload, bool fin = true);
  void sendClose(std::optional<uint16_t> code, std::string_view reason = {});
  void sendRaw(std::string_view bytes);
  // Writes as much of `bytes` as the server takes within `timeout` (it may have paused reading)
  // and returns how many were written; a short write leaves a partial frame on the wire.
  size_t sendRawFor(std::string_view bytes, std::chrono::milliseconds timeout);

  // The next message (data, control or close); pings are answered automatically unless
  // `returnPings`. kTimeout after `timeout`; kClosedTcp when the server closed the socket.
  WsMessage next(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                 bool returnPings = false);
  // Skips pings/pongs and returns the next data or close message.
  WsMessage nextData(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Waits for a close frame (answering it) and then for the server to close TCP.
  WsMessage waitForClose(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // True when the server closed the TCP connection within `timeout` (reads are discarded).
  bool waitForTcpClose(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Closes the TCP connection abruptly (no close frame).
  void dropTcp();

 private:
  class Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string subprotocol_;
};

}  // namespace wps::test
