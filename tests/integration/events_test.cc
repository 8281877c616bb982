// User events of simple clients, connection state, ordering, timeouts, retries and the
// `connected`/`disconnected` events (upstream-cloudevents.md §6-§9, §11).
#include "integration/fixture.h"

namespace wps::test {
namespace {

using namespace std::chrono_literals;

Reply answerMessages(const RecordedRequest& r, Reply reply) {
  if (r.event() == "message") return reply;
  return FakeUpstream::defaultReply(r);
}

TEST_F(UpstreamTest, TextAndBinaryMessagesRoundTripByContentType) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() != "message") return FakeUpstream::defaultReply(r);
    std::string ct = r.header("Content-Type");
    if (r.body == "json") return Reply::text(R"({"a":1})", "application/json; charset=utf-8");
    if (r.body == "none") return Reply{Reply::Action::kRespond, {200, {}, "raw"}, {}};
    if (ct == "application/octet-stream") return Reply::text(r.body, "application/octet-stream");
    return Reply::text("echo:" + r.body, "text/plain");
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendText("hello");
  WsMessage m = c->nextData();
  EXPECT_TRUE(m.isText());
  EXPECT_EQ(m.data, "echo:hello");
  c->sendBinary(std::string("\x00\x01\xff", 3));
  m = c->nextData();
  EXPECT_TRUE(m.isBinary());
  EXPECT_EQ(m.data, std::string("\x00\x01\xff", 3));
  c->sendText("json");
  m = c->nextData();
  EXPECT_TRUE(m.isText());
  EXPECT_EQ(m.data, R"({"a":1})");
  c->sendText("none");  // no Content-Type: binary
  m = c->nextData();
  EXPECT_TRUE(m.isBinary());
  EXPECT_EQ(m.data, "raw");

  auto posts = upstream.requestsFor("message");
  ASSERT_EQ(posts.size(), 4u);
  EXPECT_EQ(posts[0].header("Content-Type"), "text/plain");
  EXPECT_EQ(posts[0].header("ce-type"), "azure.webpubsub.user.message");
  EXPECT_EQ(posts[0].header("ce-eventName"), "message");
  EXPECT_EQ(posts[0].header("ce-userId"), "alice");
  EXPECT_FALSE(posts[0].hasHeader("ce-subprotocol"));
  EXPECT_EQ(posts[0].body, "hello");
  EXPECT_EQ(posts[1].header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(posts[1].body, std::string("\x00\x01\xff", 3));
  // Every event of the connection carries the same signature and distinct ce-ids.
  EXPECT_EQ(posts[0].header("ce-signature"), posts[1].header("ce-signature"));
  EXPECT_NE(posts[0].header("ce-id"), posts[1].header("ce-id"));
}

TEST_F(UpstreamTest, EmptyAnswersSendNothing) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() != "message") return FakeUpstream::defaultReply(r);
    if (r.body == "a") return Reply::status(204);
    if (r.body == "b") return Reply::text("", "application/octet-stream");  // Express success()
    return Reply::text("last");
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendText("a");
  c->sendText("b");
  c->sendText("c");
  WsMessage m = c->nextData();
  EXPECT_EQ(m.data, "last");  // nothing came before it
}

TEST_F(UpstreamTest, FailuresCloseSimpleClientsWith1011) {
  struct Case {
    Reply reply;
    const char* name;
  };
  std::vector<Case> cases = {
      {Reply::status(400), "non-2xx"},
      {Reply::text("<x/>", "application/xml"), "unsupported type"},
      {Reply::text("AAAA", "application/x-protobuf"), "protobuf to a simple client"},
      {Reply{Reply::Action::kGarbage, {}, {}}, "garbage"},
  };
  for (auto& c : cases) {
    upstream.setHandler(
        [reply = c.reply](const RecordedRequest& r) { return answerMessages(r, reply); });
    auto client = simpleClient();
    ASSERT_TRUE(client) << c.name;
    client->sendText("x");
    WsMessage m = client->waitForClose();
    ASSERT_TRUE(m.isClose()) << c.name;
    EXPECT_EQ(m.closeCode, 1011) << c.name;
    EXPECT_EQ(m.data.find("<x/>"), std::string::npos);  // the upstream body is never forwarded
  }
}

TEST_F(UpstreamTest, NoHandlerForMessagesCloses1011) {
  server.reset();
  auto s = TestServer::defaultSettings();
  s.hubs["chat"] = TestServer::hubWithHandler(upstream.url("/upstream/{hub}/{event}"), "other");
  server = std::make_unique<TestServer>(std::move(s));
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendText("x");
  WsMessage m = c->waitForClose();
  EXPECT_EQ(m.closeCode, 1011);
  EXPECT_TRUE(upstream.requestsFor("message").empty());
}

TEST_F(UpstreamTest, ConnectionStateIsSetCarriedAndCleared) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() != "message") return FakeUpstream::defaultReply(r);
    Reply ok = Reply::status(204);
    if (r.body == "set") ok.response.headers.push_back({"ce-connectionState", "c3RhdGU="});
    if (r.body == "clear") ok.response.headers.push_back({"ce-connectionState", ""});
    if (r.body == "fail") {
      ok = Reply::status(500);
      ok.response.headers.push_back({"ce-connectionState", "aWdub3JlZA=="});
    }
    if (r.body == "done") return Reply::text("ok");
    return ok;
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  for (const char* m : {"set", "keep", "clear", "after", "done"})
    c->sendText(m);
  EXPECT_EQ(c->nextData().data, "ok");
  auto posts = upstream.requestsFor("message");
  ASSERT_EQ(posts.size(), 5u);
  EXPECT_FALSE(posts[0].hasHeader("ce-connectionState"));
  EXPECT_EQ(posts[1].header("ce-connectionState"), "c3RhdGU=");
  EXPECT_EQ(posts[2].header("ce-connectionState"), "c3RhdGU=");
  EXPECT_FALSE(posts[3].hasHeader("ce-connectionState"));
  c->sendClose(1000);
  ASSERT_TRUE(upstream.waitForEvent("disconnected"));
  EXPECT_FALSE(upstream.requestsFor("disconnected")[0].hasHeader("ce-connectionState"));
}

TEST_F(UpstreamTest, EventsOfOneConnectionAreSequential) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() != "message") return FakeUpstream::defaultReply(r);
    Reply reply = Reply::text("re:" + r.body);
    if (r.body == "1") reply.delay = 300ms;  // the first answer is slow
    return reply;
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendText("1");
  c->sendText("2");
  c->sendText("3");
  EXPECT_EQ(c->nextData().data, "re:1");
  EXPECT_EQ(c->nextData().data, "re:2");
  EXPECT_EQ(c->nextData().data, "re:3");
  auto posts = upstream.requestsFor("message");
  ASSERT_EQ(posts.size(), 3u);
  // "2" was posted only after "1" was answered.
  EXPECT_GE(posts[1].at - posts[0].at, 290ms);
}

class OverloadTest : public UpstreamTest {
 protected:
  void configure(config::ServerSettings& s) override { s.limits.inboundQueueMessages = 4; }
};

TEST_F(OverloadTest, AClientFasterThanItsEventHandlerIsPausedNotLost) {
  // Messages queue behind the slow event handler until reading pauses; the connection must
  // survive the pause (nothing else keeps it busy) and answer every message, in order.
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() != "message") return FakeUpstream::defaultReply(r);
    Reply reply = Reply::text("re:" + r.body);
    reply.delay = 5ms;
    return reply;
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  const int kMessages = 60;
  for (int i = 0; i < kMessages; ++i)
    c->sendText(std::to_string(i));
  for (int i = 0; i < kMessages; ++i) {
    WsMessage m = c->nextData(10s);
    ASSERT_TRUE(m.isText()) << i;
    EXPECT_EQ(m.data, "re:" + std::to_string(i));
  }
}

TEST_F(UpstreamTest, ConnectionsAreIndependent) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() != "message") return FakeUpstream::defaultReply(r);
    if (r.body == "slow") return Reply{Reply::Action::kHang, {}, {}};
    return Reply::text("fast");
  });
  auto slow = simpleClient("a");
  auto fast = simpleClient("b");
  ASSERT_TRUE(slow && fast);
  slow->sendText("slow");
  fast->sendText("x");
  EXPECT_EQ(fast->nextData(2s).data, "fast");
}

TEST_F(UpstreamTest, RetriesRecoverFromTransientFailures) {
  auto calls = std::make_shared<std::atomic<int>>(0);
  upstream.setHandler([calls](const RecordedRequest& r) {
    if (r.event() != "message") return FakeUpstream::defaultReply(r);
    int n = ++*calls;
    if (n == 1) return Reply::status(503);
    if (n == 2) return Reply::status(408);
    return Reply::text("third time");
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendText("x");
  EXPECT_EQ(c->nextData().data, "third time");
  auto posts = upstream.requestsFor("message");
  ASSERT_EQ(posts.size(), 3u);
  EXPECT_EQ(posts[0].header("ce-id"), posts[2].header("ce-id"));
  EXPECT_GE(posts[1].at - posts[0].at, 90ms);  // the configured retry delays (100, 200 ms)
  EXPECT_GE(posts[2].at - posts[1].at, 190ms);
}

TEST_F(UpstreamTest, TimeoutClosesWith1011) {
  server.reset();
  auto s = TestServer::defaultSettings();
  s.hubs["chat"] = TestServer::hubWithHandler(upstream.url("/upstream/{hub}/{event}"));
  s.hubs["chat"].eventHandlers[0].timeout = std::chrono::seconds(1);
  server = std::make_unique<TestServer>(std::move(s));
  upstream.setHandler([](const RecordedRequest& r) {
    return answerMessages(r, Reply{Reply::Action::kHang, {}, {}});
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  auto start = std::chrono::steady_clock::now();
  c->sendText("x");
  WsMessage m = c->waitForClose(5s);
  EXPECT_EQ(m.closeCode, 1011);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  ASSERT_TRUE(upstream.waitForEvent("disconnected"));
}

TEST_F(UpstreamTest, DisconnectedReasons) {
  auto withReason = simpleClient("a");
  auto plain = simpleClient("b");
  auto dropped = simpleClient("c");
  ASSERT_TRUE(withReason && plain && dropped);
  ASSERT_TRUE(upstream.waitForEvent("connected", 3));
  withReason->sendClose(1000, "bye now");
  EXPECT_TRUE(withReason->waitForClose().isClose());
  plain->sendClose(1000);
  EXPECT_TRUE(plain->waitForClose().isClose());
  dropped->dropTcp();
  ASSERT_TRUE(upstream.waitForEvent("disconnected", 3));
  std::set<std::string> reasons;
  for (auto& r : upstream.requestsFor("disconnected")) {
    EXPECT_EQ(r.header("ce-type"), "azure.webpubsub.sys.disconnected");
    EXPECT_EQ(r.header("ce-eventName"), "disconnected");
    reasons.insert(std::string(json(r.body).at("reason").as_string()));
  }
  EXPECT_EQ(reasons, (std::set<std::string>{"bye now", "The client closed the connection.",
                                            "The connection ended."}));
}

TEST_F(UpstreamTest, DisconnectedIsTheLastEventOfAConnection) {
  upstream.setHandler([](const RecordedRequest& r) {
    if (r.event() != "message") return FakeUpstream::defaultReply(r);
    Reply reply = Reply::text("late");
    reply.delay = 300ms;
    return reply;
  });
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendText("x");
  ASSERT_TRUE(upstream.waitForEvent("message"));
  c->dropTcp();  // while the message event is in flight
  ASSERT_TRUE(upstream.waitForEvent("disconnected"));
  auto msg = upstream.requestsFor("message").at(0);
  auto disc = upstream.requestsFor("disconnected").at(0);
  EXPECT_GE(disc.at - msg.at, 290ms);  // only after the message event was answered
}

TEST_F(UpstreamTest, ConnectedPrecedesUserEvents) {
  auto c = simpleClient();
  ASSERT_TRUE(c);
  c->sendText("x");
  ASSERT_TRUE(upstream.waitForEvent("message"));
  auto all = upstream.requests();
  int connectedAt = -1, messageAt = -1;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].event() == "connected" && connectedAt < 0) connectedAt = static_cast<int>(i);
    if (all[i].event() == "message" && messageAt < 0) messageAt = static_cast<int>(i);
  }
  ASSERT_GE(connectedAt, 0);
  EXPECT_LT(connectedAt, messageAt);
}

TEST_F(UpstreamTest, SendToGroupModeNeedsPermission) {
  TokenSpec allowed;
  allowed.userId = "sender";
  allowed.roles = {"webpubsub.sendToGroup.room"};
  TokenSpec member;
  member.userId = "member";
  member.groups = {"room"};
  auto receiver = server->connect("chat", member);
  auto echoReceiver = server->connect("chat", [] {
    TokenSpec t;
    t.userId = "sender2";
    t.groups = {"room"};
    t.roles = {"webpubsub.sendToGroup"};
    return t;
  }());
  auto sender = server->connect("chat", allowed, {}, "&webpubsub_mode=sendToGroup&group=room");
  ASSERT_TRUE(receiver && sender && echoReceiver);
  sender->sendText("to the room");
  WsMessage m = receiver->nextData();
  EXPECT_TRUE(m.isText());
  EXPECT_EQ(m.data, "to the room");
  sender->sendBinary("bin");
  m = receiver->nextData();
  EXPECT_TRUE(m.isBinary());
  EXPECT_EQ(m.data, "bin");
  EXPECT_TRUE(upstream.requestsFor("message").empty());  // no upstream event in this mode

  // noEcho: a member sending to its own group does not receive its message.
  auto noEcho = server->connect(
      "chat",
      [] {
        TokenSpec t;
        t.userId = "quiet";
        t.groups = {"room"};
        t.roles = {"webpubsub.sendToGroup"};
        return t;
      }(),
      {}, "&webpubsub_mode=sendToGroup&group=room&noEcho=true");
  ASSERT_TRUE(noEcho);
  noEcho->sendText("quiet one");
  EXPECT_EQ(receiver->nextData().data, "quiet one");
  EXPECT_EQ(noEcho->nextData(300ms).kind, WsMessage::Kind::kTimeout);

  auto denied = server->connect("chat", member, {}, "&webpubsub_mode=sendToGroup&group=room");
  ASSERT_TRUE(denied);
  denied->sendText("no");
  WsMessage closed = denied->waitForClose();
  EXPECT_EQ(closed.closeCode, 1008);
}

}  // namespace
}  // namespace wps::test
