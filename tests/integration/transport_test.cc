// Bad input on the WebSocket transport, keep-alive, limits and graceful shutdown.
#include "integration/fixture.h"
#include "support/http_request.h"

namespace wps::test {
namespace {

using namespace std::chrono_literals;

class TransportTest : public UpstreamTest {
 protected:
  void configure(config::ServerSettings& s) override {
    s.limits.maxMessageBytes = 4096;
    s.hubs["chat"].keepAliveInterval = std::chrono::seconds(1);
    upstream.setHandler([](const RecordedRequest& r) {
      if (r.event() == "message") return Reply::text("ok");
      return FakeUpstream::defaultReply(r);
    });
  }
};

TEST_F(TransportTest, OversizedMessagesClose1009AndOthersAreUnaffected) {
  auto bystander = simpleClient("b");
  auto c = simpleClient();
  ASSERT_TRUE(c && bystander);
  c->sendText(std::string(5000, 'x'));
  WsMessage m = c->waitForClose();
  EXPECT_EQ(m.closeCode, 1009);
  // Fragmented: each fragment is small, the whole is too large.
  auto f = simpleClient();
  f->sendFrame(1, std::string(3000, 'a'), false);
  f->sendFrame(0, std::string(3000, 'b'), true);
  EXPECT_EQ(f->waitForClose().closeCode, 1009);
  bystander->sendText("still there?");
  EXPECT_EQ(bystander->nextData().data, "ok");
}

TEST_F(TransportTest, MalformedFramesClose1002) {
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendRaw(std::string("\x81\x02hi", 4));  // unmasked client frame
  EXPECT_EQ(c->waitForClose().closeCode, 1002);
  auto d = simpleClient();
  d->sendFrame(0x3, "x");  // reserved opcode
  EXPECT_EQ(d->waitForClose().closeCode, 1002);
  auto e = simpleClient();
  e->sendFrame(0x0, "x");  // continuation without a start
  EXPECT_EQ(e->waitForClose().closeCode, 1002);
}

TEST_F(TransportTest, InvalidUtf8TextCloses1007) {
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendText("\xc0\xaf");
  EXPECT_EQ(c->waitForClose().closeCode, 1007);
  ASSERT_TRUE(upstream.waitForEvent("disconnected"));
  EXPECT_TRUE(upstream.requestsFor("message").empty());
}

TEST_F(TransportTest, PingsAreAnsweredAndSentAndSilentClientsTimeOut) {
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendFrame(9, "are you there");
  WsMessage pong = c->next(2s, true);
  EXPECT_EQ(pong.kind, WsMessage::Kind::kPong);
  EXPECT_EQ(pong.data, "are you there");
  // The server pings every keep-alive interval (1 s here).
  WsMessage ping = c->next(3s, true);
  EXPECT_EQ(ping.kind, WsMessage::Kind::kPing);
  // A client that stops answering is closed after three silent intervals.
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c->waitForTcpClose(8s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
  ASSERT_TRUE(upstream.waitForEvent("disconnected"));
}

TEST_F(TransportTest, HealthAndMetricsEndpoints) {
  EXPECT_EQ(httpRequest(port(), "GET", "/api/health").status, 200);
  EXPECT_EQ(httpRequest(port(), "HEAD", "/api/health").status, 200);
  auto metrics = httpRequest(port(), "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("webpubsubd_connections"), std::string::npos);
  EXPECT_EQ(httpRequest(port(), "GET", "/nope").status, 404);
}

TEST_F(TransportTest, ShutdownClosesClients1001AndSendsDisconnected) {
  auto a = simpleClient("a");
  TokenSpec t;
  t.userId = "b";
  auto b = jsonClient(t);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(upstream.waitForEvent("connected", 2));
  std::thread stopper([this] { server->shutdown(); });
  WsMessage ma = a->waitForClose();
  EXPECT_EQ(ma.closeCode, 1001);
  // The PubSub client first gets the disconnected system message.
  WsMessage sys = b->nextData();
  ASSERT_TRUE(sys.isText());
  auto v = json(sys.data);
  EXPECT_EQ(v.at("type"), "system");
  EXPECT_EQ(v.at("event"), "disconnected");
  EXPECT_EQ(b->waitForClose().closeCode, 1001);
  stopper.join();
  EXPECT_EQ(upstream.requestsFor("disconnected").size(), 2u);
  // Nothing listens any more.
  HandshakeOutcome out;
  EXPECT_FALSE(WsClient::connect(port(), server->clientTarget("chat"), {}, &out));
}

}  // namespace
}  // namespace wps::test
