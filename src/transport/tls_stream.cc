#include "transport/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <utility>

namespace wps::transport {

void SslFree::operator()(ssl_st* ssl) const {
  SSL_free(ssl);
}

namespace {

// The socket BIO: OpenSSL's own (BIO_s_socket) writes with write(2), which raises SIGPIPE on a
// reset connection; this one sends with MSG_NOSIGNAL, and notes whether a read drained the
// socket. Its data is the TlsStream's SocketState.
TlsStream::SocketState& stateOf(BIO* bio) {
  return *static_cast<TlsStream::SocketState*>(BIO_get_data(bio));
}
int descriptorOf(BIO* bio) {
  return stateOf(bio).fd;
}

int bioWrite(BIO* bio, const char* data, int len) {
  BIO_clear_retry_flags(bio);
  while (true) {
    ssize_t n =
        ::send(descriptorOf(bio), data, static_cast<size_t>(len), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
    return -1;
  }
}

int bioRead(BIO* bio, char* data, int len) {
  BIO_clear_retry_flags(bio);
  while (true) {
    ssize_t n = ::recv(descriptorOf(bio), data, static_cast<size_t>(len), MSG_DONTWAIT);
    if (n >= 0) {
      stateOf(bio).drained = n < len;  // a short read took everything the socket had
      return static_cast<int>(n);      // 0: the peer closed the connection
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_read(bio);
    return -1;
  }
}

long bioCtrl(BIO*, int cmd, long, void*) {
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;  // nothing is buffered here
}

int bioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// Created once, never freed (OpenSSL's own methods are static too).
const BIO_METHOD* socketMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "wps-socket");
    BIO_meth_set_write(m, bioWrite);
    BIO_meth_set_read(m, bioRead);
    BIO_meth_set_ctrl(m, bioCtrl);
    BIO_meth_set_create(m, bioCreate);
    return m;
  }();
  return method;
}

int clampLength(size_t len) {
  return static_cast<int>(std::min<size_t>(len, INT_MAX));
}

}  // namespace

TlsStream::TlsStream(int fd, SslHandle ssl) : ssl_(std::move(ssl)), socket_(new SocketState{fd}) {
  BIO* bio = BIO_new(socketMethod());
  BIO_set_data(bio, socket_.get());
  SSL_set_bio(ssl_.get(), bio, bio);  // frees the BIOs the session had (one reference each)
  // Not SSL_MODE_RELEASE_BUFFERS: it frees and allocates both record buffers (17 KiB each) on
  // every record; releaseBuffers() drops them once the connection is quiet instead.
  SSL_clear_mode(ssl_.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_options(ssl_.get(), SSL_OP_NO_RENEGOTIATION);  // TLS 1.2: reads never have to write
  // One recv takes whatever the socket has (several records), not a header and then a body.
  SSL_set_read_ahead(ssl_.get(), 1);
}

TlsStream::~TlsStream() = default;

TlsStream::Result TlsStream::read(char* buf, size_t len) {
  ERR_clear_error();
  size_t n = 0;
  int ret = SSL_read_ex(ssl_.get(), buf, len, &n);
  return result(ret, n);
}

TlsStream::Result TlsStream::write(const char* data, size_t len) {
  ERR_clear_error();
  size_t n = 0;
  int ret = SSL_write_ex(ssl_.get(), data, static_cast<size_t>(clampLength(len)), &n);
  return result(ret, n);
}

TlsStream::Result TlsStream::result(int ret, size_t bytes) {
  if (ret == 1) return {Io::kDone, bytes};
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ:
      return {Io::kWantRead};
    case SSL_ERROR_WANT_WRITE:
      return {Io::kWantWrite};
    case SSL_ERROR_ZERO_RETURN:
      return {Io::kClosed};
    default:
      ERR_clear_error();  // a reset or a bad record: the caller drops the connection
      return {Io::kFailed};
  }
}

bool TlsStream::hasBuffered() const {
  return SSL_has_pending(ssl_.get()) == 1;
}

bool TlsStream::drained() const {
  return socket_->drained && !hasBuffered();
}

void TlsStream::releaseBuffers() {
  SSL_free_buffers(ssl_.get());  // refuses (and keeps them) while they hold data
}

SslHandle TlsStream::release() {
  SSL_set_bio(ssl_.get(), nullptr, nullptr);  // the BIO points into this object
  return std::move(ssl_);
}

}  // namespace wps::transport
