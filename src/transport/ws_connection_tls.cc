// WsConnection's I/O over TLS (wss). Like the plain path (ws_connection.cc) it waits for the
// socket's readiness and then works without blocking: reads decrypt into the worker's shared
// scratch buffer, and each batch of up to 64 frames is copied into one contiguous buffer and
// written with SSL_write (one record per 16 KiB instead of one per frame part).
// Loop-thread only, like the rest of WsConnection.
#include <boost/asio/post.hpp>

#include "transport/tls_stream.h"
#include "transport/worker_io.h"
#include "transport/ws_connection.h"

namespace wps::transport {

namespace asio = boost::asio;
using core::TransportEnd;

void WsConnection::waitTlsReadable() {
  reading_ = true;
  if (tlsReadable_) {
    // The session may hold decrypted records the socket's readiness will not report.
    asio::post(worker_.io, [self = shared_from_this()] {
      self->reading_ = false;
      self->onReadable({});
    });
    return;
  }
  auto wait =
      tlsReadWantsWrite_ ? asio::ip::tcp::socket::wait_write : asio::ip::tcp::socket::wait_read;
  socket_.async_wait(wait, [self = shared_from_this()](const boost::system::error_code& ec) {
    self->reading_ = false;
    self->onReadable(ec);
  });
}

WsConnection::ReadResult WsConnection::readTls(char* buf, size_t len) {
  TlsStream::Result r = tls_->read(buf, len);
  tlsReadWantsWrite_ = r.io == TlsStream::Io::kWantWrite;
  // After data, read again unless that read drained the socket (like a short plain read).
  tlsReadable_ = r.io == TlsStream::Io::kDone && !tls_->drained();
  switch (r.io) {
    case TlsStream::Io::kDone:
      return {r.bytes, ReadResult::kData};
    case TlsStream::Io::kWantRead:
    case TlsStream::Io::kWantWrite:
      return {0, ReadResult::kWouldBlock};
    default:
      return {0, ReadResult::kLost};
  }
}

bool WsConnection::writeTls() {
  std::string& out = tls_->out;
  out.clear();
  tls_->outSent = 0;
  for (const protocol::OutFrame& f : inflight_) {
    out.append(f.inlineBytes, f.headLen);
    if (f.body) out.append(f.body->data(), f.body->size());
    out.append(f.inlineBytes + f.headLen, f.tailLen);
  }
  switch (sendTlsOut()) {
    case TlsSend::kAllSent:
      return batchWritten();
    case TlsSend::kWaiting:
      return false;
    case TlsSend::kFailed:
      break;
  }
  end({TransportEnd::Cause::kLost, {}, {}});
  return false;
}

WsConnection::TlsSend WsConnection::sendTlsOut() {
  std::string& out = tls_->out;
  while (tls_->outSent < out.size()) {
    TlsStream::Result r = tls_->write(out.data() + tls_->outSent, out.size() - tls_->outSent);
    if (r.io == TlsStream::Io::kDone) {
      tls_->outSent += r.bytes;
      continue;
    }
    if (r.io != TlsStream::Io::kWantWrite && r.io != TlsStream::Io::kWantRead) {
      return TlsSend::kFailed;
    }
    writing_ = true;
    auto wait = r.io == TlsStream::Io::kWantWrite ? asio::ip::tcp::socket::wait_write
                                                  : asio::ip::tcp::socket::wait_read;
    socket_.async_wait(wait, [self = shared_from_this()](const boost::system::error_code& ec) {
      self->onTlsWritable(ec);
    });
    return TlsSend::kWaiting;
  }
  return TlsSend::kAllSent;
}

void WsConnection::onTlsWritable(const boost::system::error_code& ec) {
  if (ec || socketClosed_) {
    onWritten(ec ? ec : asio::error::operation_aborted);
    return;
  }
  switch (sendTlsOut()) {
    case TlsSend::kAllSent:
      onWritten({});
      return;
    case TlsSend::kWaiting:
      return;
    case TlsSend::kFailed:
      writing_ = false;
      end({TransportEnd::Cause::kLost, {}, {}});
      return;
  }
}

}  // namespace wps::transport
