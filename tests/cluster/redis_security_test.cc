// The cluster bus with credentials and TLS, end to end: real redis-server processes (ACL user,
// requirepass, database, TLS with a throwaway CA, mutual TLS) and in-process nodes. Correct
// settings let two nodes exchange a group message; wrong ones leave the node degraded (ready
// 503) with a clear log line; the password never shows in logs nor /metrics.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <boost/asio/io_context.hpp>

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "cluster/redis_link.h"
#include "cluster/redis_process.h"
#include "common/log.h"
#include "support/http_request.h"
#include "support/test_server.h"

namespace wps::cluster {
namespace {

using wps::test::TestServer;
using wps::test::TokenSpec;

// An ACL password with characters a URL must percent-encode.
constexpr const char* kAlicePassword = "s3cr:t@/%";
constexpr const char* kAliceUrlCredentials = "alice:s3cr%3At%40%2F%25@";

class RedisSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    setenv("WPS_TEST_LOG", "info", 1);  // the start-up banner is an info line
    initLogging("info");
    log_ = new test::LogCapture();
    dir_ = new test::TempDir();
    test::makeCa(dir_->path(), "ca");
    test::makeCa(dir_->path(), "otherca");
    test::makeLeaf(dir_->path(), "ca", "server", "IP:127.0.0.1");
    test::makeLeaf(dir_->path(), "ca", "client", "DNS:client");
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete log_;
  }

  static std::string file(const std::string& name) { return dir_->file(name); }

  void SetUp() override { logStart_ = log_->text().size(); }

  // Waits (bounded) for `needle` to be logged during this test.
  bool waitLogged(const std::string& needle) const { return log_->waitFor(needle, logStart_); }

  static std::unique_ptr<TestServer> node(const std::string& id, const std::string& url,
                                          const std::string& ca = {},
                                          const std::string& client = {}) {
    auto s = TestServer::defaultSettings();
    s.cluster.redis = url;
    s.cluster.nodeId = id;
    s.cluster.tlsCaFile = ca;
    if (!client.empty()) {
      s.cluster.tlsCertFile = file(client + ".crt");
      s.cluster.tlsKeyFile = file(client + ".key");
    }
    return std::make_unique<TestServer>(std::move(s));
  }

  // Waits (bounded) for /api/health/ready to answer `status`.
  static bool waitReady(const TestServer& n, int status = 200) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (wps::test::httpRequest(n.port(), "GET", "/api/health/ready").status == status)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling the node's state
    }
    return false;
  }

  // A member of group "g" on `a` receives what a client of `b` sends to it (across the bus).
  static void expectExchange(const TestServer& a, const TestServer& b) {
    ASSERT_TRUE(waitReady(a));
    ASSERT_TRUE(waitReady(b));
    TokenSpec member;
    member.userId = "m";
    member.groups = {"g"};
    auto receiver = a.connect("chat", member, {"json.webpubsub.azure.v1"});
    ASSERT_TRUE(receiver);
    EXPECT_NE(receiver->nextData().data.find("connected"), std::string::npos);
    TokenSpec sender;
    sender.userId = "s";
    sender.roles = {"webpubsub.sendToGroup"};
    auto client = b.connect("chat", sender, {"json.webpubsub.azure.v1"});
    ASSERT_TRUE(client);
    client->nextData();
    client->sendText(R"({"type":"sendToGroup","group":"g","dataType":"text","data":"across"})");
    auto v = boost::json::parse(receiver->nextData().data);
    EXPECT_EQ(v.at("type"), "message");
    EXPECT_EQ(v.at("group"), "g");
    EXPECT_EQ(v.at("data"), "across");
  }

  static std::vector<std::string> aclArgs() {
    return {"--user", "default", "off",  "--user", "alice", "on", std::string(">") + kAlicePassword,
            "~*",     "&*",      "+@all"};
  }

  static test::LogCapture* log_;
  static test::TempDir* dir_;
  size_t logStart_ = 0;
};

test::LogCapture* RedisSecurityTest::log_ = nullptr;
test::TempDir* RedisSecurityTest::dir_ = nullptr;

TEST_F(RedisSecurityTest, AclUserWithEncodedPasswordJoinsTheBus) {
  test::RedisProcess redis(dir_->path(), aclArgs());
  std::string url =
      "redis://" + std::string(kAliceUrlCredentials) + "127.0.0.1:" + std::to_string(redis.port());
  auto a = node("acl-a", url);
  auto b = node("acl-b", url);
  expectExchange(*a, *b);
  // The banner names the user, not the password; nothing else shows the password either.
  EXPECT_NE(log_->text().find("joining via redis://alice:***@127.0.0.1:"), std::string::npos);
  auto metrics = wps::test::httpRequest(a->port(), "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body.find("s3cr"), std::string::npos);
  EXPECT_EQ(log_->text().find("s3cr"), std::string::npos);
}

TEST_F(RedisSecurityTest, WrongPasswordLeavesTheNodeDegradedWithAClearLogLine) {
  test::RedisProcess redis(dir_->path(), aclArgs());
  std::string where = "127.0.0.1:" + std::to_string(redis.port());
  auto n = node("wrong-pw", "redis://alice:not-the-Secret@" + where);
  EXPECT_TRUE(waitLogged("redis: cannot connect to " + where + ": AUTH failed: WRONGPASS"));
  EXPECT_EQ(wps::test::httpRequest(n->port(), "GET", "/api/health/ready").status, 503);
  EXPECT_EQ(log_->text().find("not-the-Secret"), std::string::npos);
  // The default user is off: no credentials is refused as well, at the first command.
  auto anonymous = node("anonymous", "redis://" + where);
  EXPECT_TRUE(waitLogged("redis: cannot connect to " + where + ": NOAUTH"));
  EXPECT_EQ(wps::test::httpRequest(anonymous->port(), "GET", "/api/health/ready").status, 503);
}

// The number of elements of the array that `command` (e.g. "KEYS wps:*") answers in database
// `db`, authenticating with `auth` ("hunter2" or "admin adminpw"); -1 on any error.
long long arraySize(int port, const std::string& auth, int db, const char* command) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (!c || c->err) return -1;
  freeReplyObject(redisCommand(c, ("AUTH " + auth).c_str()));
  freeReplyObject(redisCommand(c, "SELECT %d", db));
  auto* r = static_cast<redisReply*>(redisCommand(c, command));
  long long n = r && r->type == REDIS_REPLY_ARRAY ? static_cast<long long>(r->elements) : -1;
  freeReplyObject(r);
  redisFree(c);
  return n;
}

long long keysIn(int port, const std::string& password, int db) {
  return arraySize(port, password, db, "KEYS wps:*");
}

TEST_F(RedisSecurityTest, TheLeastPrivilegeAclOfTheDocsIsEnough) {
  // docs/cluster.md's recommended user (prefix "wps"), and an admin to inspect the result.
  test::RedisProcess redis(
      dir_->path(),
      {"--user",  "default",  "off",     "--user",   "wps",   "on",    ">pw",    "~wps:*",
       "&wps:*",  "+@pubsub", "+get",    "+set",     "+del",  "+sadd", "+srem",  "+smembers",
       "+exists", "+eval",    "+select", "+ping",    "+hset", "+hdel", "+hscan", "+expire",
       "--user",  "admin",    "on",      ">adminpw", "~*",    "&*",    "+@all"});
  std::string url = "redis://wps:pw@127.0.0.1:" + std::to_string(redis.port());
  auto a = node("least-a", url);
  auto b = node("least-b", url);
  expectExchange(*a, *b);
  // Presence works (SET, SADD, and the EVAL listing the live nodes), nothing was refused.
  EXPECT_EQ(arraySize(redis.port(), "admin adminpw", 0, "SMEMBERS wps:nodes"), 2);
  EXPECT_TRUE(waitLogged("cluster: 1 other live node(s)"));
  std::string since = log_->text().substr(logStart_);
  EXPECT_EQ(since.find("NOPERM"), std::string::npos) << since;
  EXPECT_EQ(since.find("cannot connect"), std::string::npos) << since;
}

TEST_F(RedisSecurityTest, PasswordOnlyAuthAndDatabaseSelection) {
  test::RedisProcess redis(dir_->path(), {"--requirepass", "hunter2"});
  std::string url = "redis://:hunter2@127.0.0.1:" + std::to_string(redis.port()) + "/3";
  auto a = node("db-a", url);
  auto b = node("db-b", url);
  expectExchange(*a, *b);
  EXPECT_GE(keysIn(redis.port(), "hunter2", 3), 2);  // both nodes' presence keys
  EXPECT_EQ(keysIn(redis.port(), "hunter2", 0), 0);
}

std::vector<std::string> tlsArgs(const std::string& dir, bool authClients) {
  return {"--tls-cert-file",    dir + "/server.crt",       "--tls-key-file",
          dir + "/server.key",  "--tls-ca-cert-file",      dir + "/ca.crt",
          "--tls-auth-clients", authClients ? "yes" : "no"};
}

TEST_F(RedisSecurityTest, TlsWithTheRightCaCarriesTheBus) {
  test::RedisProcess redis(dir_->path(), tlsArgs(dir_->path(), false), true);
  std::string url = "rediss://127.0.0.1:" + std::to_string(redis.port());
  auto a = node("tls-a", url, file("ca.crt"));
  auto b = node("tls-b", url, file("ca.crt"));
  expectExchange(*a, *b);
}

TEST_F(RedisSecurityTest, TlsWithAnotherCaFailsVerification) {
  test::RedisProcess redis(dir_->path(), tlsArgs(dir_->path(), false), true);
  std::string where = "127.0.0.1:" + std::to_string(redis.port());
  auto n = node("tls-wrong-ca", "rediss://" + where, file("otherca.crt"));
  EXPECT_TRUE(waitLogged("redis: cannot connect to rediss://" + where +
                         ": TLS handshake failed: certificate verify failed (SSL routines): "
                         "self-signed certificate in certificate chain"));
  EXPECT_EQ(wps::test::httpRequest(n->port(), "GET", "/api/health/ready").status, 503);
}

TEST_F(RedisSecurityTest, TlsVerifiesTheHostName) {
  // The certificate is for IP 127.0.0.1 only; "localhost" reaches the same server.
  test::RedisProcess redis(dir_->path(), tlsArgs(dir_->path(), false), true);
  std::string where = "localhost:" + std::to_string(redis.port());
  auto n = node("tls-wrong-name", "rediss://" + where, file("ca.crt"));
  EXPECT_TRUE(waitLogged("redis: cannot connect to rediss://" + where +
                         ": TLS handshake failed: certificate verify failed (SSL routines): "
                         "the certificate is not for localhost"));
  EXPECT_EQ(wps::test::httpRequest(n->port(), "GET", "/api/health/ready").status, 503);
}

TEST_F(RedisSecurityTest, MutualTlsPresentsTheClientCertificate) {
  test::RedisProcess redis(dir_->path(), tlsArgs(dir_->path(), true), true);
  std::string url = "rediss://127.0.0.1:" + std::to_string(redis.port());
  auto a = node("mtls-a", url, file("ca.crt"), "client");
  auto b = node("mtls-b", url, file("ca.crt"), "client");
  expectExchange(*a, *b);
  // Without a client certificate, Redis ends the handshake.
  auto anonymous = node("mtls-none", url, file("ca.crt"));
  EXPECT_TRUE(
      waitLogged("redis: cannot connect to rediss://127.0.0.1:" + std::to_string(redis.port()) +
                 ": read failed: tlsv13 alert certificate required"));
  EXPECT_EQ(wps::test::httpRequest(anonymous->port(), "GET", "/api/health/ready").status, 503);
}

// A listening socket nobody accepts from: TCP connects (the kernel's backlog), nothing answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 8);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(RedisSecurityTest, AnUnansweredAuthTimesOut) {
  SilentListener silent;
  boost::asio::io_context io;
  RedisLink::Options o;
  o.address.host = "127.0.0.1";
  o.address.port = silent.port();
  o.address.password = "pw";
  o.channels = {"c"};
  o.connectTimeout = std::chrono::milliseconds(200);
  o.reconnectMin = std::chrono::seconds(30);  // one attempt within the test
  auto link = makeRedisLink(io, o, nullptr, nullptr);
  link->start();
  std::string line =
      "redis: cannot connect to 127.0.0.1:" + std::to_string(silent.port()) + ": timed out";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline &&
         log_->text().find(line, logStart_) == std::string::npos) {
    io.run_one_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(log_->text().find(line, logStart_), std::string::npos);
  EXPECT_FALSE(link->up());
  link->stop();
}

TEST_F(RedisSecurityTest, UnusableTlsFilesAreStartupErrors) {
  auto s = TestServer::defaultSettings();
  s.cluster.redis = "rediss://127.0.0.1:1";
  s.cluster.tlsCaFile = file("missing.crt");
  auto server = server::Server::create(s);
  ASSERT_FALSE(server);
  EXPECT_EQ(server.status().message(), "cluster.tls_ca_file: cannot load " + file("missing.crt"));
  s.cluster.redis = "redis://alice:pw@h:1/x";
  s.cluster.tlsCaFile.clear();
  server = server::Server::create(s);
  ASSERT_FALSE(server);
  EXPECT_EQ(server.status().message(),
            "cluster.redis: the database must be a number from 0 to 1000");
}

}  // namespace
}  // namespace wps::cluster
