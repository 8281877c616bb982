// An owned OpenSSL connection (SSL*) between two Asio streams: an established TLS session
// handed from the HTTP session to a WebSocket transport, possibly on another worker. No
// OpenSSL or Asio includes.
#pragma once

#include <memory>

struct ssl_st;  // OpenSSL's SSL

namespace wps::transport {

struct SslFree {
  void operator()(ssl_st* ssl) const;  // SSL_free (tls_stream.cc)
};
// Owned by one thread at a time (moved along with its socket). Null for a plain connection.
using SslHandle = std::unique_ptr<ssl_st, SslFree>;

}  // namespace wps::transport
