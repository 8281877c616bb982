// One WebSocket transport: our own RFC 6455 framing over a TCP socket (protocol/websocket)
// or over TLS on it (its I/O in ws_connection_tls.cc),
// a bounded outbound queue written with writev (shared broadcast bodies are never copied),
// and the closing handshake. Carries one ClientSession (or none, to refuse a recovery).
// Owned by its worker (shared_ptr held by the read loop); loop-thread only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/ring_queue.h"
#include "core/client_transport.h"
#include "core/session.h"
#include "protocol/websocket/parser.h"
#include "transport/tls_handle.h"

namespace wps::transport {

class WorkerIo;
class TlsStream;

struct WsLimits {
  size_t maxMessageBytes = 1024 * 1024;
  size_t maxQueuedBytes = 16 * 1024 * 1024;
  size_t maxQueuedFrames = 16 * 1024;
  Duration closeGrace = std::chrono::seconds(5);
};

// Ping interval of a transport without a session (opened only to be refused, e.g. a failed
// recovery): the default of the hubs' keepalive_interval_seconds.
inline constexpr std::chrono::seconds kSessionlessKeepAlive{20};

class WsConnection final : public core::ClientTransport,
                           public ws::MessageSink,
                           public std::enable_shared_from_this<WsConnection> {
 public:
  // `tls`: the established TLS session of `socket` (wss), or null (ws).
  WsConnection(WorkerIo& worker, boost::asio::ip::tcp::socket socket, WsLimits limits,
               std::chrono::seconds keepAlive, SslHandle tls = nullptr);
  ~WsConnection() override;

  // Starts reading. `session` may be null: the connection is then only closed with
  // `refuseCode`/`refuseReason` (a failed recovery: accept, then close 1008).
  void start(std::shared_ptr<core::ClientSession> session, std::string initialBytes);
  void refuse(uint16_t code, std::string_view reason);

  // core::ClientTransport
  core::SendStatus send(protocol::OutFrame frame) override;
  void close(uint16_t code, std::string_view reason, std::optional<protocol::OutFrame> finalFrame,
             bool discardQueued) override;
  void pauseReading(bool paused) override;
  size_t queuedBytes() const override { return queuedBytes_; }
  uint64_t framesQueued() const override { return framesPushed_; }
  void watchFrame(uint64_t frame) override { watchedFrame_ = frame + 1; }

  // After the worker threads stopped: closes the socket without telling the session (nothing
  // may run on the workers any more) and releases the connection's self-reference.
  void abandon();

  // Starts writing what is queued (called by WorkerIo::scheduleFlush's task).
  void flush();

  // Keep-alive: pings every interval; closes a connection silent for three intervals.
  void tick(TimePoint now);
  // Server shutdown: the session closes itself; a connection without one is dropped.
  void attachSession(std::shared_ptr<core::ClientSession> session) {
    session_ = std::move(session);
  }
  core::ClientSession* session() const { return session_.get(); }

  // Intrusive list of the worker's connections.
  WsConnection* prev = nullptr;
  WsConnection* next = nullptr;

 private:
  // ws::MessageSink
  void onMessage(bool binary, std::string_view payload) override;
  void onPing(std::string_view payload) override;
  void onPong(std::string_view payload) override;
  void onClose(std::optional<uint16_t> code, std::string_view reason) override;

  // Waits for the socket to become readable, or, while reading is paused, for it to fail.
  void readLoop();
  // While paused: an async_wait(wait_error) completes on EPOLLERR/EPOLLHUP (a reset), which
  // Asio's epoll reactor always watches; the keep-alive tick checks for a half-close.
  void watchForHangup();
  void onHangupWatch(const boost::system::error_code& ec);
  // True when the peer reset, hung up or half-closed (poll of the native handle, no wait).
  bool peerGone();
  void onReadable(const boost::system::error_code& ec);
  struct ReadResult {
    size_t bytes = 0;
    enum State { kData, kWouldBlock, kLost } state = kData;
  };
  // One non-blocking read of up to `len` bytes (over TLS: decrypted, one record at most).
  ReadResult readInto(char* buf, size_t len);
  // TLS (ws_connection_tls.cc). Waits for the socket (readable, or writable when the session
  // must send first), or, when the session may hold decrypted records, posts the read at once.
  void waitTlsReadable();
  ReadResult readTls(char* buf, size_t len);
  // Copies the batch into one buffer and sends it: true when it was written completely.
  bool writeTls();
  enum class TlsSend { kAllSent, kWaiting, kFailed };
  // Sends the rest of the batch's buffer; kWaiting: a wait for the socket was queued.
  TlsSend sendTlsOut();
  void onTlsWritable(const boost::system::error_code& ec);
  bool consume(char* data, size_t len, size_t* consumed);
  void queueRaw(protocol::OutFrame frame);
  // True when `bytes` more fit the outbound limits (queuedBytes_ + maxQueuedFrames).
  bool fits(size_t bytes) const;
  // fits(), after dropping the queued frames whose TTL passed when they do not (told to the
  // session: onFramesExpired); a pending pong keeps its place.
  bool makeRoom(size_t bytes);
  // Queues a control frame (pong, keep-alive ping) within the outbound limits; one that does
  // not fit closes the connection as a slow client (as a data frame overflow does). False then.
  bool queueControl(protocol::OutFrame frame);
  // The queued pong not yet handed to the socket, or null. At most one exists: a newer ping
  // replaces its payload (RFC 6455 §5.5.3 allows answering only the most recent ping).
  protocol::OutFrame* pendingPong();
  // Empties queue_ (keeping framesPopped_ in step); queuedBytes_ is the caller's.
  void clearQueue();
  // Writes queued frames until the queue is empty or the socket is full (then async_write
  // finishes the batch in flight).
  void startWrite();
  // Moves up to 64 frames (up to and including a close frame) from queue_ into inflight_,
  // dropping the data frames whose TTL passed (told to the session: onFramesExpired).
  void takeBatch();
  // One batch of up to 64 frames: true when it was written completely (and more may follow).
  bool writeBatch();
  // One non-blocking sendmsg of iov_: bytes written (0 when the socket is full) or kWriteFailed.
  size_t writeNow();
  // Drops the first `n` written bytes from iov_.
  void dropWritten(size_t n);
  // Bookkeeping after a batch was written; false when it held our close frame.
  bool batchWritten();
  void onWritten(const boost::system::error_code& ec);
  void startGraceTimer();
  void shutdownSocket();
  void end(core::TransportEnd how);

  WorkerIo& worker_;
  std::shared_ptr<WsConnection> self_;  // from start() until the socket is closed
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsStream> tls_;  // null for plain ws: the hot path tests only this
  WsLimits limits_;
  Duration keepAlive_;
  std::shared_ptr<core::ClientSession> session_;
  ws::MessageParser parser_;
  std::string pending_;  // an incomplete frame carried over between reads

  RingQueue<protocol::OutFrame> queue_;       // not yet handed to the socket
  std::vector<protocol::OutFrame> inflight_;  // the batch being written (must not move)
  size_t queuedBytes_ = 0;                    // queue_ and inflight_
  uint64_t framesPushed_ = 0;                 // frames ever pushed onto queue_
  uint64_t framesPopped_ = 0;                 // frames ever removed from queue_
  std::optional<uint64_t> pongSeq_;           // push number of the last queued pong
  uint64_t watchedFrame_ = 0;                 // push number + 1 of the watched frame; 0: none
  std::vector<boost::asio::const_buffer> iov_;
  bool writing_ = false;
  bool flushScheduled_ = false;

  bool tlsReadable_ = true;         // TLS: the last read got data (more may be buffered)
  bool tlsReadWantsWrite_ = false;  // TLS: the last read must wait for writability
  bool readPaused_ = false;
  bool reading_ = false;
  bool watchingHangup_ = false;  // an async_wait(wait_error) is pending
  bool parserFailed_ = false;
  bool closeQueued_ = false;    // our close frame is queued (nothing more may be sent)
  bool closeSent_ = false;      // our close frame was written
  bool closeReceived_ = false;  // the client's close frame arrived
  bool socketClosed_ = false;
  bool ended_ = false;
  std::optional<core::TransportEnd> endInfo_;
  std::unique_ptr<boost::asio::steady_timer> graceTimer_;

  TimePoint lastReceive_;
  TimePoint lastPing_;
};

}  // namespace wps::transport
