// [tls] and the upstream TLS keys: both files or neither, each readable, exact messages.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "config/loader.h"

namespace wps::config {
namespace {

class LoaderTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wps-loader-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    std::ofstream(cert_) << "cert";
    std::ofstream(key_) << "key";
  }
  void TearDown() override {
    unlink(cert_.c_str());
    unlink(key_.c_str());
    rmdir(dir_.c_str());
  }
  std::string errorOf(const std::string& toml) {
    auto s = loadSettings(toml);
    EXPECT_FALSE(s.isOk()) << toml;
    return s ? std::string() : s.status().message();
  }

  std::string dir_, cert_, key_;
};

TEST_F(LoaderTlsTest, BothFilesEnableTls) {
  auto s = loadSettings("[tls]\ncert_file = \"" + cert_ + "\"\nkey_file = \"" + key_ + "\"\n");
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_TRUE(s->tls.enabled());
  EXPECT_EQ(s->tls.certFile, cert_);
  EXPECT_EQ(s->tls.keyFile, key_);
  EXPECT_FALSE(loadSettings("")->tls.enabled());
}

TEST_F(LoaderTlsTest, OneFileAloneIsAnError) {
  EXPECT_EQ(errorOf("[tls]\ncert_file = \"" + cert_ + "\"\n"),
            "tls.key_file: cert_file and key_file go together");
  EXPECT_EQ(errorOf("[tls]\nkey_file = \"" + key_ + "\"\n"),
            "tls.cert_file: cert_file and key_file go together");
}

TEST_F(LoaderTlsTest, UnreadableFilesAreNamed) {
  std::string missing = dir_ + "/missing.pem";
  EXPECT_EQ(errorOf("[tls]\ncert_file = \"" + missing + "\"\nkey_file = \"" + key_ + "\"\n"),
            "tls.cert_file: cannot read " + missing);
  EXPECT_EQ(errorOf("[tls]\ncert_file = \"" + cert_ + "\"\nkey_file = \"" + missing + "\"\n"),
            "tls.key_file: cannot read " + missing);
  EXPECT_EQ(errorOf("[tls]\ncert = 1\n"), "tls.cert: unknown key");
  EXPECT_EQ(errorOf("[upstream]\ntls_ca_file = \"" + missing + "\"\n"),
            "upstream.tls_ca_file: cannot read " + missing);
  EXPECT_EQ(errorOf("[upstream]\ntls_insecure_skip_verify = \"yes\"\n"),
            "upstream.tls_insecure_skip_verify: must be true or false");
}

TEST_F(LoaderTlsTest, UpstreamTlsKeys) {
  auto s = loadSettings("[upstream]\ntls_ca_file = \"" + cert_ +
                        "\"\ntls_insecure_skip_verify = true\n");
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_EQ(s->upstream.tlsCaFile, cert_);
  EXPECT_TRUE(s->upstream.tlsInsecureSkipVerify);
  EXPECT_FALSE(loadSettings("")->upstream.tlsInsecureSkipVerify);
}

// Files set by flags (serve --tls-self-signed) pass the same check.
TEST_F(LoaderTlsTest, ValidateSettingsChecksTheFiles) {
  ServerSettings s;
  s.accessKeys = {"0123456789abcdef0123456789abcdef"};
  s.tls.certFile = cert_;
  EXPECT_EQ(validateSettings(s).message(), "tls.key_file: cert_file and key_file go together");
  s.tls.keyFile = dir_ + "/nope";
  EXPECT_EQ(validateSettings(s).message(), "tls.key_file: cannot read " + dir_ + "/nope");
  s.tls.keyFile = key_;
  EXPECT_TRUE(validateSettings(s).isOk()) << validateSettings(s).toString();
}

}  // namespace
}  // namespace wps::config
