// The TLS layer of an upgraded WebSocket socket: an Asio SSL stream over the connection's own
// tcp::socket, built around an established session (SslHandle) with a fresh BIO pair. An
// ssl::stream cannot change io_context (its core holds timers of the old one), so moving a TLS
// connection to another worker takes its SSL out (release()) and builds a new stream there.
// Bytes read from the socket but not yet decrypted by the old stream are lost in the move: the
// upgrade moves a socket only while its client waits for the 101 answer and sends nothing.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

#include "transport/tls_handle.h"

namespace wps::transport {

// Owned by its WebSocket transport (or a migration step); loop-thread only.
class TlsStream {
 public:
  using Stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>;
  static constexpr size_t kReadBytes = 16 * 1024;

  // Takes over `ssl` (not null) on `socket`, which must outlive this object.
  TlsStream(boost::asio::ip::tcp::socket& socket, SslHandle ssl);
  ~TlsStream();

  Stream& stream() { return *stream_; }
  // Gives the session back (this object is then unusable): to rebuild it on another socket.
  SslHandle release();

  // This connection's receive buffer (kReadBytes): an async read must not use the worker's
  // shared scratch buffer, which other sockets overwrite before the read completes.
  char* readBuffer() { return in_.get(); }
  // The contiguous plaintext of the batch being written (one TLS record per write, not one
  // per frame part).
  std::string out;

 private:
  std::unique_ptr<Stream> stream_;
  std::unique_ptr<char[]> in_;
};

}  // namespace wps::transport
