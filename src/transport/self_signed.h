// Development certificates: a fresh CA and a server certificate it signs (EC P-256, SHA-256),
// written as PEM files. Behind `serve --tls-self-signed`, and the tests' certificates. No Asio.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace wps::transport {

struct CertificateRequest {
  // Subject alternative names of the server certificate: IP addresses or DNS names.
  std::vector<std::string> hosts = {"localhost", "127.0.0.1", "::1"};
  // Both certificates are valid from now + notBeforeOffset for `validity` (a negative offset
  // larger than the validity makes an expired pair, for tests).
  std::chrono::seconds notBeforeOffset{-300};
  std::chrono::seconds validity{std::chrono::hours(24 * 30)};
  std::string caName = "webpubsubd development CA";
};

struct CertificateFiles {
  std::string caFile;    // ca.pem: the CA certificate (what clients trust)
  std::string certFile;  // cert.pem: the server certificate, then the CA certificate
  std::string keyFile;   // key.pem: the server certificate's private key (mode 0600)
};

// Thread-safe. Generates a CA and a server certificate for `request.hosts` and writes them into
// `dir` (which must exist), replacing files of the same names. Errors: kInternal when OpenSSL
// fails, kUnavailable when a file cannot be written (with its path).
StatusOr<CertificateFiles> writeSelfSignedCertificates(const std::string& dir,
                                                       const CertificateRequest& request = {});

}  // namespace wps::transport
