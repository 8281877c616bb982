#include "transport/self_signed.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <boost/asio/ip/address.hpp>

#include <cstdio>
#include <memory>

namespace wps::transport {
namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Status opensslError(const std::string& what) {
  return Status(StatusCode::kInternal, "cannot generate the certificates: " + what);
}

// "DNS:localhost,IP:127.0.0.1,IP:::1".
std::string subjectAltNames(const std::vector<std::string>& hosts) {
  std::string out;
  for (const std::string& h : hosts) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(h, ec);
    if (!out.empty()) out += ",";
    out += (ec ? "DNS:" : "IP:") + h;
  }
  return out;
}

bool addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for `key` named `commonName`, valid as requested, not yet signed.
Cert newCertificate(EVP_PKEY* key, const std::string& commonName, const CertificateRequest& req) {
  Cert cert(X509_new());
  if (!cert) return nullptr;
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return nullptr;
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  ok = ok && X509_set_version(cert.get(), 2) == 1;
  long from = static_cast<long>(req.notBeforeOffset.count());
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(cert.get()), from);
  ok = ok && X509_gmtime_adj(X509_getm_notAfter(cert.get()), from + req.validity.count());
  X509_NAME* name = X509_get_subject_name(cert.get());
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                        reinterpret_cast<const unsigned char*>(commonName.c_str()),
                                        -1, -1, 0) == 1;
  ok = ok && X509_set_pubkey(cert.get(), key) == 1;
  return ok ? std::move(cert) : nullptr;
}

Cert makeCa(EVP_PKEY* key, const CertificateRequest& req) {
  Cert ca = newCertificate(key, req.caName, req);
  bool ok = ca && X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())) == 1;
  ok = ok && addExtension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
  ok = ok && addExtension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  ok = ok && addExtension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
  ok = ok && X509_sign(ca.get(), key, EVP_sha256()) > 0;
  return ok ? std::move(ca) : nullptr;
}

Cert makeLeaf(EVP_PKEY* key, X509* ca, EVP_PKEY* caKey, const CertificateRequest& req) {
  std::string cn = req.hosts.empty() ? std::string("localhost") : req.hosts.front();
  Cert leaf = newCertificate(key, cn, req);
  bool ok = leaf && X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca)) == 1;
  ok = ok && addExtension(leaf.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  ok = ok && addExtension(leaf.get(), ca, NID_key_usage, "critical,digitalSignature");
  ok = ok && addExtension(leaf.get(), ca, NID_ext_key_usage, "serverAuth");
  ok = ok && addExtension(leaf.get(), ca, NID_authority_key_identifier, "keyid");
  if (!req.hosts.empty()) {
    ok = ok && addExtension(leaf.get(), ca, NID_subject_alt_name, subjectAltNames(req.hosts));
  }
  ok = ok && X509_sign(leaf.get(), caKey, EVP_sha256()) > 0;
  return ok ? std::move(leaf) : nullptr;
}

// Writes PEM blocks to `path` (created with `mode`, truncated). False on any error.
template <class WriteFn>
bool writePem(const std::string& path, mode_t mode, WriteFn write) {
  std::remove(path.c_str());  // a fresh file gets `mode`
  int old = umask(0);
  FILE* f = std::fopen(path.c_str(), "wx");
  umask(old);
  if (!f) return false;
  chmod(path.c_str(), mode);
  bool ok = write(f);
  return std::fclose(f) == 0 && ok;
}

}  // namespace

StatusOr<CertificateFiles> writeSelfSignedCertificates(const std::string& dir,
                                                       const CertificateRequest& request) {
  Key caKey(EVP_EC_gen("P-256"));
  Key leafKey(EVP_EC_gen("P-256"));
  if (!caKey || !leafKey) return opensslError("EC key generation failed");
  Cert ca = makeCa(caKey.get(), request);
  if (!ca) return opensslError("the CA certificate");
  Cert leaf = makeLeaf(leafKey.get(), ca.get(), caKey.get(), request);
  if (!leaf) return opensslError("the server certificate");
  CertificateFiles files{dir + "/ca.pem", dir + "/cert.pem", dir + "/key.pem"};
  auto fail = [](const std::string& path) {
    return Status(StatusCode::kUnavailable, "cannot write " + path);
  };
  if (!writePem(files.caFile, 0644, [&](FILE* f) { return PEM_write_X509(f, ca.get()) == 1; })) {
    return fail(files.caFile);
  }
  if (!writePem(files.certFile, 0644, [&](FILE* f) {
        return PEM_write_X509(f, leaf.get()) == 1 && PEM_write_X509(f, ca.get()) == 1;
      })) {
    return fail(files.certFile);
  }
  if (!writePem(files.keyFile, 0600, [&](FILE* f) {
        return PEM_write_PrivateKey(f, leafKey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
      })) {
    return fail(files.keyFile);
  }
  return files;
}

}  // namespace wps::transport
