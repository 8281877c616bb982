// A minimal, allocation-light asynchronous WebSocket client for the load generator: our own
// RFC 6455 codec (src/protocol/websocket) over an Asio TCP socket, no Beast. One object per
// connection, used only on its loop's thread; it can be restarted for a new connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/net.h"
#include "protocol/websocket/frame.h"
#include "protocol/websocket/parser.h"

namespace wps::bench {

class WsClient;

class WsListener {
 public:
  virtual ~WsListener() = default;
  // The 101 arrived (simple clients) or the `connected` system message (subprotocol clients).
  virtual void onOpen(WsClient& client) = 0;
  // A data message (system `connected` excluded for subprotocol clients).
  virtual void onMessage(WsClient& client, bool binary, std::string_view payload) = 0;
  // The connection failed or ended; `why` is for humans. Not called after close().
  virtual void onClosed(WsClient& client, std::string_view why) = 0;
};

struct WsTarget {
  tcp::endpoint server;
  std::string hostHeader;  // "127.0.0.1:PORT"
  // --tls: wss with this context (verifying the certificate for tlsHost); null = ws.
  asio::ssl::context* tls = nullptr;
  std::string tlsHost;
};

class WsClient : private ws::MessageSink {
 public:
  WsClient(asio::io_context& io, WsListener& listener, uint64_t seed);
  ~WsClient() override;

  // Connects and performs the opening handshake for `pathAndQuery` ("/client/hubs/h?access_
  // token=..."). `subprotocol` empty = simple client. `source` 0 = any local address.
  // Idle connections should call setBuffered(false) first (no receive buffer of their own).
  // Over TLS (target.tls) a client is started once only (a restart fails it).
  void start(const WsTarget& target, const std::string& pathAndQuery,
             const std::string& subprotocol, uint32_t source, bool linger0);

  // Appends one masked frame to the output buffer; flush() sends what was appended.
  void appendFrame(ws::Opcode op, std::string_view payload);
  void flush();
  void send(ws::Opcode op, std::string_view payload) {
    appendFrame(op, payload);
    flush();
  }
  // Closes the socket now (no close handshake; with linger0 a reset). No callback follows.
  void close();

  void setBuffered(bool buffered) { buffered_ = buffered; }
  bool isOpen() const { return state_ == State::kOpen; }
  const std::string& connectionId() const { return connectionId_; }
  // Free for the owner (index, counters).
  uint64_t tag = 0;
  uint64_t outstanding = 0;

 private:
  enum class State { kIdle, kConnecting, kHandshake, kWaitConnected, kOpen, kClosed };

  void onConnected(const error_code& ec);
  void sendUpgrade();
  ptrdiff_t consume(char* data, size_t len);
  ptrdiff_t consumeFrames(char* data, size_t len);
  void fail(std::string_view why);

  // ws::MessageSink
  void onMessage(bool binary, std::string_view payload) override;
  void onPing(std::string_view payload) override;
  void onPong(std::string_view) override {}
  void onClose(std::optional<uint16_t> code, std::string_view reason) override;

  asio::io_context& io_;
  WsListener& listener_;
  tcp::socket socket_;
  std::unique_ptr<TlsSocket> tls_;  // --tls
  std::string tlsHost_;
  Writer writer_;
  Reader reader_;
  ws::MessageParser parser_;
  FastRandom random_;
  State state_ = State::kIdle;
  std::string request_;
  std::string expectedAccept_;
  std::string connectionId_;
  bool subprotocolClient_ = false;
  bool buffered_ = true;
  bool stop_ = false;        // set when a callback closed us during parsing
  uint64_t generation_ = 0;  // completions of an earlier connection are ignored
};

}  // namespace wps::bench
