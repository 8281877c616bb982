// The C++ SDK's ServiceClient over TLS against the real server with [tls]: it verifies the
// server certificate (against ServiceClientOptions::tlsCaFile here) and refuses a server it
// cannot verify, an expired certificate and a certificate for another host.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <thread>

#include "support/test_server.h"
#include "transport/self_signed.h"
#include "webpubsub/service_client.h"

namespace wps::test {
namespace {

using namespace std::chrono_literals;
namespace svc = webpubsub::service;
using boost::asio::use_future;

class SdkTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/wps-sdk-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }

  // A TLS server with a certificate made by `request`; returns the CA file.
  std::string startServer(const std::string& name, const transport::CertificateRequest& request) {
    std::string d = dir_ + "/" + name;
    std::filesystem::create_directory(d);
    auto files = transport::writeSelfSignedCertificates(d, request);
    EXPECT_TRUE(files.isOk()) << files.status().toString();
    auto s = TestServer::defaultSettings();
    s.tls.certFile = files->certFile;
    s.tls.keyFile = files->keyFile;
    server_ = std::make_unique<TestServer>(std::move(s));
    return files->caFile;
  }

  webpubsub::Result<bool> userExists(const std::string& caFile) {
    svc::ServiceClientOptions options;
    options.tlsCaFile = caFile;
    options.timeout = 5000ms;
    auto client = svc::ServiceClient::create(io_, server_->connectionString(), "chat", options);
    EXPECT_TRUE(client.ok());
    return client.value()->userExists("nobody", use_future).get();
  }

  std::string dir_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(SdkTlsTest, RestOverHttpsVerifiedAgainstTheCaFile) {
  std::string ca = startServer("good", {});
  EXPECT_EQ(server_->connectionString().rfind("Endpoint=https://127.0.0.1:", 0), 0u)
      << server_->connectionString();
  auto r = userExists(ca);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r.value());
  // Without the CA (system CAs only) the certificate cannot be verified.
  auto unverified = userExists("");
  ASSERT_FALSE(unverified.ok());
  EXPECT_EQ(unverified.error().code, "ConnectionFailed");
  EXPECT_NE(unverified.error().message.find("certificate verify failed"), std::string::npos)
      << unverified.error().message;
  auto missing = userExists(dir_ + "/missing.pem");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("Cannot load tlsCaFile"), std::string::npos);
}

TEST_F(SdkTlsTest, ExpiredCertificateIsRefused) {
  transport::CertificateRequest expired;
  expired.notBeforeOffset = -std::chrono::hours(48);
  expired.validity = std::chrono::hours(24);
  std::string ca = startServer("expired", expired);
  auto r = userExists(ca);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ConnectionFailed");
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos)
      << r.error().message;
}

TEST_F(SdkTlsTest, CertificateForAnotherHostIsRefused) {
  transport::CertificateRequest other;
  other.hosts = {"pubsub.example.test"};
  std::string ca = startServer("other-host", other);
  auto r = userExists(ca);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ConnectionFailed");
  EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace wps::test
