// Shared fixture of the integration tests: a FakeUpstream as the event handler of hub "chat" and
// a TestServer, created per test.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/fake_upstream.h"
#include "support/test_server.h"

namespace wps::test {

class UpstreamTest : public ::testing::Test {
 protected:
  // Override to change settings before the server starts.
  virtual void configure(config::ServerSettings&) {}

  void SetUp() override {
    auto s = TestServer::defaultSettings();
    s.hubs["chat"] = TestServer::hubWithHandler(upstream.url("/upstream/{hub}/{event}"));
    configure(s);
    server = std::make_unique<TestServer>(std::move(s));
  }

  void TearDown() override { server.reset(); }

  // A connected simple client of hub "chat" for `user`.
  std::unique_ptr<WsClient> simpleClient(const std::string& user = "alice",
                                         const std::string& extraQuery = "") {
    TokenSpec t;
    t.userId = user;
    return server->connect("chat", t, {}, extraQuery);
  }

  // A connected PubSub client; its `connected` system message has been consumed and returned.
  std::unique_ptr<WsClient> jsonClient(const TokenSpec& t, boost::json::object* connected = nullptr,
                                       const std::string& protocol = "json.webpubsub.azure.v1",
                                       const std::string& hub = "chat") {
    auto c = server->connect(hub, t, {protocol});
    if (!c) return nullptr;
    WsMessage m = c->nextData();
    EXPECT_TRUE(m.isText()) << "expected the connected system message";
    auto v = boost::json::parse(m.data);
    EXPECT_EQ(v.at("type"), "system");
    EXPECT_EQ(v.at("event"), "connected");
    if (connected) *connected = v.as_object();
    return c;
  }

  static boost::json::value json(const std::string& text) { return boost::json::parse(text); }
  uint16_t port() const { return server->port(); }

  FakeUpstream upstream;
  std::unique_ptr<TestServer> server;
};

}  // namespace wps::test
