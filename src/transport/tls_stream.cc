#include "transport/tls_stream.h"

#include <openssl/ssl.h>

#include <utility>

namespace wps::transport {

void SslFree::operator()(ssl_st* ssl) const {
  SSL_free(ssl);
}

TlsStream::TlsStream(boost::asio::ip::tcp::socket& socket, SslHandle ssl)
    // The stream's engine owns the SSL from here on (and frees it).
    : stream_(std::make_unique<Stream>(socket, ssl.release())), in_(new char[kReadBytes]) {}

TlsStream::~TlsStream() = default;

SslHandle TlsStream::release() {
  SSL* ssl = stream_->native_handle();
  SSL_up_ref(ssl);  // survives the stream's SSL_free
  stream_.reset();
  return SslHandle(ssl);
}

}  // namespace wps::transport
