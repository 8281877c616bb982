// Durable delivery's answers to the upstream's failures (issue 12), on an in-process server:
// 429 with Retry-After is honoured, 410 and other 4xx drop the event at once, expired events
// and the backlog cap drop with their counters.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "integration/delivery_helpers.h"
#include "support/http_request.h"

namespace wps::test::delivery {
namespace {

class DeliveryRetryTest : public ::testing::Test {
 protected:
  void start(const std::function<void(config::DeliverySettings&)>& tune = {}) {
    auto s = TestServer::defaultSettings();
    s.hubs["chat"] = TestServer::hubWithHandler(upstream_.url("/upstream/{hub}/{event}"), "",
                                                {"connected", "disconnected"});
    s.delivery.maxRetryDelay = std::chrono::seconds(2);
    if (tune) tune(s.delivery);
    server_ = std::make_unique<TestServer>(std::move(s));
    warmUp(server_->port(), upstream_);
  }

  double metric(const std::string& sample) const { return scrapeMetric(server_->port(), sample); }
  double dropped(const std::string& reason) const {
    return metric("webpubsubd_delivery_dropped_total{reason=\"" + reason + "\"}");
  }

  // Attempts of `event` for `connectionId` so far.
  std::vector<DeliveryAttempt> attemptsOf(const std::string& connectionId,
                                          const std::string& event) const {
    std::vector<DeliveryAttempt> out;
    for (auto& a : upstream_.deliveryAttempts())
      if (a.connectionId == connectionId && a.eventName == event) out.push_back(a);
    return out;
  }
  bool waitForAttempts(const std::string& connectionId, const std::string& event, size_t n,
                       std::chrono::milliseconds timeout) const {
    return waitUntil([&] { return attemptsOf(connectionId, event).size() >= n; }, timeout);
  }

  // A client whose `connected` gets `status`: dropped at once (one attempt, the counter of
  // `reason` is 1), and whose `disconnected` still follows when the upstream accepts again.
  void expectDroppedAtOnce(int status, const std::string& reason) {
    start();
    ASSERT_FALSE(HasFatalFailure());
    upstream_.setMode(UpstreamMode::failWith(status));
    auto c = connectClient(server_->port(), "u");
    ASSERT_TRUE(c.ws);
    ASSERT_TRUE(waitUntil([&] { return dropped(reason) == 1; }, 10s)) << dropped(reason);
    upstream_.setMode(UpstreamMode::normal());
    std::vector<IdentifiedClient> one;
    one.push_back(std::move(c));
    closeAll(one);
    // The disconnected is sent only after the connected is done with (per-connection order):
    // once it arrived, any retry of the connected would have come before it.
    ASSERT_TRUE(upstream_.waitForDelivered(1, 10s));
    size_t connectedAttempts = 0;
    for (auto& a : upstream_.deliveryAttempts())
      connectedAttempts += a.eventName == "connected" ? 1 : 0;
    EXPECT_EQ(connectedAttempts, 1u);
    EXPECT_EQ(upstream_.deliveryAttempts().back().eventName, "disconnected");
    EXPECT_EQ(metric("webpubsubd_delivery_attempts_total{result=\"retry\"}"), 0);
    EXPECT_EQ(metric("webpubsubd_delivery_attempts_total{result=\"dropped\"}"), 1);
    EXPECT_EQ(metric("webpubsubd_delivery_attempts_total{result=\"ok\"}"), 3);  // + warm-up
    EXPECT_EQ(metric("webpubsubd_delivery_pending_events"), 0);
  }

  FakeUpstream upstream_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(DeliveryRetryTest, RetryAfterOn429IsHonouredAndCapped) {
  start([](config::DeliverySettings& d) { d.maxRetryDelay = std::chrono::seconds(5); });
  ASSERT_FALSE(HasFatalFailure());
  upstream_.setMode(UpstreamMode::failWith(429, "3"));
  auto c = connectClient(server_->port(), "u");
  ASSERT_TRUE(c.ws);
  ASSERT_TRUE(waitForAttempts(c.connectionId, "connected", 2, 15s));
  upstream_.setMode(UpstreamMode::normal());
  auto a = attemptsOf(c.connectionId, "connected");
  auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(a[1].at - a[0].at);
  EXPECT_GE(gap, 3000ms) << "Retry-After: 3 not honoured";
  EXPECT_LE(gap, 3000ms + 5000ms + 1000ms) << "retried much later than Retry-After";
  EXPECT_EQ(a[0].ceId, a[1].ceId);
  EXPECT_EQ(a[0].body, a[1].body);
  ASSERT_TRUE(upstream_.waitForDelivered(1, 10s));
  EXPECT_GE(metric("webpubsubd_delivery_attempts_total{result=\"retry\"}"), 1);
  // Every request is in the upstream latency histogram, by event class and outcome (the
  // handler's validation request and the connected attempts of the outbox thread).
  auto count = [&](const std::string& event, const std::string& outcome) {
    return metric("webpubsubd_upstream_request_duration_seconds_count{event=\"" + event +
                  "\",outcome=\"" + outcome + "\"}");
  };
  EXPECT_GE(count("validation", "2xx"), 1);
  EXPECT_GE(count("connected", "4xx"), 2);  // the two 429 answers
  EXPECT_GE(count("connected", "2xx"), 1);
  EXPECT_EQ(count("disconnected", "5xx"), 0);
}

TEST_F(DeliveryRetryTest, GoneDropsTheEventAtOnce) {
  expectDroppedAtOnce(410, "gone");
}

TEST_F(DeliveryRetryTest, BadRequestDropsTheEventAsRejected) {
  expectDroppedAtOnce(400, "rejected");
}

// The loader's minimum retention is 60 s; the server itself takes any value, so this test
// sets 2 s in the settings directly to see an event expire quickly.
TEST_F(DeliveryRetryTest, EventsOlderThanTheRetentionAreDroppedAsExpired) {
  start([](config::DeliverySettings& d) { d.retention = std::chrono::seconds(2); });
  ASSERT_FALSE(HasFatalFailure());
  upstream_.setMode(UpstreamMode::down());
  auto c = connectClient(server_->port(), "u");
  ASSERT_TRUE(c.ws);
  ASSERT_TRUE(waitUntil([&] { return dropped("expired") == 1; }, 10s)) << dropped("expired");
  EXPECT_EQ(metric("webpubsubd_delivery_pending_events"), 0);
  upstream_.setMode(UpstreamMode::normal());
  std::vector<IdentifiedClient> one;
  one.push_back(std::move(c));
  closeAll(one);
  ASSERT_TRUE(upstream_.waitForDelivered(1, 10s));
  auto attempts = upstream_.deliveryAttempts();
  for (auto& a : attempts)
    EXPECT_EQ(a.eventName, "disconnected") << "the expired connected was sent";
}

TEST_F(DeliveryRetryTest, OverflowDropsTheOldestEventsAndKeepsTheCap) {
  start([](config::DeliverySettings& d) { d.maxPendingEvents = 10; });
  ASSERT_FALSE(HasFatalFailure());
  upstream_.setMode(UpstreamMode::down());
  auto clients = connectMany(server_->port(), "o", 30);
  ASSERT_EQ(clients.size(), 30u) << "clients are never refused because of the upstream";
  // Events reach the outbox after their handshakes, and an attempt in flight is dropped only
  // once it failed and is pending again: wait for both figures rather than read them once.
  ASSERT_TRUE(waitUntil(
      [&] {
        return metric("webpubsubd_delivery_pending_events") <= 10 && dropped("overflow") >= 20;
      },
      10s))
      << metric("webpubsubd_delivery_pending_events") << " pending, " << dropped("overflow")
      << " dropped";
  std::set<std::string> ids;
  for (auto& c : clients)
    ids.insert(c.connectionId);
  upstream_.setMode(UpstreamMode::normal());
  ASSERT_TRUE(upstream_.waitForDelivered(10, 10s));
  // The oldest events went first: what is left are the last connections' events.
  auto attempts = upstream_.deliveryAttempts();
  for (auto& a : attempts)
    EXPECT_TRUE(ids.count(a.connectionId));
  EXPECT_TRUE(waitUntil([&] { return metric("webpubsubd_delivery_pending_events") == 0; }, 10s));
  std::set<std::string> delivered;
  for (auto& a : attempts)
    if (a.delivered()) delivered.insert(a.connectionId);
  for (size_t i = 0; i < 10; ++i)
    EXPECT_FALSE(delivered.count(clients[i].connectionId))
        << "client " << i << " is among the oldest: its connected should have been dropped";
}

// The errno of binding a socket to 127.0.0.1:`port` (0: it could).
int bindError(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(port);
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at);
  int err = rc == 0 ? 0 : errno;
  ::close(fd);
  return err;
}

// The fake's outage resets connections but keeps its port: with tests running in parallel, a
// port it let go could be taken by another process's listener, which would then answer (404)
// in its place (a CI flake of delivery_outage_test).
TEST(FakeUpstreamOutageTest, DownResetsConnectionsAndKeepsThePort) {
  FakeUpstream upstream;
  upstream.setMode(UpstreamMode::down());
  EXPECT_EQ(httpRequest(upstream.port(), "GET", "/x").status, 0);  // reset, no answer
  EXPECT_EQ(bindError(upstream.port()), EADDRINUSE);
  upstream.setMode(UpstreamMode::normal());
  EXPECT_NE(httpRequest(upstream.port(), "GET", "/x").status, 0);
  EXPECT_EQ(upstream.requests().size(), 1u);  // only the request made while up
}

}  // namespace
}  // namespace wps::test::delivery
