#include "transport/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace wps::transport {
namespace {

namespace ssl = boost::asio::ssl;

constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// ALPN: http/1.1 when the client offers it; a client offering only other protocols is refused
// (no_application_protocol), one offering none gets no ALPN answer.
int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  unsigned char* selected = nullptr;
  int r = SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen);
  if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// OpenSSL's reason for the last failure ("no start line", "key values mismatch", …).
std::string lastOpensslError(const boost::system::error_code& ec) {
  unsigned long err = ERR_peek_last_error();
  std::string reason =
      err ? ERR_reason_error_string(err) ? ERR_reason_error_string(err) : "" : ec.message();
  ERR_clear_error();
  return reason.empty() ? ec.message() : reason;
}

}  // namespace

StatusOr<SslContextPtr> makeServerSslContext(const std::string& certFile,
                                             const std::string& keyFile) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_alpn_select_cb(native, selectAlpn, nullptr);
  // AEAD with forward secrecy only; AES-128-GCM first (the server's preference): as strong as
  // needed and cheaper per record than OpenSSL's default AES-256-GCM.
  SSL_CTX_set_ciphersuites(native,
                           "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:"
                           "TLS_AES_256_GCM_SHA384");
  SSL_CTX_set_cipher_list(native,  // TLS 1.2: the same order (Mozilla's "intermediate" set)
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384");
  ERR_clear_error();
  // The key first: a certificate that does not match it then fails the check below, with a
  // message naming both (OpenSSL drops the key instead of failing the certificate).
  ctx->use_private_key_file(keyFile, ssl::context::pem, ec);
  if (ec) {
    return invalidArgument("tls.key_file: cannot load " + keyFile + ": " + lastOpensslError(ec));
  }
  ctx->use_certificate_chain_file(certFile, ec);
  if (ec) {
    return invalidArgument("tls.cert_file: cannot load " + certFile + ": " + lastOpensslError(ec));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return invalidArgument("tls.key_file: " + keyFile +
                           " does not match the certificate of tls.cert_file " + certFile);
  }
  return ctx;
}

Status TlsContext::load(const config::TlsSettings& tls) {
  SslContextPtr next;
  if (tls.enabled()) {
    auto made = makeServerSslContext(tls.certFile, tls.keyFile);
    if (!made) return made.status();
    next = std::move(made.value());
  }
  std::lock_guard lock(mu_);
  context_ = std::move(next);
  return Status::ok();
}

SslContextPtr TlsContext::current() const {
  std::lock_guard lock(mu_);
  return context_;
}

}  // namespace wps::transport
