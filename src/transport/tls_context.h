// The server's TLS configuration: an OpenSSL context (TLS 1.2 minimum, ALPN http/1.1) with the
// certificate chain and key of [tls], replaceable at runtime. Each accepted connection takes the
// context current at its accept; a replacement affects only later handshakes.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "config/settings.h"

namespace wps::transport {

using SslContextPtr = std::shared_ptr<boost::asio::ssl::context>;

// Thread-safe. Builds a server context from PEM files (`certFile`: the certificate, then its
// chain). Errors: kInvalidArgument "tls.cert_file: …" / "tls.key_file: …" with OpenSSL's reason
// (unreadable, not PEM, key not matching the certificate).
StatusOr<SslContextPtr> makeServerSslContext(const std::string& certFile,
                                             const std::string& keyFile);

// Owned by the Runtime; thread-safe.
class TlsContext {
 public:
  // Loads `tls` (not enabled: clears the context). On an error the current context stays.
  Status load(const config::TlsSettings& tls);
  // The context for a new connection; null when TLS is off.
  SslContextPtr current() const;

 private:
  mutable std::mutex mu_;
  SslContextPtr context_;
};

}  // namespace wps::transport
