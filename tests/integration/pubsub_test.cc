// PubSub subprotocol clients over real sockets: mixed protocols in one group, acks, slow
// consumers, and reliable recovery with replay after the TCP connection is dropped.
#include "integration/fixture.h"
#include "protocol/webpubsub.pb.h"

namespace wps::test {
namespace {

using namespace std::chrono_literals;
namespace pb = azure::webpubsub;

const std::vector<std::string> kAllRoles = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"};

TokenSpec user(const std::string& id, std::vector<std::string> roles = kAllRoles) {
  TokenSpec t;
  t.userId = id;
  t.roles = std::move(roles);
  return t;
}

std::string protoJoin(const std::string& group, uint64_t ackId) {
  pb::UpstreamMessage m;
  m.mutable_join_group_message()->set_group(group);
  m.mutable_join_group_message()->set_ack_id(ackId);
  return m.SerializeAsString();
}

pb::DownstreamMessage parseDown(const WsMessage& m) {
  pb::DownstreamMessage d;
  EXPECT_TRUE(m.isBinary());
  EXPECT_TRUE(d.ParseFromString(m.data));
  return d;
}

class PubSubTest : public UpstreamTest {
 protected:
  void configure(config::ServerSettings& s) override {
    s.hubs["chat"] = TestServer::hubWithHandler(upstream.url("/upstream/{hub}/{event}"), "*",
                                                {"connected", "disconnected"});
  }

  std::unique_ptr<WsClient> protobufClient(
      const TokenSpec& t, const std::string& protocol = "protobuf.webpubsub.azure.v1") {
    auto c = server->connect("chat", t, {protocol});
    if (!c) return nullptr;
    auto connected = parseDown(c->nextData());
    EXPECT_TRUE(connected.has_system_message());
    EXPECT_TRUE(connected.system_message().has_connected_message());
    return c;
  }
};

TEST_F(PubSubTest, OneGroupMessageReachesJsonProtobufAndSimpleMembersInTheirFormat) {
  auto json1 = jsonClient(user("j"));
  auto proto = protobufClient(user("p"));
  TokenSpec simpleMember = user("s");
  simpleMember.groups = {"g"};
  auto simple = server->connect("chat", simpleMember);
  ASSERT_TRUE(json1 && proto && simple);
  json1->sendText(R"({"type":"joinGroup","group":"g","ackId":1})");
  EXPECT_EQ(json(json1->nextData().data).at("success"), true);
  proto->sendBinary(protoJoin("g", 1));
  auto ack = parseDown(proto->nextData());
  ASSERT_TRUE(ack.has_ack_message());
  EXPECT_TRUE(ack.ack_message().success());

  json1->sendText(
      R"({"type":"sendToGroup","group":"g","dataType":"json","data":{"k":[1,2]},"ackId":2})");
  auto own = json(json1->nextData().data);
  EXPECT_EQ(own.at("data"), json(R"({"k":[1,2]})"));
  EXPECT_EQ(json(json1->nextData().data).at("ackId"), 2);
  auto p = parseDown(proto->nextData());
  ASSERT_TRUE(p.has_data_message());
  EXPECT_EQ(p.data_message().from(), "group");
  EXPECT_EQ(p.data_message().group(), "g");
  EXPECT_EQ(p.data_message().data().json_data(), R"({"k":[1,2]})");
  WsMessage raw = simple->nextData();
  EXPECT_TRUE(raw.isText());
  EXPECT_EQ(raw.data, R"({"k":[1,2]})");

  // Protobuf binary reaches JSON as base64 and simple clients as a binary frame.
  pb::UpstreamMessage send;
  auto* s = send.mutable_send_to_group_message();
  s->set_group("g");
  s->mutable_data()->set_binary_data(std::string("\x00\xff", 2));
  proto->sendBinary(send.SerializeAsString());
  auto fromProto = json(json1->nextData().data);
  EXPECT_EQ(fromProto.at("dataType"), "binary");
  EXPECT_EQ(fromProto.at("data"), "AP8=");
  EXPECT_EQ(fromProto.at("fromUserId"), "p");
  raw = simple->nextData();
  EXPECT_TRUE(raw.isBinary());
  EXPECT_EQ(raw.data, std::string("\x00\xff", 2));
}

TEST_F(PubSubTest, PingPongAndInvalidMessages) {
  auto c = jsonClient(user("a"));
  ASSERT_TRUE(c);
  c->sendText(R"({"type":"ping"})");
  EXPECT_EQ(json(c->nextData().data), json(R"({"type":"pong"})"));
  c->sendText(R"({"type":"sendToGroup","group":"","data":"x"})");
  auto sys = json(c->nextData().data);
  EXPECT_EQ(sys.at("event"), "disconnected");
  EXPECT_EQ(c->waitForClose().closeCode, 1007);

  auto p = protobufClient(user("b"));
  ASSERT_TRUE(p);
  pb::UpstreamMessage ping;
  ping.mutable_ping_message();
  p->sendBinary(ping.SerializeAsString());
  EXPECT_TRUE(parseDown(p->nextData()).has_pong_message());
  p->sendText("text on a protobuf connection");
  auto disc = parseDown(p->nextData());
  EXPECT_TRUE(disc.system_message().has_disconnected_message());
  EXPECT_EQ(p->waitForClose().closeCode, 1003);
}

class SlowConsumerTest : public PubSubTest {
 protected:
  void configure(config::ServerSettings& s) override {
    PubSubTest::configure(s);
    s.limits.outboundQueueBytes = 256 * 1024;
  }
};

TEST_F(SlowConsumerTest, AClientThatDoesNotReadIsClosedAndOthersKeepReceiving) {
  TokenSpec t = user("slow");
  t.groups = {"flood"};
  // A tiny receive buffer, so the kernel cannot absorb what the server queues.
  auto slow = WsClient::connect(port(), server->clientTarget("chat", t),
                                {"json.webpubsub.azure.v1"}, nullptr, {}, 8192);
  TokenSpec f = user("fast");
  f.groups = {"flood"};
  auto fast = jsonClient(f);
  auto sender = jsonClient(user("sender"));
  ASSERT_TRUE(slow && fast && sender);
  std::string big(60000, 'x');
  // `slow` never reads; the kernel buffers fill, then its queue passes 256 KiB.
  int received = 0;
  for (int i = 0; i < 150; ++i) {
    sender->sendText(R"({"type":"sendToGroup","group":"flood","dataType":"text","data":")" + big +
                     R"("})");
    WsMessage m = fast->nextData(5s);
    ASSERT_TRUE(m.isText()) << "message " << i;
    ++received;
  }
  EXPECT_EQ(received, 150);
  ASSERT_TRUE(upstream.waitFor(
      [](const RecordedRequest& r) {
        return r.event() == "disconnected" && r.header("ce-userId") == "slow";
      },
      1, 10s));
  auto d = upstream.requestsFor("disconnected");
  for (auto& r : d) {
    if (r.header("ce-userId") == "slow") {
      EXPECT_EQ(json(r.body).at("reason"), "The outbound message queue is full.");
    }
  }
}

TEST_F(PubSubTest, FramesQueuedWhileAWriteIsInFlightArriveIntact) {
  // A reader with a tiny receive buffer that reads only after everything was sent: the server's
  // socket buffer fills, its writes stay in flight while many more frames queue behind them (the
  // queue grows and reallocates), and every frame must still arrive intact, in order.
  TokenSpec r = user("reader");
  r.groups = {"burst"};
  auto reader = WsClient::connect(port(), server->clientTarget("chat", r),
                                  {"json.webpubsub.azure.v1"}, nullptr, {}, 4096);
  auto sender = jsonClient(user("writer"));
  ASSERT_TRUE(reader && sender);
  ASSERT_TRUE(reader->nextData().isText());  // connected
  const int kMessages = 4000;                // ~8 MB, more than the server's socket buffer
  for (int i = 0; i < kMessages; ++i) {
    std::string data(static_cast<size_t>(1800 + i % 300), static_cast<char>('a' + i % 26));
    sender->sendText(R"({"type":"sendToGroup","group":"burst","dataType":"text","data":")" +
                     std::to_string(i) + ":" + data + R"("})");
  }
  for (int i = 0; i < kMessages; ++i) {
    WsMessage m = reader->nextData(10s);
    ASSERT_TRUE(m.isText()) << "message " << i << ": " << m.data;
    auto v = json(m.data);
    std::string data(v.at("data").as_string());
    ASSERT_EQ(data.substr(0, data.find(':')), std::to_string(i));
    ASSERT_EQ(data.size(), std::to_string(i).size() + 1 + 1800 + static_cast<size_t>(i % 300));
  }
}

class RecoveryTest : public PubSubTest {
 protected:
  // Opens a reliable JSON client and returns its connection id and reconnection token.
  std::unique_ptr<WsClient> reliableClient(const TokenSpec& t, std::string* id,
                                           std::string* token) {
    boost::json::object connected;
    auto c = jsonClient(t, &connected, "json.reliable.webpubsub.azure.v1");
    if (!c) return nullptr;
    *id = std::string(connected.at("connectionId").as_string());
    *token = std::string(connected.at("reconnectionToken").as_string());
    return c;
  }

  std::string recoveryTarget(const std::string& id, const std::string& token) {
    return "/client/hubs/chat?awps_connection_id=" + id + "&awps_reconnection_token=" + token;
  }
};

TEST_F(RecoveryTest, DroppedConnectionResumesWithReplayInOrderExactlyOnce) {
  std::string id, token;
  TokenSpec t = user("r");
  t.groups = {"news"};
  auto receiver = reliableClient(t, &id, &token);
  auto sender = jsonClient(user("s"));
  ASSERT_TRUE(receiver && sender);
  auto send = [&](int i) {
    sender->sendText(R"({"type":"sendToGroup","group":"news","dataType":"text","data":"m)" +
                     std::to_string(i) + R"(","ackId":)" + std::to_string(i) + "}");
    EXPECT_EQ(json(sender->nextData().data).at("ackId"), i);
  };
  for (int i = 1; i <= 3; ++i)
    send(i);
  std::vector<std::string> got;
  uint64_t lastSeq = 0;
  for (int i = 0; i < 3; ++i) {
    auto m = json(receiver->nextData().data);
    got.push_back(std::string(m.at("data").as_string()));
    lastSeq = m.at("sequenceId").as_int64();
  }
  EXPECT_EQ(lastSeq, 3u);
  receiver->sendText(R"({"type":"sequenceAck","sequenceId":2})");  // m3 stays unacknowledged
  std::this_thread::sleep_for(100ms);
  receiver->dropTcp();
  std::this_thread::sleep_for(100ms);
  for (int i = 4; i <= 6; ++i)
    send(i);  // published while detached

  HandshakeOutcome out;
  auto resumed = WsClient::connect(port(), recoveryTarget(id, token),
                                   {"json.reliable.webpubsub.azure.v1"}, &out);
  ASSERT_TRUE(resumed) << out.status;
  EXPECT_EQ(out.subprotocol, "json.reliable.webpubsub.azure.v1");
  // A `connected` message with the same id and a valid token (spec 1.1 §3.7), then the replay
  // of m3 with its original id.
  auto again = json(resumed->nextData().data);
  EXPECT_EQ(again.at("event"), "connected");
  EXPECT_EQ(std::string(again.at("connectionId").as_string()), id);
  EXPECT_FALSE(again.at("reconnectionToken").as_string().empty());
  std::vector<std::pair<uint64_t, std::string>> replay;
  for (int i = 0; i < 4; ++i) {
    auto m = json(resumed->nextData().data);
    ASSERT_EQ(m.at("type"), "message");
    replay.emplace_back(m.at("sequenceId").as_int64(), std::string(m.at("data").as_string()));
  }
  EXPECT_EQ(replay, (std::vector<std::pair<uint64_t, std::string>>{
                        {3, "m3"}, {4, "m4"}, {5, "m5"}, {6, "m6"}}));
  send(7);
  auto live = json(resumed->nextData().data);
  EXPECT_EQ(live.at("sequenceId"), 7);
  EXPECT_EQ(resumed->nextData(300ms).kind, WsMessage::Kind::kTimeout);  // nothing twice
  // The upstream saw one connected and no disconnected for the receiver.
  auto connectedEvents = upstream.requestsFor("connected");
  size_t forReceiver = 0;
  for (auto& r : connectedEvents)
    forReceiver += r.header("ce-connectionId") == id;
  EXPECT_EQ(forReceiver, 1u);
  for (auto& r : upstream.requestsFor("disconnected"))
    EXPECT_NE(r.header("ce-connectionId"), id);
}

TEST_F(RecoveryTest, FailedRecoveriesAreAcceptedThenClosedWith1008) {
  std::string id, token;
  auto c = reliableClient(user("x"), &id, &token);
  ASSERT_TRUE(c);
  c->dropTcp();
  std::this_thread::sleep_for(100ms);
  auto expect1008 = [&](const std::string& target) {
    HandshakeOutcome out;
    auto r = WsClient::connect(port(), target, {"json.reliable.webpubsub.azure.v1"}, &out);
    ASSERT_TRUE(r) << target << " status " << out.status;
    WsMessage m = r->waitForClose();
    EXPECT_EQ(m.closeCode, 1008) << target;
    EXPECT_EQ(m.data, "The connection could not be recovered.");
  };
  expect1008(recoveryTarget(id, token + "x"));      // tampered token
  expect1008(recoveryTarget("unknown-id", token));  // unknown session
  expect1008("/client/hubs/other?awps_connection_id=" + id + "&awps_reconnection_token=" + token);
  // The genuine recovery still works afterwards.
  HandshakeOutcome out;
  EXPECT_TRUE(WsClient::connect(port(), recoveryTarget(id, token),
                                {"json.reliable.webpubsub.azure.v1"}, &out));
}

TEST_F(RecoveryTest, ClientCloseEndsTheSessionSoRecoveryIsRefused) {
  std::string id, token;
  auto c = reliableClient(user("y"), &id, &token);
  ASSERT_TRUE(c);
  c->sendClose(1000);
  c->waitForClose();
  ASSERT_TRUE(upstream.waitForEvent("disconnected"));
  HandshakeOutcome out;
  auto r = WsClient::connect(port(), recoveryTarget(id, token),
                             {"json.reliable.webpubsub.azure.v1"}, &out);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->waitForClose().closeCode, 1008);
}

}  // namespace
}  // namespace wps::test
