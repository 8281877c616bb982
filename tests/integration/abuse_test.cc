// Clients that abuse the server's outbound path: a client that floods pings and never reads
// must not grow the server's memory (one pending pong per connection), and the server stays
// usable for everyone else.
#include <string>
#include <thread>

#include "integration/fixture.h"
#include "protocol/websocket/frame.h"
#include "support/memory.h"

namespace wps::test {
namespace {

using namespace std::chrono_literals;

class AbuseTest : public UpstreamTest {
 protected:
  void configure(config::ServerSettings&) override {
    upstream.setHandler([](const RecordedRequest& r) {
      if (r.event() == "message") return Reply::text("ok");
      return FakeUpstream::defaultReply(r);
    });
  }
};

TEST_F(AbuseTest, APingFloodFromAClientThatNeverReadsDoesNotGrowMemory) {
  auto warmup = simpleClient("w");
  ASSERT_TRUE(warmup);
  warmup->sendText("hi");
  ASSERT_EQ(warmup->nextData().data, "ok");
  long before = residentKb();
  ASSERT_GT(before, 0);

  TokenSpec t;
  t.userId = "flooder";
  auto flooder = WsClient::connect(port(), server->clientTarget("chat", t), {}, nullptr, {}, 4096);
  ASSERT_TRUE(flooder);
  static const uint8_t kKey[4] = {9, 8, 7, 6};
  std::string ping = ws::encodeFrame(ws::Opcode::kPing, std::string(125, 'p'), kKey);
  std::string batch;
  for (int i = 0; i < 1000; ++i)
    batch += ping;
  for (int i = 0; i < 500; ++i)  // 500,000 pings of 125 bytes, never reading
    flooder->sendRaw(batch);
  std::this_thread::sleep_for(300ms);
  long after = residentKb();
  // Unbounded pongs held every one of them here (767 MB with a longer flood).
  EXPECT_LT(after - before, 50 * 1024) << "RSS grew from " << before << " kB to " << after;

  auto fresh = simpleClient("fresh");
  ASSERT_TRUE(fresh);
  fresh->sendText("still there?");
  EXPECT_EQ(fresh->nextData().data, "ok");
}

}  // namespace
}  // namespace wps::test
