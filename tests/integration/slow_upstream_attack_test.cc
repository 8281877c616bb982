// Clients that push messages faster than their event handler takes them: the inbound queue
// behind a blocking event is bounded in bytes (reading pauses), a paused client that resets is
// noticed at once (its queue is dropped, `disconnected` follows the event in flight), and a
// per-connection message rate limit closes a flooding client.
#include <chrono>
#include <string>

#include "integration/fixture.h"
#include "protocol/websocket/frame.h"
#include "support/http_request.h"
#include "support/process_memory.h"

namespace wps::test {
namespace {

using namespace std::chrono_literals;

constexpr size_t kMessageBytes = 512 * 1024;
constexpr int kAttackMessages = 300;
constexpr long kMaxGrowthKb = 40 * 1024;  // 300 messages of 512 KiB are 150 MiB

// What one attacker managed to send before the server stopped reading.
struct Attack {
  int messagesSent = 0;
  bool backedUp = false;  // a send made no full progress within the stall timeout
};

// Sends up to kAttackMessages binary messages of kMessageBytes as fast as the server takes them;
// stops at the first one the server does not take within `stall`.
Attack flood(WsClient& client, std::chrono::milliseconds stall) {
  static const uint8_t kKey[4] = {0x11, 0x22, 0x33, 0x44};
  const std::string frame =
      ws::encodeFrame(ws::Opcode::kBinary, std::string(kMessageBytes, 'a'), kKey);
  Attack attack;
  while (attack.messagesSent < kAttackMessages) {
    if (client.sendRawFor(frame, stall) < frame.size()) {
      attack.backedUp = true;
      break;
    }
    ++attack.messagesSent;
  }
  return attack;
}

bool fromUser(const RecordedRequest& r, const std::string& user) {
  return r.header("ce-userId") == user;
}

class SlowUpstreamAttackTest : public UpstreamTest {
 protected:
  void configure(config::ServerSettings&) override {
    // Attackers' messages take `attackerDelay_` each and are answered without a body: nothing
    // is written to them, so only watching the socket can notice that they are gone. Everyone
    // else is answered at once.
    upstream.setHandler([delay = attackerDelay_](const RecordedRequest& r) {
      if (r.event() != "message") return FakeUpstream::defaultReply(r);
      if (!r.header("ce-userId").starts_with("attacker")) return Reply::text("ok");
      Reply reply = Reply::status(200);
      reply.delay = delay;
      return reply;
    });
  }

  // A fresh client connects and completes a round trip through the event handler.
  void expectEcho(const std::string& user) {
    auto fresh = simpleClient(user);
    ASSERT_TRUE(fresh);
    fresh->sendText("still there?");
    EXPECT_EQ(fresh->nextData().data, "ok");
  }

  // Upstream `message` events of `user`.
  size_t messagesFrom(const std::string& user) {
    size_t n = 0;
    for (const auto& r : upstream.requestsFor("message"))
      n += fromUser(r, user) ? 1 : 0;
    return n;
  }

  std::chrono::milliseconds attackerDelay_{1000};  // set before configure() runs
};

class ResetAttackTest : public SlowUpstreamAttackTest {
 protected:
  ResetAttackTest() { attackerDelay_ = 500ms; }
};

TEST_F(SlowUpstreamAttackTest, ReadingPausesAndMemoryStaysBoundedBehindASlowUpstream) {
  expectEcho("warmup");
  long before = residentKb();
  ASSERT_GT(before, 0);

  auto attacker = simpleClient("attacker");
  ASSERT_TRUE(attacker);
  Attack attack = flood(*attacker, 500ms);
  long after = residentKb();
  // Reading paused: the client's sends backed up long before all 300 messages were taken.
  EXPECT_TRUE(attack.backedUp);
  EXPECT_LT(attack.messagesSent, kAttackMessages);
  // Queued by count alone (256 messages), 128 MiB piled up here.
  EXPECT_LT(after - before, kMaxGrowthKb) << "RSS grew from " << before << " kB to " << after
                                          << " kB after " << attack.messagesSent << " messages";
  expectEcho("fresh");

  attacker->dropTcp();
  EXPECT_TRUE(upstream.waitFor(
      [](const RecordedRequest& r) {
        return r.event() == "disconnected" && fromUser(r, "attacker");
      },
      1, 3s));
  EXPECT_LT(messagesFrom("attacker"), 20u);
}

TEST_F(ResetAttackTest, PausedClientsThatResetAreDroppedAtOnce) {
  expectEcho("warmup");
  long before = residentKb();
  ASSERT_GT(before, 0);
  for (int i = 0; i < 3; ++i) {
    std::string user = "attacker" + std::to_string(i);
    auto attacker = simpleClient(user);
    ASSERT_TRUE(attacker);
    Attack attack = flood(*attacker, 500ms);
    EXPECT_TRUE(attack.backedUp) << user;
    auto reset = std::chrono::steady_clock::now();
    attacker->dropTcp();
    // `disconnected` follows the event in flight (500 ms), not the drain of a queue.
    EXPECT_TRUE(upstream.waitFor(
        [&user](const RecordedRequest& r) {
          return r.event() == "disconnected" && fromUser(r, user);
        },
        1, 2s))
        << user << " sent " << attack.messagesSent << " messages";
    EXPECT_LT(std::chrono::steady_clock::now() - reset, 2s) << user;
    // Its queued messages were dropped. (One posted just before the reset may be recorded a
    // little after it; the next would come only after another 500 ms.)
    for (const auto& r : upstream.requestsFor("message")) {
      EXPECT_FALSE(fromUser(r, user) && r.at > reset + 200ms)
          << user << ": a queued message was posted";
    }
  }
  long after = residentKb();
  EXPECT_LT(after - before, kMaxGrowthKb)
      << "RSS grew from " << before << " kB to " << after << " kB";
  expectEcho("fresh");

  size_t attackMessages = 0;
  for (const auto& r : upstream.requestsFor("message"))
    attackMessages += r.header("ce-userId").starts_with("attacker") ? 1 : 0;
  EXPECT_LT(attackMessages, 60u);  // of up to 900 sent
}

class MessageRateTest : public SlowUpstreamAttackTest {
 protected:
  void configure(config::ServerSettings& s) override {
    SlowUpstreamAttackTest::configure(s);
    s.limits.maxMessagesPerSecond = 20;  // the burst defaults to the same: 20
  }
};

TEST_F(MessageRateTest, AClientOverTheRateIsClosed1008WhileOneWithinItIsNot) {
  auto polite = simpleClient("polite");
  auto flooder = simpleClient("flooder");
  ASSERT_TRUE(polite && flooder);
  static const uint8_t kKey[4] = {1, 2, 3, 4};
  std::string burst;
  for (int i = 0; i < 100; ++i)
    burst += ws::encodeFrame(ws::Opcode::kText, "m" + std::to_string(i), kKey);
  flooder->sendRaw(burst);
  WsMessage closed = flooder->waitForClose();
  ASSERT_TRUE(closed.isClose());
  EXPECT_EQ(closed.closeCode, 1008);
  EXPECT_EQ(closed.data, "Too many messages.");

  for (int i = 0; i < 10; ++i) {  // within the burst of its own bucket
    polite->sendText("hello");
    ASSERT_EQ(polite->nextData().data, "ok") << i;
  }
  EXPECT_LT(messagesFrom("flooder"), 21u);  // the message over the limit was never posted
  auto metrics = httpRequest(port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("\nwebpubsubd_rate_limited_clients_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace wps::test
