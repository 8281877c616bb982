// The TLS layer of an upgraded WebSocket socket: the established OpenSSL session (SslHandle)
// reading and writing records on the connection's descriptor itself, through a small socket
// BIO of ours (send with MSG_NOSIGNAL). No Asio stream and no buffers of its own: the transport
// waits for readiness on its socket, as on the plain path, and decrypts into the worker's
// shared scratch buffer; OpenSSL's record buffers are released while a connection is quiet
// (releaseBuffers, from the keep-alive tick). Not tied to an io_context, so moving a connection to
// another worker only re-attaches the session to the moved descriptor. Bytes of the socket that the
// HTTP session's Asio stream read but did not decrypt are lost in the hand-over: it happens only
// while the client waits for the 101 answer and sends nothing.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "transport/tls_handle.h"

namespace wps::transport {

// Owned by its WebSocket transport (or a migration step); loop-thread only.
class TlsStream {
 public:
  // What an operation needs before it can go on, or how it ended.
  enum class Io {
    kDone,       // `bytes` were read or written
    kWantRead,   // wait until the socket is readable, then call again
    kWantWrite,  // wait until the socket is writable, then call again (same arguments)
    kClosed,     // the peer closed the TLS session (close_notify) or the TCP connection
    kFailed,     // a TLS or socket error: the connection is unusable
  };
  struct Result {
    Io io;
    size_t bytes = 0;
  };

  // What the socket BIO knows: the descriptor, and whether its last read drained it.
  struct SocketState {
    int fd;
    bool drained = false;
  };

  // Takes over `ssl` (not null) and attaches it to the descriptor `fd` (non-blocking, owned by
  // the caller and open as long as this object).
  TlsStream(int fd, SslHandle ssl);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Decrypts up to `len` bytes into `buf` (at most one record's plaintext per call).
  Result read(char* buf, size_t len);
  // Encrypts and sends up to `len` bytes of `data` (partial writes allowed). After kWantWrite
  // or kWantRead, call again with the rest of the same data.
  Result write(const char* data, size_t len);
  // True when the session holds received bytes not yet returned by read(): read again before
  // waiting for the socket, which will not report them.
  bool hasBuffered() const;
  // True when the last read from the socket took everything it had and the session holds
  // nothing more: the next data comes with the socket's next readiness.
  bool drained() const;
  // Frees the session's record buffers when they hold nothing (a quiet connection); they are
  // allocated again by the next read or write.
  void releaseBuffers();

  // Gives the session back (this object is then unusable): to attach it to another descriptor.
  SslHandle release();

  // The contiguous plaintext of the batch being written and how much of it was sent.
  std::string out;
  size_t outSent = 0;

 private:
  Result result(int ret, size_t bytes);

  SslHandle ssl_;
  std::unique_ptr<SocketState> socket_;  // the BIO's data (stable address)
};

}  // namespace wps::transport
