// The development certificates (self_signed.h) and the server TLS context (tls_context.h):
// a generated chain verifies for its hosts only and expires; the context refuses TLS 1.1,
// selects ALPN http/1.1 and reports unusable files; a failed reload keeps the old context.
#include "transport/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "transport/self_signed.h"

namespace wps::transport {
namespace {

using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/wps-tls-XXXXXX";
    path_ = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

X509* readCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return nullptr;
  X509* c = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return c;
}

// X509_V_OK when `certFile`'s first certificate verifies against `caFile` for `host`.
int verify(const std::string& caFile, const std::string& certFile, const std::string& host) {
  X509_STORE* store = X509_STORE_new();
  X509_STORE_load_file(store, caFile.c_str());
  X509* leaf = readCert(certFile);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx);
  if (host.find_first_not_of("0123456789.:") == std::string::npos) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  }
  int result = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_free(leaf);
  X509_STORE_free(store);
  return result;
}

TEST(SelfSignedTest, ChainVerifiesForItsHostsOnly) {
  TempDir dir;
  auto files = writeSelfSignedCertificates(dir.path());
  ASSERT_TRUE(files.isOk()) << files.status().toString();
  EXPECT_EQ(verify(files->caFile, files->certFile, "localhost"), X509_V_OK);
  EXPECT_EQ(verify(files->caFile, files->certFile, "127.0.0.1"), X509_V_OK);
  EXPECT_EQ(verify(files->caFile, files->certFile, "::1"), X509_V_OK);
  EXPECT_EQ(verify(files->caFile, files->certFile, "example.com"), X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_EQ(verify(files->caFile, files->certFile, "10.0.0.1"), X509_V_ERR_IP_ADDRESS_MISMATCH);
  // Another generation is another CA: it does not vouch for this certificate.
  TempDir other;
  auto otherFiles = writeSelfSignedCertificates(other.path());
  ASSERT_TRUE(otherFiles.isOk());
  EXPECT_NE(verify(otherFiles->caFile, files->certFile, "localhost"), X509_V_OK);
}

TEST(SelfSignedTest, ValidForThirtyDaysAndTheKeyIsPrivate) {
  TempDir dir;
  auto files = writeSelfSignedCertificates(dir.path());
  ASSERT_TRUE(files.isOk());
  X509* leaf = readCert(files->certFile);
  ASSERT_NE(leaf, nullptr);
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf), X509_get0_notAfter(leaf)), 1);
  EXPECT_EQ(days, 30);
  X509_free(leaf);
  struct stat st {};
  ASSERT_EQ(stat(files->keyFile.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(SelfSignedTest, ExpiredOnRequest) {
  TempDir dir;
  CertificateRequest req;
  req.notBeforeOffset = -std::chrono::hours(48);
  req.validity = std::chrono::hours(24);
  auto files = writeSelfSignedCertificates(dir.path(), req);
  ASSERT_TRUE(files.isOk());
  EXPECT_EQ(verify(files->caFile, files->certFile, "localhost"), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(SelfSignedTest, UnwritableDirectory) {
  auto files = writeSelfSignedCertificates("/nonexistent-dir-for-wps-test");
  ASSERT_FALSE(files.isOk());
  EXPECT_EQ(files.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(files.status().message(), "cannot write /nonexistent-dir-for-wps-test/ca.pem");
}

TEST(TlsContextTest, UnusableFilesAreReported) {
  TempDir dir;
  auto a = writeSelfSignedCertificates(dir.path());
  ASSERT_TRUE(a.isOk());
  std::string junk = dir.path() + "/junk.pem";
  std::ofstream(junk) << "not a certificate\n";
  auto bad = makeServerSslContext(junk, a->keyFile);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message().rfind("tls.cert_file: cannot load " + junk + ": ", 0), 0u)
      << bad.status().message();
  bad = makeServerSslContext(a->certFile, junk);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message().rfind("tls.key_file: cannot load " + junk + ": ", 0), 0u)
      << bad.status().message();
  TempDir otherDir;
  auto b = writeSelfSignedCertificates(otherDir.path());
  ASSERT_TRUE(b.isOk());
  bad = makeServerSslContext(a->certFile, b->keyFile);
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("does not match the certificate"), std::string::npos)
      << bad.status().message();
}

TEST(TlsContextTest, FailedLoadKeepsTheCurrentContext) {
  TempDir dir;
  auto files = writeSelfSignedCertificates(dir.path());
  ASSERT_TRUE(files.isOk());
  TlsContext tls;
  EXPECT_EQ(tls.current(), nullptr);
  ASSERT_TRUE(tls.load({files->certFile, files->keyFile}).isOk());
  SslContextPtr first = tls.current();
  ASSERT_NE(first, nullptr);
  Status st = tls.load({dir.path() + "/missing.pem", files->keyFile});
  EXPECT_FALSE(st.isOk());
  EXPECT_EQ(tls.current(), first);
  ASSERT_TRUE(tls.load({files->certFile, files->keyFile}).isOk());
  EXPECT_NE(tls.current(), first);  // a new context for new handshakes
  ASSERT_TRUE(tls.load({}).isOk());
  EXPECT_EQ(tls.current(), nullptr);
}

// An in-memory handshake between `client` and the server context: true when it completes.
// `cipher`: the negotiated cipher's name.
bool handshake(SSL_CTX* client, SSL_CTX* server, std::string* alpn, std::string* cipher = nullptr) {
  SSL* c = SSL_new(client);
  SSL* s = SSL_new(server);
  BIO *cb = nullptr, *sb = nullptr;
  BIO_new_bio_pair(&cb, 0, &sb, 0);
  SSL_set_bio(c, cb, cb);
  SSL_set_bio(s, sb, sb);
  SSL_set_connect_state(c);
  SSL_set_accept_state(s);
  bool done = false, failed = false;
  for (int i = 0; i < 20 && !done && !failed; ++i) {
    int rc = SSL_do_handshake(c);
    int rs = SSL_do_handshake(s);
    done = rc == 1 && rs == 1;
    failed = (rc != 1 && SSL_get_error(c, rc) == SSL_ERROR_SSL) ||
             (rs != 1 && SSL_get_error(s, rs) == SSL_ERROR_SSL);
  }
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(s, &proto, &len);
  if (alpn) alpn->assign(reinterpret_cast<const char*>(proto), len);
  if (cipher && done) *cipher = SSL_get_cipher_name(s);
  SSL_free(c);
  SSL_free(s);
  ERR_clear_error();
  return done;
}

TEST(TlsContextTest, Tls12MinimumAndAlpnHttp11) {
  TempDir dir;
  auto files = writeSelfSignedCertificates(dir.path());
  ASSERT_TRUE(files.isOk());
  auto server = makeServerSslContext(files->certFile, files->keyFile);
  ASSERT_TRUE(server.isOk()) << server.status().toString();
  SSL_CTX* native = (*server)->native_handle();

  SSL_CTX* client = SSL_CTX_new(TLS_client_method());
  static const unsigned char kOffer[] = "\x02h2\x08http/1.1";
  SSL_CTX_set_alpn_protos(client, kOffer, sizeof kOffer - 1);
  std::string alpn, cipher;
  EXPECT_TRUE(handshake(client, native, &alpn, &cipher));
  EXPECT_EQ(alpn, "http/1.1");
  EXPECT_EQ(cipher, "TLS_AES_128_GCM_SHA256");  // the server's preference

  static const unsigned char kH2Only[] = "\x02h2";
  SSL_CTX_set_alpn_protos(client, kH2Only, sizeof kH2Only - 1);
  EXPECT_FALSE(handshake(client, native, &alpn));

  SSL_CTX_set_alpn_protos(client, nullptr, 0);
  EXPECT_TRUE(handshake(client, native, &alpn));  // no ALPN offered: none answered
  EXPECT_EQ(alpn, "");

  SSL_CTX_set_min_proto_version(client, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(client, TLS1_1_VERSION);
  SSL_CTX_set_security_level(client, 0);
  EXPECT_FALSE(handshake(client, native, nullptr));
  SSL_CTX_set_max_proto_version(client, TLS1_2_VERSION);
  EXPECT_TRUE(handshake(client, native, nullptr, &cipher));
  EXPECT_EQ(cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
  SSL_CTX_free(client);
}

}  // namespace
}  // namespace wps::transport
