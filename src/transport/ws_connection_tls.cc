// WsConnection's I/O over TLS (wss): the plain path (ws_connection.cc) waits for readiness and
// reads and writes the socket itself; over TLS the SSL stream does both, asynchronously.
// Loop-thread only, like the rest of WsConnection.
#include <boost/asio/write.hpp>

#include "transport/tls_stream.h"
#include "transport/worker_io.h"
#include "transport/ws_connection.h"

namespace wps::transport {

namespace asio = boost::asio;
using core::TransportEnd;

void WsConnection::readTls() {
  // Decrypted bytes the SSL object still holds come back at once, without socket readiness.
  reading_ = true;
  tls_->stream().async_read_some(
      asio::buffer(tls_->readBuffer(), TlsStream::kReadBytes),
      [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
        self->reading_ = false;
        self->onTlsRead(ec, n);
      });
}

void WsConnection::onTlsRead(const boost::system::error_code& ec, size_t n) {
  if (socketClosed_) return;
  if (ec) {
    if (ec != asio::error::operation_aborted) end({TransportEnd::Cause::kLost, {}, {}});
    return;
  }
  lastReceive_ = Clock::now();
  // Read while pausing: the bytes are decrypted and cannot go back, so they are parsed (at most
  // one buffer more than the inbound limits allow).
  received(tls_->readBuffer(), n);
  if (!socketClosed_) readLoop();
}

void WsConnection::received(char* data, size_t n) {
  size_t consumed = 0;
  if (pending_.empty()) {
    if (!consume(data, n, &consumed)) return;  // complete frames are unmasked in place
    if (consumed < n) pending_.assign(data + consumed, n - consumed);
    return;
  }
  pending_.append(data, n);
  if (!consume(pending_.data(), pending_.size(), &consumed)) return;
  pending_.erase(0, consumed);
  if (pending_.empty()) std::string().swap(pending_);  // idle connections hold no buffer
}

bool WsConnection::writeTls() {
  std::string& out = tls_->out;
  out.clear();
  for (const protocol::OutFrame& f : inflight_) {
    out.append(f.inlineBytes, f.headLen);
    if (f.body) out.append(f.body->data(), f.body->size());
    out.append(f.inlineBytes + f.headLen, f.tailLen);
  }
  writing_ = true;
  asio::async_write(tls_->stream(), asio::buffer(out),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->onWritten(ec);
                    });
  return false;
}

}  // namespace wps::transport
