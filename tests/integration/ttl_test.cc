// Message TTL end to end (spec client-protocols-1.1 §5, docs/protocol-decisions.md): a reader
// that does not read gets the TTL-0 messages queued behind its full socket but not the ones
// whose TTL (JSON ttlSeconds, protobuf ttl_seconds, REST messageTtlSeconds) passed meanwhile; a
// reliable client that recovers after the TTL sees a gap in the replayed sequence ids, and later
// messages arrive.
#include <gtest/gtest.h>

#include <thread>

#include "auth/jwt.h"
#include "fixture.h"
#include "protocol/webpubsub.pb.h"
#include "support/http_request.h"

namespace wps::test {
namespace {

using namespace std::chrono_literals;
namespace pb = azure::webpubsub;

// A protobuf sendToGroup of text `data` with ttl_seconds `ttl` and ack id `ackId`.
std::string protobufGroupMessage(const std::string& group, const std::string& data, uint32_t ttl,
                                 uint64_t ackId) {
  pb::UpstreamMessage m;
  auto* s = m.mutable_send_to_group_message();
  s->set_group(group);
  s->mutable_data()->set_text_data(data);
  s->set_ttl_seconds(ttl);
  s->set_ack_id(ackId);
  return m.SerializeAsString();
}

class TtlTest : public UpstreamTest {
 protected:
  void configure(config::ServerSettings& s) override {
    s.hubs["chat"] = TestServer::hubWithHandler(upstream.url("/upstream/{hub}/{event}"), "*",
                                                {"connected", "disconnected"});
  }

  static TokenSpec user(const std::string& id, std::vector<std::string> groups = {}) {
    TokenSpec t;
    t.userId = id;
    t.roles = {"webpubsub.sendToGroup"};
    t.groups = std::move(groups);
    return t;
  }

  // sendToGroup of `data` to `group` with `ttl` (none: no ttlSeconds field).
  static std::string groupMessage(const std::string& group, const std::string& data,
                                  std::optional<int> ttl, std::optional<int> ackId = {}) {
    std::string s = R"({"type":"sendToGroup","group":")" + group +
                    R"(","dataType":"text","data":")" + data + "\"";
    if (ttl) s += R"(,"ttlSeconds":)" + std::to_string(*ttl);
    if (ackId) s += R"(,"ackId":)" + std::to_string(*ackId);
    return s + "}";
  }

  // REST send of `data` to `group` with messageTtlSeconds `ttl`; the status.
  int restSendToGroup(const std::string& group, const std::string& data, int ttl) {
    std::string path = "/api/hubs/chat/groups/" + group + "/:send";
    std::string aud = "http://127.0.0.1:" + std::to_string(port()) + path;
    std::string claims = R"({"aud":")" + aud + R"(","exp":)" +
                         std::to_string(unixSeconds(WallClock::now()) + 3600) + "}";
    std::string token = auth::signJwt(claims, kTestKey);
    auto r = httpRequest(
        port(), "POST", path + "?api-version=2024-01-01&messageTtlSeconds=" + std::to_string(ttl),
        {{"Authorization", "Bearer " + token}, {"Content-Type", "text/plain"}}, data);
    return r.status;
  }

  double expiredTotal() { return scrapeMetric(port(), "webpubsubd_messages_expired_total"); }
};

TEST_F(TtlTest, ASlowReaderGetsTheTtlZeroMessagesQueuedBehindItsFullSocketButNotTheExpiredOnes) {
  // A tiny receive buffer and no reading: the server's socket buffer (at most 4 MiB here) fills
  // with the filler, the rest of it and everything after it waits in the outbound queue.
  auto reader = WsClient::connect(port(), server->clientTarget("chat", user("slow", {"slow"})),
                                  {"json.webpubsub.azure.v1"}, nullptr, {}, 4096);
  auto sender = jsonClient(user("sender"));
  auto protobufSender = server->connect("chat", user("psender"), {"protobuf.webpubsub.azure.v1"});
  ASSERT_TRUE(reader && sender && protobufSender);
  ASSERT_TRUE(protobufSender->nextData().isBinary());  // connected
  // More filler frames than one write batch takes (64): the TTL is checked when a frame is taken
  // into a batch, so the messages after the filler must not fit the first batch, which the
  // server may take before it reads them all (a loaded machine: CI).
  const int kFiller = 70;
  const std::string big(130 * 1024, 'f');
  for (int i = 0; i < kFiller; ++i)
    sender->sendText(groupMessage("slow", std::to_string(i) + big, 0));
  for (int i = 0; i < 3; ++i) {
    sender->sendText(groupMessage("slow", "expires-" + std::to_string(i), 1));
    sender->sendText(groupMessage("slow", "stays-" + std::to_string(i), i == 0 ? 0 : 300));
    sender->sendText(groupMessage("slow", "no-ttl-" + std::to_string(i), std::nullopt,
                                  i == 2 ? std::optional<int>(1) : std::nullopt));
  }
  ASSERT_EQ(json(sender->nextData().data).at("ackId"), 1);  // the REST sends come after these
  protobufSender->sendBinary(protobufGroupMessage("slow", "pb-expires", 1, 1));
  protobufSender->sendBinary(protobufGroupMessage("slow", "pb-stays", 0, 2));
  for (uint64_t ack = 1; ack <= 2; ++ack) {
    pb::DownstreamMessage d;
    ASSERT_TRUE(d.ParseFromString(protobufSender->nextData().data));
    ASSERT_EQ(d.ack_message().ack_id(), ack);
  }
  EXPECT_EQ(restSendToGroup("slow", "rest-expires", 1), 202);
  EXPECT_EQ(restSendToGroup("slow", "rest-stays", 0), 202);
  sender->sendText(groupMessage("slow", "last", 0, 2));
  ASSERT_EQ(json(sender->nextData().data).at("ackId"), 2);  // everything above was accepted
  std::this_thread::sleep_for(1500ms);                      // the 1 s TTLs pass, unread

  std::vector<std::string> got;
  ASSERT_TRUE(reader->nextData().isText());  // connected
  while (got.empty() || got.back() != "last") {
    WsMessage m = reader->nextData(20s);
    ASSERT_TRUE(m.isText()) << "after " << got.size() << " messages";
    std::string data(json(m.data).at("data").as_string());
    got.push_back(data.size() > 100 ? "filler" : data);
  }
  std::vector<std::string> expected(kFiller, "filler");
  for (std::string s : {"stays-0", "no-ttl-0", "stays-1", "no-ttl-1", "stays-2", "no-ttl-2",
                        "pb-stays", "rest-stays", "last"}) {
    expected.push_back(s);
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(expiredTotal(), 5);
}

TEST_F(TtlTest, AReliableClientRecoveringAfterTheTtlSeesAGapAndLaterMessagesArrive) {
  boost::json::object connected;
  auto receiver = jsonClient(user("r", {"news"}), &connected, "json.reliable.webpubsub.azure.v1");
  auto sender = jsonClient(user("s"));
  ASSERT_TRUE(receiver && sender);
  std::string id(connected.at("connectionId").as_string());
  std::string token(connected.at("reconnectionToken").as_string());
  int ack = 0;
  auto send = [&](const std::string& data, std::optional<int> ttl) {
    sender->sendText(groupMessage("news", data, ttl, ++ack));
    EXPECT_EQ(json(sender->nextData().data).at("ackId"), ack);
  };
  send("written-expires", 1);  // id 1: written, never acknowledged, expired at the recovery
  ASSERT_EQ(json(receiver->nextData().data).at("sequenceId"), 1);
  receiver->dropTcp();
  send("away-expires", 1);  // published while detached (or before the drop is noticed)
  send("away-stays", 0);
  send("away-long", 300);
  std::this_thread::sleep_for(1500ms);

  HandshakeOutcome out;
  auto resumed = WsClient::connect(
      port(), "/client/hubs/chat?awps_connection_id=" + id + "&awps_reconnection_token=" + token,
      {"json.reliable.webpubsub.azure.v1"}, &out);
  ASSERT_TRUE(resumed) << out.status;
  EXPECT_EQ(json(resumed->nextData().data).at("event"), "connected");  // spec 1.1 §3.7
  std::vector<std::pair<int64_t, std::string>> replay;
  for (int i = 0; i < 2; ++i) {
    auto m = json(resumed->nextData().data);
    ASSERT_EQ(m.at("type"), "message");
    replay.emplace_back(m.at("sequenceId").as_int64(), std::string(m.at("data").as_string()));
  }
  EXPECT_EQ(replay,
            (std::vector<std::pair<int64_t, std::string>>{{3, "away-stays"}, {4, "away-long"}}));
  send("later", 1);
  auto live = json(resumed->nextData().data);
  EXPECT_EQ(live.at("sequenceId"), 5);
  EXPECT_EQ(live.at("data"), "later");
  EXPECT_EQ(resumed->nextData(300ms).kind, WsMessage::Kind::kTimeout);
  EXPECT_EQ(expiredTotal(), 2);
}

}  // namespace
}  // namespace wps::test
