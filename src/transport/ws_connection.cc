#include "transport/ws_connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/write.hpp>

#include <cerrno>

#include "common/errors.h"
#include "common/log.h"
#include "core/close_reasons.h"
#include "core/engine.h"
#include "core/message_ttl.h"
#include "metrics/metrics.h"
#include "protocol/frames.h"
#include "transport/tls_stream.h"
#include "transport/worker_io.h"

namespace wps::transport {

namespace asio = boost::asio;
using core::SendStatus;
using core::TransportEnd;

namespace {
constexpr size_t kMaxFramesPerWrite = 64;
constexpr size_t kMaxIovecs = 3 * kMaxFramesPerWrite;  // head, body, tail per frame
constexpr size_t kWriteFailed = static_cast<size_t>(-1);
}  // namespace

WsConnection::WsConnection(WorkerIo& worker, asio::ip::tcp::socket socket, WsLimits limits,
                           std::chrono::seconds keepAlive, SslHandle tls)
    : worker_(worker),
      socket_(std::move(socket)),
      tls_(tls ? std::make_unique<TlsStream>(socket_.native_handle(), std::move(tls)) : nullptr),
      limits_(limits),
      keepAlive_(keepAlive),
      parser_(ws::Role::kServer, ws::ParserLimits{limits.maxMessageBytes}) {
  lastReceive_ = lastPing_ = Clock::now();
  worker_.addConnection(this);
}

WsConnection::~WsConnection() {
  worker_.removeConnection(this);
}

void WsConnection::start(std::shared_ptr<core::ClientSession> session, std::string initialBytes) {
  // The connection owns itself until its socket is closed: the session only holds a raw
  // pointer, and while reading is paused no pending operation keeps it alive.
  self_ = shared_from_this();
  session_ = std::move(session);
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (!initialBytes.empty()) {
    pending_ = std::move(initialBytes);
    size_t consumed = 0;
    if (consume(pending_.data(), pending_.size(), &consumed)) pending_.erase(0, consumed);
  }
  readLoop();
}

void WsConnection::refuse(uint16_t code, std::string_view reason) {
  if (worker_.engine) {
    metrics::Metrics::closed(worker_.engine->worker(worker_.index).counters,
                             core::closeReasonOf(code, reason), code);
  }
  start(nullptr, {});
  close(code, reason, std::nullopt, true);
}

// --- Reading -----------------------------------------------------------------------------------

void WsConnection::readLoop() {
  if (reading_ || socketClosed_) return;
  if (readPaused_) {
    watchForHangup();
    return;
  }
  if (tls_) {
    waitTlsReadable();
    return;
  }
  reading_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->reading_ = false;
                       self->onReadable(ec);
                     });
}

void WsConnection::watchForHangup() {
  if (watchingHangup_ || socketClosed_) return;
  // Queueing the wait re-arms the descriptor in Asio's edge-triggered epoll set (EPOLL_CTL_MOD),
  // so a reset that happened before this call is reported too.
  watchingHangup_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_error,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       self->watchingHangup_ = false;
                       self->onHangupWatch(ec);
                     });
}

void WsConnection::onHangupWatch(const boost::system::error_code& ec) {
  if (socketClosed_ || ec == asio::error::operation_aborted) return;
  if (ec || peerGone()) {
    // Whatever the client sent and we did not read yet is dropped with the connection.
    end({TransportEnd::Cause::kLost, {}, {}});
    return;
  }
  if (readPaused_) watchForHangup();  // urgent data, not a hangup: keep watching
}

bool WsConnection::peerGone() {
  pollfd p{};
  p.fd = socket_.native_handle();
  p.events = POLLRDHUP;
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLHUP | POLLERR | POLLRDHUP | POLLNVAL)) != 0;
}

WsConnection::ReadResult WsConnection::readInto(char* buf, size_t len) {
  if (tls_) return readTls(buf, len);
  boost::system::error_code ec;
  size_t n = socket_.read_some(asio::buffer(buf, len), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    return {0, ReadResult::kWouldBlock};
  }
  if (ec || n == 0) return {0, ReadResult::kLost};
  return {n, ReadResult::kData};
}

void WsConnection::onReadable(const boost::system::error_code& waitError) {
  if (socketClosed_) return;
  if (waitError) {
    if (waitError != asio::error::operation_aborted) end({TransportEnd::Cause::kLost, {}, {}});
    return;
  }
  // Drain what the kernel has, one scratch buffer at a time (over TLS: one record at a time).
  int rounds = tls_ ? 16 : 4;
  for (int round = 0; round < rounds && !socketClosed_ && !readPaused_; ++round) {
    char* base;
    size_t len;
    ReadResult r;
    if (pending_.empty()) {
      base = worker_.scratch.data();
      r = readInto(base, worker_.scratch.size());
      len = r.bytes;
    } else {
      // Continue an incomplete frame: read straight behind it.
      size_t need = parser_.minimumBytesForNextFrame(pending_.data(), pending_.size());
      size_t want = std::max<size_t>(need > pending_.size() ? need - pending_.size() : 0, 16384);
      want = std::min(want, limits_.maxMessageBytes + 16);
      size_t old = pending_.size();
      pending_.resize(old + want);
      r = readInto(pending_.data() + old, want);
      pending_.resize(old + r.bytes);
      base = pending_.data();
      len = pending_.size();
    }
    if (r.state == ReadResult::kWouldBlock) break;
    if (r.state == ReadResult::kLost) {
      end({TransportEnd::Cause::kLost, {}, {}});
      return;
    }
    lastReceive_ = Clock::now();
    size_t consumed = 0;
    if (!consume(base, len, &consumed)) return;
    if (base == worker_.scratch.data()) {
      if (consumed < len) pending_.assign(base + consumed, len - consumed);
    } else {
      pending_.erase(0, consumed);
      if (pending_.empty()) std::string().swap(pending_);  // idle connections hold no buffer
    }
    // A short plain read drained the socket; a TLS read returns one record at most.
    if (tls_ ? !tlsReadable_ : r.bytes < worker_.scratch.size() && base == worker_.scratch.data()) {
      break;
    }
  }
  readLoop();
}

// Parses complete frames; false when reading must stop (error or closed).
bool WsConnection::consume(char* data, size_t len, size_t* consumed) {
  if (parserFailed_) {
    *consumed = len;  // after a protocol error, input is discarded until the socket closes
    return true;
  }
  auto err = parser_.parse(data, len, consumed, *this);
  if (err) {
    parserFailed_ = true;
    *consumed = len;
    WPS_LOG_DEBUG("websocket protocol error ({}): {}", err->closeCode, err->reason);
    if (session_) session_->onTransportError(this, err->closeCode, err->reason);
    close(err->closeCode, err->reason, std::nullopt, false);  // no-op if the session closed
  }
  return !socketClosed_;
}

void WsConnection::onMessage(bool binary, std::string_view payload) {
  if (closeQueued_ || !session_) return;
  session_->onMessage(binary, payload);
}

void WsConnection::onPing(std::string_view payload) {
  if (closeQueued_) return;
  protocol::OutFrame pong = protocol::makePongFrame(payload);
  if (protocol::OutFrame* old = pendingPong()) {
    // Still waiting for the socket: answer only this newer ping, in the older one's place.
    size_t oldSize = old->size();
    if (pong.size() <= oldSize || fits(pong.size() - oldSize)) {
      queuedBytes_ = queuedBytes_ - oldSize + pong.size();
      *old = std::move(pong);
      return;
    }
  }
  if (queueControl(std::move(pong))) pongSeq_ = framesPushed_ - 1;
}

void WsConnection::onPong(std::string_view) {}

void WsConnection::onClose(std::optional<uint16_t> code, std::string_view reason) {
  closeReceived_ = true;
  if (!closeQueued_) {
    // Client-initiated: echo its code, then end.
    endInfo_ = TransportEnd{TransportEnd::Cause::kClientClose, code, std::string(reason)};
    closeQueued_ = true;
    queueRaw(protocol::makeCloseFrame(code.value_or(0), ""));
    startGraceTimer();
    return;
  }
  if (closeSent_) shutdownSocket();
}

void WsConnection::pauseReading(bool paused) {
  if (readPaused_ == paused) return;
  readPaused_ = paused;
  if (!paused) readLoop();
}

// --- Writing -----------------------------------------------------------------------------------

SendStatus WsConnection::send(protocol::OutFrame frame) {
  if (closeQueued_ || socketClosed_) return SendStatus::kClosed;
  if (!makeRoom(frame.size())) return SendStatus::kOverflow;
  queueRaw(std::move(frame));
  return SendStatus::kQueued;
}

bool WsConnection::fits(size_t bytes) const {
  return queuedBytes_ + bytes <= limits_.maxQueuedBytes && queue_.size() < limits_.maxQueuedFrames;
}

bool WsConnection::makeRoom(size_t bytes) {
  if (fits(bytes)) return true;
  // Frames whose TTL passed while queued are not worth closing a slow client for.
  std::optional<size_t> pong;
  if (pendingPong()) pong = static_cast<size_t>(*pongSeq_ - framesPopped_);
  size_t pongIndex = pong.value_or(0);
  size_t expired =
      core::purgeExpired(queue_, Clock::now(), &queuedBytes_, pong ? &pongIndex : nullptr);
  if (expired == 0) return false;
  framesPopped_ += expired;  // framesPushed_ - framesPopped_ stays the queue's size
  if (pong) pongSeq_ = framesPopped_ + pongIndex;
  if (session_) session_->onFramesExpired(this, expired);
  return fits(bytes);
}

bool WsConnection::queueControl(protocol::OutFrame frame) {
  if (closeQueued_ || socketClosed_) return false;
  if (makeRoom(frame.size())) {
    queueRaw(std::move(frame));
    return true;
  }
  WPS_LOG_DEBUG("outbound queue full for a control frame: closing a slow client");
  if (session_) session_->onTransportOverflow(this);
  // Without a session (or when it is already closing), the transport closes itself.
  close(errors::kOutboundQueueFull.code, errors::kOutboundQueueFull.reason, std::nullopt, true);
  return false;
}

protocol::OutFrame* WsConnection::pendingPong() {
  if (!pongSeq_ || *pongSeq_ < framesPopped_) return nullptr;
  size_t index = static_cast<size_t>(*pongSeq_ - framesPopped_);
  return index < queue_.size() ? &queue_[index] : nullptr;
}

void WsConnection::clearQueue() {
  framesPopped_ += queue_.size();
  queue_.clear();
}

void WsConnection::queueRaw(protocol::OutFrame frame) {
  if (socketClosed_) return;
  queuedBytes_ += frame.size();
  queue_.push_back(std::move(frame));
  ++framesPushed_;
  if (!writing_ && !flushScheduled_) {
    flushScheduled_ = true;
    worker_.scheduleFlush(shared_from_this());
  }
}

void WsConnection::flush() {
  flushScheduled_ = false;
  startWrite();
}

void WsConnection::startWrite() {
  while (!writing_ && !queue_.empty() && !socketClosed_) {
    if (!writeBatch()) return;
  }
}

bool WsConnection::writeBatch() {
  // The batch moves out of the queue: the iovecs point into these frames (their inline head
  // and tail bytes), so they must not move while the write is in flight, whatever is queued.
  takeBatch();
  if (inflight_.empty()) return true;  // every frame taken had expired
  if (tls_) return writeTls();
  size_t total = 0;
  for (const protocol::OutFrame& f : inflight_) {
    if (f.headLen) iov_.emplace_back(f.inlineBytes, f.headLen);
    if (f.body && !f.body->empty()) iov_.emplace_back(f.body->data(), f.body->size());
    if (f.tailLen) iov_.emplace_back(f.inlineBytes + f.headLen, f.tailLen);
    total += f.size();
  }
  // Most writes fit in the socket buffer: one non-blocking sendmsg, no reactor round trip.
  // Whatever does not fit is written by async_write.
  size_t written = writeNow();
  if (written == kWriteFailed) {
    end({TransportEnd::Cause::kLost, {}, {}});
    return false;
  }
  if (written == total) return batchWritten();
  dropWritten(written);
  writing_ = true;
  asio::async_write(socket_, iov_,
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->onWritten(ec);
                    });
  return false;
}

void WsConnection::takeBatch() {
  inflight_.clear();
  iov_.clear();
  std::optional<TimePoint> now;  // read once, and only when a frame has a TTL
  size_t expired = 0;
  while (!queue_.empty() && inflight_.size() < kMaxFramesPerWrite) {
    protocol::OutFrame& front = queue_.front();
    if (front.expiresAt != TimePoint::max()) {
      if (!now) now = Clock::now();
      if (front.expired(*now)) {  // its TTL passed before it reached the socket (spec 1.1 §5)
        queuedBytes_ -= front.size();
        queue_.pop_front();
        ++framesPopped_;
        ++expired;
        continue;
      }
    }
    bool isClose = front.isClose;
    inflight_.push_back(std::move(front));
    queue_.pop_front();
    ++framesPopped_;
    if (isClose) break;
  }
  if (expired && session_) session_->onFramesExpired(this, expired);
}

size_t WsConnection::writeNow() {
  iovec vec[kMaxIovecs];
  size_t count = std::min(iov_.size(), kMaxIovecs);
  for (size_t i = 0; i < count; ++i) {
    vec[i].iov_base = const_cast<void*>(iov_[i].data());
    vec[i].iov_len = iov_[i].size();
  }
  msghdr msg{};
  msg.msg_iov = vec;
  msg.msg_iovlen = count;
  while (true) {
    ssize_t n = ::sendmsg(socket_.native_handle(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    return kWriteFailed;
  }
}

void WsConnection::dropWritten(size_t n) {
  size_t i = 0;
  while (i < iov_.size() && n >= iov_[i].size()) {
    n -= iov_[i].size();
    ++i;
  }
  iov_.erase(iov_.begin(), iov_.begin() + static_cast<std::ptrdiff_t>(i));
  if (n > 0 && !iov_.empty()) iov_.front() += n;
}

void WsConnection::onWritten(const boost::system::error_code& ec) {
  writing_ = false;
  if (ec) {
    if (!socketClosed_) end({TransportEnd::Cause::kLost, {}, {}});
    return;
  }
  if (!batchWritten()) return;
  // What was queued meanwhile goes out with the worker's next flush, together with what the
  // handlers that run before it queue.
  if (!queue_.empty() && !flushScheduled_) {
    flushScheduled_ = true;
    worker_.scheduleFlush(shared_from_this());
  }
}

bool WsConnection::batchWritten() {
  bool wroteClose = false;
  for (const auto& f : inflight_) {
    wroteClose = wroteClose || f.isClose;
    queuedBytes_ -= f.size();
  }
  inflight_.clear();
  // Every frame taken from the queue so far is written now (or was dropped unwritten).
  if (watchedFrame_ != 0 && watchedFrame_ <= framesPopped_) {
    watchedFrame_ = 0;
    if (session_) session_->onWatchedFrameWritten(this);
  }
  if (inflight_.capacity() > kMaxFramesPerWrite / 2 && queue_.empty()) {
    queue_.shrink();  // after a burst
    std::vector<protocol::OutFrame>().swap(inflight_);
  }
  if (wroteClose) {
    closeSent_ = true;
    clearQueue();
    queuedBytes_ = 0;
    if (closeReceived_ || parserFailed_) {
      // After a protocol error the input cannot be trusted to carry the peer's close frame:
      // fail the connection at once (RFC 6455 §7.1.7).
      shutdownSocket();
    }
    return false;  // otherwise the grace timer started by close() ends the wait for the peer
  }
  return true;
}

void WsConnection::close(uint16_t code, std::string_view reason,
                         std::optional<protocol::OutFrame> finalFrame, bool discardQueued) {
  if (closeQueued_ || socketClosed_) return;
  closeQueued_ = true;
  endInfo_ = TransportEnd{TransportEnd::Cause::kServiceClose, code, std::string(reason)};
  if (discardQueued) {
    // Frames not yet handed to the socket are dropped (a write in progress completes).
    for (size_t i = 0; i < queue_.size(); ++i)
      queuedBytes_ -= queue_[i].size();
    clearQueue();
  }
  if (finalFrame) queueRaw(std::move(*finalFrame));
  queueRaw(protocol::makeCloseFrame(code, reason));
  // The closing handshake gets a bounded time, whether or not the peer reads what we queued
  // (a slow client may never take the close frame).
  startGraceTimer();
}

void WsConnection::startGraceTimer() {
  graceTimer_ = std::make_unique<asio::steady_timer>(worker_.io);
  graceTimer_->expires_after(limits_.closeGrace);
  graceTimer_->async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->shutdownSocket();
  });
}

void WsConnection::shutdownSocket() {
  if (socketClosed_) return;
  TransportEnd how = endInfo_.value_or(TransportEnd{TransportEnd::Cause::kLost, {}, {}});
  end(std::move(how));
}

void WsConnection::end(TransportEnd how) {
  if (socketClosed_) return;
  auto self = std::move(self_);  // released when end() returns
  socketClosed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  if (graceTimer_) graceTimer_->cancel();
  clearQueue();
  queuedBytes_ = 0;
  std::string().swap(pending_);
  // inflight_ stays until the pending write completes (the socket is closed: it fails now).
  if (ended_) return;
  ended_ = true;
  // A close we started reports as a service close even if the peer vanished meanwhile.
  if (endInfo_ && how.cause == TransportEnd::Cause::kLost) how = *endInfo_;
  auto session = std::move(session_);
  if (session) session->onTransportClosed(this, how);
}

void WsConnection::abandon() {
  auto self = std::move(self_);
  session_.reset();
  ended_ = true;
  socketClosed_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
  clearQueue();
  inflight_.clear();
}

// --- Keep-alive --------------------------------------------------------------------------------

void WsConnection::tick(TimePoint now) {
  if (socketClosed_) return;
  if (readPaused_) {
    // Paused for backpressure: not idle, but a half-close is noticed only here (Asio does not
    // watch EPOLLRDHUP).
    lastReceive_ = now;
    if (peerGone()) {
      end({TransportEnd::Cause::kLost, {}, {}});
      return;
    }
  }
  if (closeQueued_) return;
  if (!writing_ && queue_.empty()) {  // quiet: hold no write buffers until the next frame
    queue_.shrink();
    std::vector<protocol::OutFrame>().swap(inflight_);
    std::vector<asio::const_buffer>().swap(iov_);
    if (tls_) {
      std::string().swap(tls_->out);
      tls_->releaseBuffers();
    }
  }
  if (now - lastReceive_ > 3 * keepAlive_) {
    if (session_) {
      session_->onTransportError(this, errors::kIdleTimeout.code, errors::kIdleTimeout.reason);
    }
    close(errors::kIdleTimeout.code, errors::kIdleTimeout.reason, std::nullopt, true);
    return;
  }
  if (now - lastPing_ >= keepAlive_) {
    lastPing_ = now;
    queueControl(protocol::makePingFrame());
  }
}

}  // namespace wps::transport
