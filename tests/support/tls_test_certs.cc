// tls-test-certs DIR [--host NAME]... [--expired]: writes ca.pem, cert.pem and key.pem (a fresh
// CA and a server certificate for the hosts, default localhost, 127.0.0.1 and ::1) into DIR, for
// the TLS conformance tests (tests/conformance/tls.test.mjs). --expired: both expired a day ago.
#include <cstdio>
#include <cstring>
#include <string>

#include "transport/self_signed.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tls-test-certs DIR [--host NAME]... [--expired]\n");
    return 2;
  }
  wps::transport::CertificateRequest request;
  request.caName = "webpubsubd test CA";
  bool hostsGiven = false;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--expired") == 0) {
      request.notBeforeOffset = -std::chrono::hours(48);
      request.validity = std::chrono::hours(24);
    } else if (std::strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      if (!hostsGiven) request.hosts.clear();
      hostsGiven = true;
      request.hosts.emplace_back(argv[++i]);
    } else {
      std::fprintf(stderr, "tls-test-certs: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  auto files = wps::transport::writeSelfSignedCertificates(argv[1], request);
  if (!files) {
    std::fprintf(stderr, "tls-test-certs: %s\n", files.status().message().c_str());
    return 1;
  }
  return 0;
}
